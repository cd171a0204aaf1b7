"""The emails a subscriber gets outside campaigns: the confirmation request and the welcome.

Both go through the configured email channel, in the clinic's standard layout, with the same footer as every
newsletter; `service.outgoing.email` builds them, with the same List-Unsubscribe headers.
"""

from collections.abc import Mapping

from sqlalchemy.orm import Session

from service.channels.email.base import EmailChannel, OutgoingEmail, Recipient
from service.models import Subscriber
from service.outgoing.email import templated_email
from service.rendering.clinic import ClinicInfo
from service.rendering.email import greeting_for, paragraphs
from service.subscribers.links import confirm_url, preferences_url, unsubscribe_url
from service.subscribers.topics import topic_label
from service.subscribers.welcome import WelcomeContent, welcome_content


def _common(subscriber: Subscriber, clinic: ClinicInfo, secret_key: str) -> dict:
    return {
        "clinic": clinic,
        "greeting": greeting_for(subscriber.first_name or ""),
        "topics": [topic_label(topic) for topic in subscriber.topics],
        "unsubscribe_url": unsubscribe_url(clinic, secret_key, subscriber.public_id),
        "preferences_url": preferences_url(clinic, secret_key, subscriber.public_id),
    }


def confirmation_email(
    subscriber: Subscriber, clinic: ClinicInfo, secret_key: str, *, max_age_days: float
) -> OutgoingEmail:
    context = _common(subscriber, clinic, secret_key)
    context.update(already_subscribed=False, confirm_url=confirm_url(clinic, secret_key, subscriber.public_id))
    context["expires"] = _days(max_age_days)
    return templated_email("confirm", f"Please confirm your subscription to {clinic.name}", context, "confirmation")


def already_subscribed_email(subscriber: Subscriber, clinic: ClinicInfo, secret_key: str) -> OutgoingEmail:
    """Sent instead of a confirmation when the address is already confirmed: nothing changes without its owner."""
    context = _common(subscriber, clinic, secret_key)
    context.update(already_subscribed=True, confirm_url="", expires="")
    return templated_email("confirm", f"You are already subscribed to {clinic.name}", context, "confirmation")


def welcome_email(
    subscriber: Subscriber, clinic: ClinicInfo, secret_key: str, content: WelcomeContent
) -> OutgoingEmail:
    context = _common(subscriber, clinic, secret_key)
    context.update(heading=content.subject, paragraphs=paragraphs(content.body))
    return templated_email("welcome", content.subject, context, "welcome")


def _days(days: float) -> str:
    if days >= 1 and float(days).is_integer():
        return f"{int(days)} day{'' if days == 1 else 's'}"
    hours = max(1, round(days * 24))
    return f"{hours} hour{'' if hours == 1 else 's'}"


def send_to(channel: EmailChannel, email: OutgoingEmail, subscriber: Subscriber) -> str | None:
    """Send one email to one subscriber. Raises EmailSendError (whose message carries no address)."""
    return channel.send_batch(email, [Recipient(email=subscriber.email)])


def send_welcome_if_enabled(session: Session, channel: EmailChannel, subscriber: Subscriber, config: Mapping) -> bool:
    content = welcome_content(
        session, clinic_name=config["CLINIC_NAME"], default_enabled=config["WELCOME_EMAIL_ENABLED"]
    )
    if not content.enabled:
        return False
    send_to(
        channel, welcome_email(subscriber, ClinicInfo.from_config(config), config["SECRET_KEY"], content), subscriber
    )
    return True
