"""Two-factor sign-in: TOTP codes from an authenticator app (RFC 6238), and single-use recovery codes.

A secret is kept on the account only once its owner has proved a code from it. A code is accepted once: the time
step it was made for is remembered, so a code seen over someone's shoulder cannot sign in a second time.
"""

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.models import RecoveryCode, User

ISSUER = "Tidings"
RECOVERY_CODE_COUNT = 10
# One step either side: the phone's clock and ours may differ by up to 30 seconds.
VALID_WINDOW = 1


class TwoFactorError(ValueError):
    """The code is wrong or was used already; the message is for a person."""


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an SVG document (served as an image: no inline script, nothing to escape)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    code = "".join(code.split())
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enable(session: Session, user: User, secret: str, code: str, now: datetime) -> list[str]:
    """Turn two-factor sign-in on with `secret` once `code` proves the owner's app has it. Returns the ten
    recovery codes, shown once and kept only as hashes."""
    step = _matching_step(secret, code, now)
    if step is None:
        raise TwoFactorError("That code does not match. Check the time on your phone and try the next code.")
    user.totp_secret, user.totp_last_step = secret, step
    codes = replace_recovery_codes(session, user)
    audit.record(session, "account:two-factor-on", actor=user, detail=f"account #{user.id}")
    return codes


def verify(session: Session, user: User, code: str, now: datetime) -> None:
    """Accept a TOTP code or a recovery code once. Raises TwoFactorError."""
    code = code.strip()
    if not user.has_totp:
        raise TwoFactorError("Two-factor sign-in is not set up for this account.")
    step = _matching_step(user.totp_secret, code, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            raise TwoFactorError("That code was used already; wait for the next one.")
        user.totp_last_step = step
        return
    if not _use_recovery_code(session, user, code, now):
        raise TwoFactorError("That code is not valid.")
    audit.record(session, "account:recovery-code-used", actor=user, detail=f"account #{user.id}")


def _recovery_code_hash(code: str) -> str:
    # 64 random bits each: a plain SHA-256 cannot be reversed by guessing, and needs no slow password hash.
    return hashlib.sha256("".join(code.split()).replace("-", "").lower().encode()).hexdigest()


def replace_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new single-use codes (the old ones stop working); returns them for showing once."""
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_code_hash(code)))
    return codes


def _use_recovery_code(session: Session, user: User, code: str, now: datetime) -> bool:
    stored = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if stored is None:
        return False
    stored.used_at = now
    return True


def unused_recovery_codes(session: Session, user: User) -> int:
    query = select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return len(session.scalars(query).all())


def disable(session: Session, user: User, actor: User | None) -> None:
    user.totp_secret, user.totp_last_step = None, None
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    audit.record(session, "account:two-factor-off", actor=actor, detail=f"account #{user.id}")
