"""Marketer accounts."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from service.extensions import db
from service.models.base import UTCDateTime, utcnow

ROLES = ("admin", "marketer", "reviewer")
# Who may write campaigns, posts, media, the feed recipe and the subscriber list; who may review and keep the
# claims library. Admins are both.
EDITOR_ROLES = ("admin", "marketer")
REVIEWER_ROLES = ("admin", "reviewer")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), default="marketer")
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session's and remember cookie's id: raising it ends every session of this account at once.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Two-factor sign-in: the TOTP secret (base32), set once the account owner proved a code from it; the last
    # time step used, so one code signs in once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]
    # An invited account has no password until its owner follows the invitation link.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Emails about the review loop (a campaign submitted, sent back, approved); each person can turn them off.
    review_emails: Mapped[bool] = mapped_column(default=True, server_default=true())

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)

    def can_review(self) -> bool:
        return self.role in REVIEWER_ROLES

    def can_edit(self) -> bool:
        return self.role in EDITOR_ROLES

    # The four members Flask-Login expects, written out so the model needs nothing from Flask.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class RecoveryCode(db.Model):
    """A single-use code that signs in instead of a TOTP code (a lost phone), kept only as a password hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(256))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
