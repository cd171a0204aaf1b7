"""What the outbox channels sent, read back as a subscriber's mail client and X would see it (fixture `outbox`).

Like Django's `mail.outbox`, but over the real outbox channels: the email channel writes one .eml file per
recipient under OUTBOX_DIR/email, the social channel one JSON record per post under OUTBOX_DIR/posts.
"""

import json
import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

LINK = re.compile(r"https?://[^\s\"'<>]+")


class SentEmail(EmailMessage):
    """One recipient's copy of a sent email, with the parts tests ask about."""

    @property
    def to(self) -> str:
        return str(self["To"])

    @property
    def subject(self) -> str:
        return str(self["Subject"])

    @property
    def text(self) -> str:
        return self.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.get_body(("html",)).get_content()

    @property
    def list_unsubscribe_url(self) -> str:
        return self["List-Unsubscribe"].strip().strip("<>")

    def link(self, path_start: str) -> str:
        """The first link in the text part whose path starts with `path_start` (e.g. "/confirm/")."""
        for url in LINK.findall(self.text):
            if re.match(rf"https?://[^/]+{re.escape(path_start)}", url):
                return url
        raise AssertionError(f"no {path_start} link in the email")


class Outbox:
    """The emails and posts sent so far; every read looks at the folder afresh."""

    def __init__(self, outbox_dir: str | Path):
        self.folder = Path(outbox_dir)

    @property
    def emails(self) -> list[SentEmail]:
        """Every recipient's copy, in the order they were written."""
        parser = BytesParser(SentEmail, policy=policy.default)
        return [parser.parsebytes(path.read_bytes()) for path in sorted((self.folder / "email").glob("*.eml"))]

    def emails_to(self, address: str) -> list[SentEmail]:
        return [email for email in self.emails if email.to == address]

    def emails_arriving(self, address: str, count: int = 1, timeout: float = 10) -> list[SentEmail]:
        """The emails to `address` once there are `count` of them: a live server sends signup emails just after
        its answer, so a client that looks at once may be a moment early."""
        deadline = time.monotonic() + timeout
        while len(found := self.emails_to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    @property
    def posts(self) -> list[dict]:
        """Every post as its JSON record (`id`, `text`, `in_reply_to`, `created_at`), oldest first."""
        records = [json.loads(path.read_text("utf-8")) for path in (self.folder / "posts").glob("*.json")]
        return sorted(records, key=lambda record: int(record["id"]))
