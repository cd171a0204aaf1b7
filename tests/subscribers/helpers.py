"""Reading what subscribers receive (the outbox) and the links in it, as a subscriber's mail client would."""

import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

LINK = re.compile(r"https?://[^\s\"'<>]+")
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


def outbox_emails(app) -> list[EmailMessage]:
    folder = Path(app.config["OUTBOX_DIR"]) / "email"
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def emails_to(app, address: str) -> list[EmailMessage]:
    return [message for message in outbox_emails(app) if message["To"] == address]


def emails_arriving(app, address: str, count: int = 1, timeout: float = 10) -> list[EmailMessage]:
    """The emails to `address` once there are `count` of them: a live server sends signup emails just after its
    answer, so a client that looks at once may be a moment early."""
    deadline = time.monotonic() + timeout
    while len(found := emails_to(app, address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def link_in(message: EmailMessage, path_start: str) -> str:
    """The first link in the text part whose path starts with `path_start` (e.g. "/confirm/")."""
    for url in LINK.findall(text_of(message)):
        if re.match(rf"https?://[^/]+{re.escape(path_start)}", url):
            return url
    raise AssertionError(f"no {path_start} link in the email")


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def list_unsubscribe_url(message: EmailMessage) -> str:
    return message["List-Unsubscribe"].strip().strip("<>")
