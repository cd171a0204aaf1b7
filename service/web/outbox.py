"""The development outbox, as the worker left it: emails (HTML and text) and posts, newest first.

It shows every recipient's address and link (confirmation links included), so only admins see it, and it is not
mounted at all in production (see service.web.register)."""

from datetime import datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template

from service.channels.social.outbox import OutboxSocialChannel
from service.web.auth import roles_required
from service.web.security_headers import embedded_email_headers

blueprint = Blueprint("outbox", __name__, url_prefix="/outbox")

PAGE_SIZE = 100
# Headers holding a time: shown in the clinic's time as well.
TIME_HEADERS = ("Date", "X-Tidings-Send-At")


def _folder(kind: str) -> Path:
    return Path(current_app.config["OUTBOX_DIR"]) / kind


def _read_email(path: Path):
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def _instant(header) -> datetime | None:
    """An email date header as an aware datetime; None when absent or unreadable."""
    try:
        return parsedate_to_datetime(str(header)) if header else None
    except (TypeError, ValueError):
        return None


def _part(message, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    return body.get_content() if body is not None else ""


@blueprint.get("")
@roles_required("admin")
def index():
    emails = []
    for path in sorted(_folder("email").glob("*.eml"), reverse=True)[:PAGE_SIZE]:
        message = _read_email(path)
        emails.append(
            {
                "name": path.stem,
                "subject": message["Subject"],
                "to": message["To"],
                "date": _instant(message["Date"]),
                # Handed over ahead of its send time: when it is delivered (see service/channels/email/outbox.py).
                "send_at": _instant(message["X-Tidings-Send-At"]),
            }
        )
    threads = OutboxSocialChannel(current_app.config["OUTBOX_DIR"]).threads(limit=PAGE_SIZE)
    return render_template(
        "outbox/index.html", emails=emails, threads=threads, timezone=current_app.config["CLINIC_TIMEZONE"]
    )


def _email_path(name: str) -> Path:
    path = _folder("email") / f"{name}.eml"
    # Names come from the listing; anything with a path separator is not one of ours.
    if "/" in name or "\\" in name or not path.is_file():
        abort(404)
    return path


@blueprint.get("/email/<name>")
@roles_required("admin")
def show_email(name: str):
    message = _read_email(_email_path(name))
    headers = [(key, value, _instant(value) if key in TIME_HEADERS else None) for key, value in message.items()]
    return render_template(
        "outbox/email.html",
        name=name,
        headers=headers,
        text=_part(message, "plain"),
        timezone=current_app.config["CLINIC_TIMEZONE"],
    )


@blueprint.get("/email/<name>/body.html")
@roles_required("admin")
def email_html(name: str):
    html = _part(_read_email(_email_path(name)), "html")
    return html, 200, embedded_email_headers()
