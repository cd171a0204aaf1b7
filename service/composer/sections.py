"""Sections: a campaign's own copy of a snippet's text, and what changed in the snippet since it was copied."""

import difflib
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Article, Campaign, EmailIssue, Section, Snippet

HEADING_MAX = 300


def text_fingerprint(heading: str, body: str) -> str:
    """A hash of a snippet's words: a section copied from it remembers this to notice a re-import's changes."""
    return hashlib.sha256(f"{heading.strip()}\n{body.strip()}".encode()).hexdigest()


def section_from_snippet(snippet: Snippet) -> Section:
    return Section(
        heading=snippet.heading,
        body=snippet.body,
        source_snippet_id=snippet.id,
        source_fingerprint=text_fingerprint(snippet.heading, snippet.body),
    )


def validate_section(heading: str, body: str) -> dict[str, str]:
    errors = {}
    heading = heading.strip()
    if not heading:
        errors["heading"] = "Give the section a heading."
    elif "\n" in heading or "\r" in heading:
        errors["heading"] = "The heading must be a single line."
    elif len(heading) > HEADING_MAX:
        errors["heading"] = f"Keep the heading under {HEADING_MAX} characters."
    if not body.strip():
        errors["body"] = "The section needs some text."
    return errors


@dataclass(frozen=True)
class SourceChange:
    """The snippet a section was copied from has different words now (its article was re-imported)."""

    snippet: Snippet
    diff: list[tuple[str, str]]  # (kind, text): kind is "same", "added" or "removed", word by word


def latest_version_of(session: Session, snippet: Snippet) -> Snippet:
    """The same snippet in the newest import of its article: an article imported again from the same file (or,
    without a file name, with the same title) is a new version of it. Its snippet is the one with the same heading,
    else the one at the same position; the snippet itself when there is no newer import or no counterpart."""
    article = snippet.article
    same_source = Article.source_name == article.source_name if article.source_name else Article.title == article.title
    newer = session.scalar(
        select(Article).where(Article.id > article.id, same_source).order_by(Article.id.desc()).limit(1)
    )
    if newer is None:
        return snippet
    wanted = " ".join(snippet.heading.split()).casefold()
    by_heading = [s for s in newer.snippets if " ".join(s.heading.split()).casefold() == wanted]
    if by_heading:
        return by_heading[0]
    return next((s for s in newer.snippets if s.position == snippet.position), snippet)


def source_change(session: Session, section: Section) -> SourceChange | None:
    """What changed in the section's source snippet (or its article's newer import) since it was copied, or None
    (no source, or the same words)."""
    if section.source_snippet_id is None:
        return None
    snippet = session.get(Snippet, section.source_snippet_id)
    if snippet is None:
        return None
    snippet = latest_version_of(session, snippet)
    if text_fingerprint(snippet.heading, snippet.body) == section.source_fingerprint:
        return None
    return SourceChange(
        snippet, word_diff(f"{section.heading}\n\n{section.body}", f"{snippet.heading}\n\n{snippet.body}")
    )


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """An inline diff, word by word (whitespace kept with the word before it)."""
    old, new = _words(before), _words(after)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            out.append(("removed", "".join(old[i1:i2])))
        if j2 > j1:
            out.append(("added", "".join(new[j1:j2])))
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


def take_new_text(section: Section, snippet: Snippet) -> None:
    """Replace the section's words with its source snippet's current ones (the person asked for it)."""
    section.heading, section.body = snippet.heading, snippet.body
    section.source_snippet_id = snippet.id
    section.source_fingerprint = text_fingerprint(snippet.heading, snippet.body)


def campaigns_using(session: Session, snippet_id: int) -> list[Campaign]:
    """The campaigns with a section copied from this snippet, oldest first."""
    return list(
        session.scalars(
            select(Campaign)
            .join(EmailIssue, EmailIssue.campaign_id == Campaign.id)
            .join(Section, Section.issue_id == EmailIssue.id)
            .where(Section.source_snippet_id == snippet_id)
            .distinct()
            .order_by(Campaign.id)
        )
    )


def campaigns_by_snippet(session: Session, snippet_ids: list[int]) -> dict[int, list[Campaign]]:
    """For each snippet id, the campaigns with a section copied from it (for the article page)."""
    rows = session.execute(
        select(Section.source_snippet_id, Campaign)
        .join(EmailIssue, EmailIssue.id == Section.issue_id)
        .join(Campaign, Campaign.id == EmailIssue.campaign_id)
        .where(Section.source_snippet_id.in_(snippet_ids))
        .order_by(Campaign.id)
    ).all()
    found: dict[int, list[Campaign]] = {}
    for snippet_id, campaign in rows:
        if campaign not in found.setdefault(snippet_id, []):
            found[snippet_id].append(campaign)
    return found
