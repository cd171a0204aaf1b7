"""Comments on a campaign under review: a person comments on one finding or one section, others answer in a short
thread (a reply to a reply joins the same thread). Every comment and reply is in the audit log, with what it is
about and its words. Anyone on the staff may comment, at any status: a comment changes nothing that goes out.
"""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service import audit
from service.compliance.review import CampaignReview
from service.models import Campaign, ReviewComment, User

MAX_COMMENT_LENGTH = 2000


class CommentError(ValueError):
    """A comment cannot be recorded; the message says why, for a person."""


def comment_on_finding(
    session: Session, campaign: Campaign, review: CampaignReview, fingerprint: str, body: str, author: User
) -> ReviewComment:
    """Start a thread on a finding of the campaign's current text (`review`: the review the page showed)."""
    item = review.finding(fingerprint)
    if item is None:
        raise CommentError("That finding is no longer in the campaign's text; review the page again.")
    return _add(session, campaign, author, body, label=item.problem, fingerprint=fingerprint)


def comment_on_section(session: Session, campaign: Campaign, section_id: int, body: str, author: User) -> ReviewComment:
    """Start a thread on one of the campaign's sections."""
    section = next((section for section in campaign.sections if section.id == section_id), None)
    if section is None:
        raise CommentError("That section is no longer in the campaign; review the page again.")
    label = f"Section \u201c{section.heading}\u201d" if section.heading else f"Section {section.position + 1}"
    return _add(session, campaign, author, body, label=label, section_id=section.id)


def reply_to(session: Session, campaign: Campaign, comment_id: int, body: str, author: User) -> ReviewComment:
    """Answer a comment of this campaign; the reply goes at the end of the comment's thread."""
    comment = session.get(ReviewComment, comment_id)
    if comment is None or comment.campaign_id != campaign.id:
        raise CommentError("That comment is not on this campaign.")
    root = session.get(ReviewComment, comment.parent_id) if comment.parent_id else comment
    return _add(
        session,
        campaign,
        author,
        body,
        label=root.target_label,
        parent=root,
        fingerprint=root.fingerprint,
        section_id=root.section_id,
    )


def threads_of(session: Session, campaign: Campaign) -> list[ReviewComment]:
    """The campaign's threads (first comments, their `replies` loaded), oldest first."""
    if campaign.id is None:
        return []
    return list(
        session.scalars(
            select(ReviewComment)
            .where(ReviewComment.campaign_id == campaign.id, ReviewComment.parent_id.is_(None))
            .options(selectinload(ReviewComment.replies))
            .order_by(ReviewComment.id)
        )
    )


def threads_by_target(threads: list[ReviewComment]) -> dict[str, list[ReviewComment]]:
    """Threads grouped by where they are shown: "finding:<fingerprint>" or "section:<id>"."""
    grouped: dict[str, list[ReviewComment]] = defaultdict(list)
    for thread in threads:
        grouped[thread.target].append(thread)
    return dict(grouped)


def _add(
    session: Session,
    campaign: Campaign,
    author: User,
    body: str,
    *,
    label: str,
    parent: ReviewComment | None = None,
    fingerprint: str | None = None,
    section_id: int | None = None,
) -> ReviewComment:
    body = body.strip()
    if not body:
        raise CommentError("Write the comment before sending it.")
    if len(body) > MAX_COMMENT_LENGTH:
        raise CommentError(f"Keep a comment under {MAX_COMMENT_LENGTH} characters (this one has {len(body)}).")
    comment = ReviewComment(
        campaign_id=campaign.id,
        parent_id=parent.id if parent else None,
        fingerprint=fingerprint,
        section_id=section_id,
        target_label=label[:300],
        body=body,
        author_id=author.id,
        author_label=author.name,
    )
    session.add(comment)
    if parent is not None:
        parent.replies.append(comment)
    action = "comment:replied" if parent else "comment:added"
    audit.record(session, action, actor=author, campaign=campaign, detail=f"{label}: {body}")
    session.flush()
    return comment
