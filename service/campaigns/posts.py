"""Editing a campaign's posts on X: each section's post, or each part of its thread, with up to four images.

The template's draft stays in force until someone saves an edit; an edit identical to the draft (and with no
images) is dropped, so the post follows the template again. Saving sends an approved or scheduled campaign back
to draft, like any edit: what was reviewed is no longer what goes out.
"""

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.campaigns import lifecycle
from service.channels.social.base import MAX_IMAGES_PER_POST
from service.models import Campaign, Media, PostDraft, Section, User
from service.outgoing.posts import drafted_parts, post_draft_for
from service.rendering.clinic import ClinicInfo
from service.rendering.post_length import MAX_POST_LENGTH, weighted_length
from service.text_input import normalised_line_breaks

MAX_PARTS = 25
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class PartInput:
    """One part as typed: its text and the library images chosen for it (Media ids, in order)."""

    text: str
    media_ids: list[int] = field(default_factory=list)


class PostDraftError(ValueError):
    """What is wrong, by part index (None: the thread as a whole). Nothing was saved."""

    def __init__(self, errors: dict[int | None, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def save_post_draft(
    session: Session, campaign: Campaign, section: Section, parts: list[PartInput], editor: User, clinic: ClinicInfo
) -> PostDraft | None:
    """Save the thread as typed (blank parts are dropped). Returns the saved edit, or None when it is the template's
    draft again. Raises PostDraftError, or LifecycleError when the campaign can no longer be edited."""
    kept = kept_parts(parts)
    _check(session, campaign, section, kept)
    lifecycle.mark_edited(session, campaign, editor)
    draft = post_draft_for(session, campaign, section)
    if [part.text for part in kept] == drafted_parts(campaign, section, clinic) and not any(p.media_ids for p in kept):
        if draft is not None:
            session.delete(draft)
        return None
    if draft is None:
        draft = PostDraft(campaign_id=campaign.id, section_id=section.id)
        session.add(draft)
    draft.parts = [{"text": part.text, "media_ids": part.media_ids} for part in kept]
    draft.updated_by_id = editor.id
    session.flush()
    return draft


def kept_parts(parts: list[PartInput]) -> list[PartInput]:
    """The parts as saving keeps them: blank ones dropped, each text tidied (see `tidy_post_text`)."""
    return [PartInput(tidy_post_text(part.text), list(part.media_ids)) for part in parts if part.text.strip()]


def tidy_post_text(text: str) -> str:
    """A post as typed, with its line breaks (X shows them; a list or a sign-off on its own line reads better):
    runs of spaces within a line made one, blank lines at the ends dropped and at most one blank line in a row."""
    lines = [" ".join(line.split()) for line in normalised_line_breaks(text).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _check(session: Session, campaign: Campaign, section: Section, parts: list[PartInput]) -> None:
    if section not in campaign.sections:
        raise PostDraftError({None: "This section is not part of the campaign."})
    errors: dict[int | None, str] = {}
    if not parts:
        errors[None] = "Write at least one post."
    if len(parts) > MAX_PARTS:
        errors[None] = f"A thread can have at most {MAX_PARTS} posts here."
    wanted = {media_id for part in parts for media_id in part.media_ids}
    known = set(session.scalars(select(Media.id).where(Media.id.in_(wanted)))) if wanted else set()
    for index, part in enumerate(parts):
        length = weighted_length(part.text)
        if length > MAX_POST_LENGTH:
            errors[index] = f"This post is {length} characters as X counts them; the limit is {MAX_POST_LENGTH}."
        elif len(part.media_ids) > MAX_IMAGES_PER_POST:
            errors[index] = f"A post can carry at most {MAX_IMAGES_PER_POST} images."
        elif set(part.media_ids) - known:
            errors[index] = "An image chosen for this post is no longer in the library."
    if errors:
        raise PostDraftError(errors)


def reset_post_draft(session: Session, campaign: Campaign, section: Section, editor: User) -> None:
    """Drop the edit: the campaign's template makes this section's posts again. Raises LifecycleError."""
    draft = post_draft_for(session, campaign, section)
    if draft is None:
        return
    lifecycle.mark_edited(session, campaign, editor)
    session.delete(draft)
