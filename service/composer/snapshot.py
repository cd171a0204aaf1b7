"""The words of a campaign's emails as one text, so a review can show what changed since the last approval."""

from service.composer.sections import word_diff
from service.models import Campaign


def content_snapshot(campaign: Campaign) -> str:
    lines: list[str] = [f"Layout: {campaign.email_layout}"]
    for number, issue in enumerate(campaign.issues, start=1):
        lines += [f"Email {number}", f"Subject: {issue.subject or campaign.email_subject}"]
        lines += [f"Preheader: {issue.preheader}"] if issue.preheader else []
        lines += [f"Intro: {issue.intro}"] if issue.intro else []
        for section in issue.sections:
            lines += [f"## {section.heading}", section.body]
        lines += [f"Button: {issue.cta_label} -> {issue.cta_url}"] if issue.cta_label else []
        lines += [f"Sign-off: {issue.sign_off}"] if issue.sign_off else []
    return "\n\n".join(lines)


def changes_since_approval(campaign: Campaign) -> list[tuple[str, str]] | None:
    """The inline diff from the last approved words to the current ones; None if never approved or unchanged."""
    if not campaign.approved_content:
        return None
    current = content_snapshot(campaign)
    if current == campaign.approved_content:
        return None
    return word_diff(campaign.approved_content, current)
