"""Links the worker puts into messages."""

from service.models import Campaign
from service.rendering.clinic import ClinicInfo
from service.subscribers.tokens import make_token


def article_link(campaign: Campaign, clinic: ClinicInfo) -> str:
    return campaign.link_url or clinic.website_url


def unsubscribe_url(clinic: ClinicInfo, secret_key: str, public_id: str | int) -> str:
    return f"{clinic.public_base_url}/unsubscribe/{make_token(secret_key, 'unsubscribe', public_id)}"
