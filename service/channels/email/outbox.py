"""Development email channel: each recipient's copy is written as an .eml file the UI can show."""

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from service.channels.email.base import (
    EmailChannel,
    OutgoingEmail,
    Recipient,
    RequestObserver,
    apply_substitutions,
)


class OutboxEmailChannel(EmailChannel):
    def __init__(self, outbox_dir: str | Path, *, from_address: str, from_name: str):
        self.folder = Path(outbox_dir) / "email"
        self.from_header = formataddr((from_name, from_address))

    def send_batch(
        self, email: OutgoingEmail, recipients: list[Recipient], observer: RequestObserver | None = None
    ) -> str | None:
        self.folder.mkdir(parents=True, exist_ok=True)
        batch_id = uuid.uuid4().hex
        for number, recipient in enumerate(recipients):
            message = self._message_for(email, recipient)
            # Named by time and a random id, never by address: the folder listing is shown in the UI.
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            path = self.folder / f"{stamp}-{batch_id[:12]}-{number:04d}.eml"
            path.write_bytes(bytes(message))
        return f"outbox-{batch_id}"

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
