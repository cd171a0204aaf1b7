"""The emails staff get about their own account: an invitation and a password reset link.

Built here, apart from the channel that sends them; each goes to one account's own address only, never to a
subscriber, and carries no List-Unsubscribe (it is not marketing).
"""

from service.accounts.links import INVITATION, PASSWORD_RESET, StaffLink, make_link_token
from service.channels.email.base import EmailChannel, OutgoingEmail, Recipient
from service.models import User
from service.rendering.clinic import ClinicInfo
from service.rendering.environment import template_environment
from service.subscribers.tokens import SigningKeys

PATHS = {INVITATION.purpose: "/team/join/", PASSWORD_RESET.purpose: "/password/reset/"}


def _hours(link: StaffLink) -> str:
    hours = int(link.max_age.total_seconds() // 3600)
    return f"{hours} hour{'' if hours == 1 else 's'}"


def _staff_email(template: str, subject: str, user: User, clinic: ClinicInfo, url: str, link: StaffLink):
    env = template_environment()
    context = {"clinic": clinic, "user": user, "url": url, "expires": _hours(link), "subject": subject}
    return OutgoingEmail(
        subject=subject,
        html=env.get_template(f"email/{template}.html").render(context),
        text=env.get_template(f"email/{template}.txt").render(context),
        categories=("staff",),
    )


def invitation_email(user: User, clinic: ClinicInfo, keys: SigningKeys) -> OutgoingEmail:
    url = clinic.public_base_url + PATHS[INVITATION.purpose] + make_link_token(keys, INVITATION, user)
    return _staff_email(
        "staff_invitation", f"You are invited to Tidings at {clinic.name}", user, clinic, url, INVITATION
    )


def password_reset_email(user: User, clinic: ClinicInfo, keys: SigningKeys) -> OutgoingEmail:
    url = clinic.public_base_url + PATHS[PASSWORD_RESET.purpose] + make_link_token(keys, PASSWORD_RESET, user)
    return _staff_email("staff_password_reset", "Reset your Tidings password", user, clinic, url, PASSWORD_RESET)


def send_to_staff(channel: EmailChannel, email: OutgoingEmail, user: User) -> None:
    """Send to the account's own address. Raises EmailSendError (whose message carries no address)."""
    channel.send_batch(email, [Recipient(email=user.email)])
