"""Development email channel: each recipient's copy is written as an .eml file the UI can show.

A batch handed over ahead of its send time is written at once with its scheduled time in an `X-Tidings-Send-At`
header (the outbox page shows it); cancelling it deletes its files, as SendGrid would discard it."""

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from service.channels.email.base import (
    EmailChannel,
    HandOver,
    OutgoingEmail,
    Recipient,
    RequestObserver,
    apply_substitutions,
)


class OutboxEmailChannel(EmailChannel):
    hands_over = True

    def __init__(self, outbox_dir: str | Path, *, from_address: str, from_name: str):
        self.folder = Path(outbox_dir) / "email"
        self.from_header = formataddr((from_name, from_address))

    def send_batch(
        self,
        email: OutgoingEmail,
        recipients: list[Recipient],
        observer: RequestObserver | None = None,
        handover: HandOver | None = None,
    ) -> str | None:
        self.folder.mkdir(parents=True, exist_ok=True)
        batch_id = handover.batch_id if handover else uuid.uuid4().hex
        for number, recipient in enumerate(recipients):
            message = self._message_for(email, recipient)
            if handover:
                message["X-Tidings-Send-At"] = format_datetime(handover.send_at.astimezone(UTC))
            # Named by time and a random id, never by address: the folder listing is shown in the UI.
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            path = self.folder / f"{stamp}-{batch_id[:12]}-{number:04d}.eml"
            path.write_bytes(bytes(message))
        return f"outbox-{batch_id}"

    def new_handover_id(self) -> str:
        return uuid.uuid4().hex

    def cancel_handover(self, batch_id: str) -> None:
        for path in self.folder.glob(f"*-{batch_id[:12]}-*.eml"):
            path.unlink(missing_ok=True)

    def _message_for(self, email: OutgoingEmail, recipient: Recipient) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = apply_substitutions(email.subject, recipient.substitutions)
        message["From"] = self.from_header
        message["To"] = recipient.email
        message["Date"] = format_datetime(datetime.now(UTC))
        for name, value in email.headers.items():
            message[name] = apply_substitutions(value, recipient.substitutions)
        for name, value in email.custom_args.items():
            message[f"X-Tidings-{name.replace('_', '-').title()}"] = value
        message.set_content(apply_substitutions(email.text, recipient.substitutions))
        message.add_alternative(apply_substitutions(email.html, recipient.substitutions), subtype="html")
        return message
