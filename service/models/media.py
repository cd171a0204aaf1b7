"""The media library: uploaded images, verified, resized and stripped of metadata (see service/media/)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.models.base import UTCDateTime, utcnow

MEDIA_FORMATS = ("jpeg", "png", "webp", "gif")
MEDIA_SIZES = ("1x", "2x")
_EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif"}
_MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


class Media(db.Model):
    """One image of the library, stored as two files named by their own content (SHA-256 of their bytes).

    `file_1x` is at most 1200 px wide, `file_2x` at most 2400 px wide and never upscaled: for an original narrower
    than 2400 px the 2x file is the original's own size, and for one of 1200 px or less both names are the same file.
    Build public addresses with `url(size, base_url)` (`service.media.urls.media_base_url(config)` gives the base).
    """

    __tablename__ = "media"
    __table_args__ = (CheckConstraint(f"format IN {MEDIA_FORMATS}", name="format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the uploaded bytes: the same file uploaded twice is the same library image.
    source_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # The name the file had on the marketer's computer, for the library page only (never part of a path or URL).
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    alt_text: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(10))
    file_1x: Mapped[str] = mapped_column(String(80))
    width_1x: Mapped[int]
    height_1x: Mapped[int]
    bytes_1x: Mapped[int]
    file_2x: Mapped[str] = mapped_column(String(80))
    width_2x: Mapped[int]
    height_2x: Mapped[int]
    bytes_2x: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def mime_type(self) -> str:
        return _MIME_TYPES[self.format]

    def file_name(self, size: str = "1x") -> str:
        """The stored file's name for `size` ("1x" or "2x"): `<sha256 of its bytes>.<extension>`."""
        if size not in MEDIA_SIZES:
            raise ValueError(f"size must be one of {', '.join(MEDIA_SIZES)}, not {size!r}")
        return self.file_1x if size == "1x" else self.file_2x

    def url(self, size: str = "1x", *, base_url: str) -> str:
        """The stable public address of the `size` file under `base_url` (MEDIA_BASE_URL or PUBLIC_BASE_URL/media)."""
        return f"{base_url.rstrip('/')}/{self.file_name(size)}"

    def srcset(self, *, base_url: str) -> str:
        """An `<img srcset>` value: the 1x file, and the 2x file when it is sharper."""
        if self.file_2x == self.file_1x:
            return f"{self.url('1x', base_url=base_url)} 1x"
        return f"{self.url('1x', base_url=base_url)} 1x, {self.url('2x', base_url=base_url)} 2x"


def extension_for(image_format: str) -> str:
    return _EXTENSIONS[image_format]
