"""Issues (one email each) and their sections: making them, and editing what the composer sends back.

A one-off campaign has one issue; a drip or weekly campaign has one issue per step. Each issue has its own subject
(with the placeholders of service/composer/placeholders.py) and preheader, an optional intro, ordered sections, an
optional call to action (label + URL) and an optional sign-off.
"""

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.composer.placeholders import PlaceholderError, check_placeholders
from service.composer.sections import section_from_snippet, validate_section
from service.models import Campaign, EmailIssue, Media, Section, Snippet

PREHEADER_HINT = (40, 100)  # inboxes show about this many characters of the preview line
PREHEADER_MAX = 200
SUBJECT_MAX = 200
CTA_LABEL_MAX = 100
_HEADER_BREAK = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029\x00]")
_WEB_ADDRESS = re.compile(r"https?://[^\s]+$")


def issues_from_snippets(snippets: list[Snippet], *, subject: str, steps: bool) -> list[EmailIssue]:
    """A new campaign's issues: one issue of all the snippets, or (steps) one issue per snippet."""
    groups = [[snippet] for snippet in snippets] if steps else [snippets]
    issues = []
    for position, group in enumerate(groups):
        issue = EmailIssue(position=position, subject=subject, preheader="", intro="", cta_label="", cta_url="")
        issue.sign_off = ""
        issue.sections = [_positioned(section_from_snippet(snippet), index) for index, snippet in enumerate(group)]
        issues.append(issue)
    return issues


def copied_issues(issues: list[EmailIssue]) -> list[EmailIssue]:
    """New issues with the text, images and order of `issues` as composed (for a duplicated campaign). Each
    section keeps its source snippet and fingerprint, so a later re-import is offered to the copy too."""
    return [
        EmailIssue(
            position=issue.position,
            subject=issue.subject,
            preheader=issue.preheader,
            intro=issue.intro,
            cta_label=issue.cta_label,
            cta_url=issue.cta_url,
            sign_off=issue.sign_off,
            hero_media_id=issue.hero_media_id,
            sections=[
                Section(
                    position=section.position,
                    heading=section.heading,
                    body=section.body,
                    source_snippet_id=section.source_snippet_id,
                    source_fingerprint=section.source_fingerprint,
                    media_id=section.media_id,
                )
                for section in issue.sections
            ],
        )
        for issue in issues
    ]


def _positioned(section: Section, position: int) -> Section:
    section.position = position
    return section


@dataclass
class SectionInput:
    heading: str
    body: str
    # The section this one was (None: a new one); a new one may start from a snippet.
    id: int | None = None
    snippet_id: int | None = None
    media_id: int | None = None  # an image of the media library (its alt text goes with it)


@dataclass
class IssueInput:
    """What the composer sends for one email; sections in the order they go out."""

    subject: str = ""
    preheader: str = ""
    intro: str = ""
    cta_label: str = ""
    cta_url: str = ""
    sign_off: str = ""
    hero_media_id: int | None = None
    sections: list[SectionInput] = field(default_factory=list)


