"""Emails to the clinic's staff (never to subscribers): the note that the blog feed made a draft campaign.

A staff email is no marketing email: it carries no unsubscribe link nor List-Unsubscribe headers, and goes to the
staff's own addresses through the configured email channel (the outbox in development).
"""

from service.channels.email.base import OutgoingEmail
from service.models import Article, Campaign
from service.rendering.clinic import ClinicInfo
from service.rendering.email import check_subject
from service.rendering.environment import template_environment


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
