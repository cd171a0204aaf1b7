"""Adding images to the media library and listing it. No Flask here: the web page and any other caller pass values."""

import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.media.images import EncodedImage, ImageRejected, prepare_image
from service.models.media import Media, extension_for

MAX_ALT_TEXT = 1000


class MediaUploadError(ValueError):
    """An upload the library refuses (not an image, too big, damaged, no alt text); the message is for the form.
    `field` names what is wrong: "file" or "alt_text". Nothing was stored."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message)
        self.field = field


def store_upload(
    session: Session,
    file_bytes: bytes,
    filename: str,
    alt_text: str,
    *,
    media_dir: str | Path,
    uploaded_by=None,
) -> Media:
    """Verify `file_bytes` by decoding it, write its 1x and 2x files under `media_dir`, and add a Media row.

    The same image uploaded again (same bytes) returns the existing row, with this alt text. Raises MediaUploadError
    before anything is written. The caller commits.
    """
    alt = " ".join((alt_text or "").split())
    if not alt:
        raise MediaUploadError("Describe the image for people who cannot see it (alt text is required).", "alt_text")
    if len(alt) > MAX_ALT_TEXT:
        raise MediaUploadError(f"Keep the alt text under {MAX_ALT_TEXT} characters.", "alt_text")
    try:
        prepared = prepare_image(file_bytes)
    except ImageRejected as error:
        raise MediaUploadError(str(error), "file") from error
    existing = session.scalar(select(Media).where(Media.source_sha256 == prepared.source_sha256))
    if existing is not None:
        existing.alt_text = alt
        return existing
    extension = extension_for(prepared.format)
    name_1x = _write(Path(media_dir), prepared.one_x, extension)
    name_2x = _write(Path(media_dir), prepared.two_x, extension)
    media = Media(
        source_sha256=prepared.source_sha256,
        original_filename=Path(filename or "").name[:255],
        alt_text=alt,
        format=prepared.format,
        file_1x=name_1x,
        width_1x=prepared.one_x.width,
        height_1x=prepared.one_x.height,
        bytes_1x=len(prepared.one_x.data),
        file_2x=name_2x,
        width_2x=prepared.two_x.width,
        height_2x=prepared.two_x.height,
        bytes_2x=len(prepared.two_x.data),
        uploaded_by_id=getattr(uploaded_by, "id", None),
    )
    session.add(media)
    session.flush()
    return media


def _write(directory: Path, image: EncodedImage, extension: str) -> str:
    """Write once under the content's own hash; an existing file of that name already holds these very bytes."""
    name = f"{image.sha256}.{extension}"
    target = directory / name
    if target.exists():
        return name
    directory.mkdir(parents=True, exist_ok=True)
    # Written whole to a temporary name, then renamed: a reader never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(image.data)
        os.chmod(temporary, 0o644)  # served by the web process, and perhaps copied to a CDN by another user
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def library_images(session: Session) -> list[Media]:
    """The library, newest first."""
    return list(session.scalars(select(Media).order_by(Media.uploaded_at.desc(), Media.id.desc())))