class IssueInputError(ValueError):
    """Invalid composer input; `errors` maps field names ("subject", "sections.2.body") to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def validate_issue(data: IssueInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    subject = data.subject.strip()
    if _HEADER_BREAK.search(data.subject):
        errors["subject"] = "The subject must be a single line."
    elif not subject:
        errors["subject"] = "An email needs a subject."
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = f"Keep the subject under {SUBJECT_MAX} characters."
    else:
        try:
            check_placeholders(subject)
        except PlaceholderError as error:
            errors["subject"] = str(error)
    if _HEADER_BREAK.search(data.preheader):
        errors["preheader"] = "The preheader must be a single line."
    elif len(data.preheader.strip()) > PREHEADER_MAX:
        errors["preheader"] = f"Keep the preheader under {PREHEADER_MAX} characters."
    label, url = data.cta_label.strip(), data.cta_url.strip()
    if label and not url:
        errors["cta_url"] = "A button needs the web address it opens."
    elif url and not _WEB_ADDRESS.match(url):
        errors["cta_url"] = "Enter a full web address starting with https://."
    elif url and not label:
        errors["cta_label"] = "Give the button a label."
    elif len(label) > CTA_LABEL_MAX or "\n" in label:
        errors["cta_label"] = f"Keep the label on one line, under {CTA_LABEL_MAX} characters."
    if not data.sections:
        errors["sections"] = "An email needs at least one section."
    for index, section in enumerate(data.sections):
        for name, message in validate_section(section.heading, section.body).items():
            errors[f"sections.{index}.{name}"] = message
    return errors


def save_issue(session: Session, issue: EmailIssue, data: IssueInput) -> None:
    """Validate and write the composer's input into the issue. Raises IssueInputError (nothing changed).

    The caller returns an approved campaign to review first (lifecycle.mark_edited) when `sections_changed`.
    """
    errors = validate_issue(data)
    wanted = {s.snippet_id for s in data.sections if s.snippet_id and s.id is None}
    snippets = {s.id: s for s in session.scalars(select(Snippet).where(Snippet.id.in_(wanted)))} if wanted else {}
    if wanted - set(snippets):
        errors["sections"] = "A chosen snippet no longer exists."
    images = {data.hero_media_id, *(s.media_id for s in data.sections)} - {None}
    if images and len(session.scalars(select(Media.id).where(Media.id.in_(images))).all()) != len(images):
        errors["sections"] = "A chosen image is no longer in the media library."
    known = {section.id for section in issue.sections}
    if any(s.id is not None and s.id not in known for s in data.sections):
        errors["sections"] = "A section was removed meanwhile; reload the page."
    if errors:
        raise IssueInputError(errors)
    _apply_issue(issue, data, snippets)
    # Positions are unique per issue: the kept sections move out of the way first, then everyone is numbered.
    session.flush()
    number_sections(issue)
    session.flush()


def _apply_issue(issue: EmailIssue, data: IssueInput, snippets: dict[int, Snippet]) -> None:
    """Write validated input into the issue: sections kept by id, new ones added, missing ones removed."""
    issue.subject, issue.preheader = data.subject.strip(), " ".join(data.preheader.split())
    issue.intro, issue.sign_off = data.intro.strip(), data.sign_off.strip()
    issue.cta_label, issue.cta_url = data.cta_label.strip(), data.cta_url.strip()
    issue.hero_media_id = data.hero_media_id
    existing = {section.id: section for section in issue.sections}
    ordered: list[Section] = []
    for section_input in data.sections:
        section = existing.pop(section_input.id, None) if section_input.id is not None else None
        if section is None:
            snippet = snippets.get(section_input.snippet_id) if section_input.snippet_id else None
            section = section_from_snippet(snippet) if snippet is not None else Section()
        section.heading = section_input.heading.strip()
        section.body = section_input.body.replace("\r\n", "\n").strip()
        section.media_id = section_input.media_id
        ordered.append(section)
    for offset, section in enumerate(ordered):
        section.position = -1 - offset
    issue.sections = ordered


def number_sections(issue: EmailIssue) -> None:
    for position, section in enumerate(issue.sections):
        section.position = position


def sections_changed(issue: EmailIssue, data: IssueInput) -> bool:
    """Whether saving `data` would change what the issue sends."""
    now = (
        issue.subject,
        issue.preheader,
        issue.intro,
        issue.cta_label,
        issue.cta_url,
        issue.sign_off,
        issue.hero_media_id,
    )
    new = (
        data.subject.strip(),
        " ".join(data.preheader.split()),
        data.intro.strip(),
        data.cta_label.strip(),
        data.cta_url.strip(),
        data.sign_off.strip(),
        data.hero_media_id,
    )
    sections_now = [(s.id, s.heading, s.body, s.media_id) for s in issue.sections]
    sections_new = [(s.id, s.heading.strip(), s.body.replace("\r\n", "\n").strip(), s.media_id) for s in data.sections]
    return now != new or sections_now != sections_new


def add_step(campaign: Campaign) -> EmailIssue:
    """A new, empty step at the end of a drip or weekly campaign (the caller returns it to draft first)."""
    issue = EmailIssue(position=len(campaign.issues), subject=campaign.email_subject, preheader="", intro="")
    issue.cta_label, issue.cta_url, issue.sign_off = "", "", ""
    campaign.issues.append(issue)
    return issue
