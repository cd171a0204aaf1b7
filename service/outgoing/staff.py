"""Emails to the clinic's staff (never to subscribers): the note that the blog feed made a draft campaign, and the
links about a person's own account (an invitation to the team, a password reset).

A staff email is no marketing email: it carries no unsubscribe link nor List-Unsubscribe headers, and goes to the
staff's own addresses through the configured email channel (the outbox in development).
"""

from service.accounts.links import INVITATION, PASSWORD_RESET, StaffLink, make_link_token
from service.channels.email.base import EmailChannel, OutgoingEmail, Recipient
from service.models import Article, Campaign, User
from service.rendering.clinic import ClinicInfo
from service.rendering.email import check_subject
from service.rendering.environment import template_environment
from service.subscribers.tokens import SigningKeys

ACCOUNT_LINK_PATHS = {INVITATION.purpose: "/team/join/", PASSWORD_RESET.purpose: "/password/reset/"}


def new_feed_draft_email(campaign: Campaign, article: Article, clinic: ClinicInfo, campaign_url: str) -> OutgoingEmail:
    """ "A new post on the blog is a draft campaign": what it is, where it came from, where to review it."""
    # The title comes from a web page: one line, so it cannot add a header to the subject.
    title = " ".join(article.title.split())
    context = {
        "clinic": clinic,
        "campaign": campaign,
        "article": article,
        "title": title,
        "campaign_url": campaign_url,
        "snippet_count": len(campaign.campaign_snippets),
    }
    env = template_environment()
    return OutgoingEmail(
        subject=check_subject(f"New draft from the blog: {title}"[:200]),
        html=env.get_template("email/staff_new_feed_draft.html").render(context),
        text=env.get_template("email/staff_new_feed_draft.txt").render(context),
        categories=("staff-feed-draft",),
    )


def _hours(link: StaffLink) -> str:
    hours = int(link.max_age.total_seconds() // 3600)
    return f"{hours} hour{'' if hours == 1 else 's'}"


def _account_email(template: str, subject: str, user: User, clinic: ClinicInfo, link: StaffLink, keys: SigningKeys):
    url = clinic.public_base_url + ACCOUNT_LINK_PATHS[link.purpose] + make_link_token(keys, link, user)
    env = template_environment()
    context = {"clinic": clinic, "user": user, "url": url, "expires": _hours(link), "subject": subject}
    return OutgoingEmail(
        subject=check_subject(subject),
        html=env.get_template(f"email/{template}.html").render(context),
        text=env.get_template(f"email/{template}.txt").render(context),
        categories=("staff-account",),
    )


def invitation_email(user: User, clinic: ClinicInfo, keys: SigningKeys) -> OutgoingEmail:
    """The link (single use, 48 hours) with which an invited person chooses a password and joins the team."""
    subject = f"You are invited to Tidings at {clinic.name}"
    return _account_email("staff_invitation", subject, user, clinic, INVITATION, keys)


def password_reset_email(user: User, clinic: ClinicInfo, keys: SigningKeys) -> OutgoingEmail:
    """The link (single use, 1 hour) that sets a new password."""
    return _account_email("staff_password_reset", "Reset your Tidings password", user, clinic, PASSWORD_RESET, keys)


def send_to_staff(channel: EmailChannel, email: OutgoingEmail, user: User) -> None:
    """Send to the account's own address. Raises EmailSendError (whose message carries no address)."""
    channel.send_batch(email, [Recipient(email=user.email)])
