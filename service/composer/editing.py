"""Saving what the marketer composed: one call that also returns an approved campaign to review.

Editing a section changes this campaign only (its own copy); a campaign that has started sending refuses
(LifecycleError, nothing changed). Accepted warnings and library links whose words changed are cleared.
"""

from collections.abc import Mapping

from sqlalchemy.orm import Session

from service import audit
from service.campaigns import lifecycle
from service.compliance.library import clear_stale_links
from service.compliance.review import clear_stale_acceptances, review_campaign
from service.composer.issues import IssueInput, SectionInput, save_issue, sections_changed
from service.models import Campaign, EmailIssue, Section, User


def issue_input_from(issue: EmailIssue) -> IssueInput:
    return IssueInput(
        subject=issue.subject,
        preheader=issue.preheader,
        intro=issue.intro,
        cta_label=issue.cta_label,
        cta_url=issue.cta_url,
        sign_off=issue.sign_off,
        hero_media_id=issue.hero_media_id,
        sections=[SectionInput(s.heading, s.body, id=s.id, media_id=s.media_id) for s in issue.sections],
    )


def save_composed_issue(
    session: Session, campaign: Campaign, issue: EmailIssue, data: IssueInput, editor: User, config: Mapping
) -> bool:
    """Save `data` into the issue. Returns False when nothing changed.

    Raises IssueInputError (field errors) or LifecycleError (the campaign cannot be edited now); either way the
    caller rolls back.
    """
    if not sections_changed(issue, data):
        return False
    lifecycle.mark_edited(session, campaign, editor)
    save_issue(session, issue, data)
    audit.record(session, "issue:edited", actor=editor, campaign=campaign, detail=f"email {issue.position + 1}")
    review = review_campaign(campaign, config)
    clear_stale_acceptances(session, campaign, review, editor)
    clear_stale_links(session, campaign, (item.fingerprint for item in review.findings))
    return True


def revise_section(
    session: Session, campaign: Campaign, section: Section, heading: str, body: str, editor: User, config: Mapping
) -> bool:
    """Change one section's words (this campaign only). Returns False when nothing changed."""
    data = issue_input_from(section.issue)
    for item in data.sections:
        if item.id == section.id:
            item.heading, item.body = heading, body
    return save_composed_issue(session, campaign, section.issue, data, editor, config)
