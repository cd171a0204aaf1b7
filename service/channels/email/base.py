"""What every email channel offers, and the values it is given."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OutgoingEmail:
    """One rendered email, shared by a whole batch.

    `subject`, `html` and `text` may hold per-recipient placeholders (keys of Recipient.substitutions), replaced by
    the channel: SendGrid does it server-side from personalizations, the outbox does it while writing.
    """

    subject: str
    html: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    custom_args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    email: str
    substitutions: dict[str, str] = field(default_factory=dict)


class EmailSendError(Exception):
    """A batch could not be sent. `permanent` errors are not retried; the message is for the campaign page."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


class SendAbandoned(EmailSendError):
    """The channel gave up waiting to try again (the worker is stopping, or the wait would run too long). The
    provider did not take the batch (it answered "not now", or could not be reached), so the batch can go out later
    as if it had never been tried. `retry_after`: the seconds the provider asked to wait, when that is why."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message, permanent=False)
        self.retry_after = retry_after


class EmailChannel(ABC):
    @abstractmethod
    def send_batch(self, email: OutgoingEmail, recipients: list[Recipient]) -> str | None:
        """Send one email to every recipient, each getting their own copy. Returns the provider's id, if any.

        Raises EmailSendError when the batch was not accepted (after the channel's own retries).
        """


def apply_substitutions(text: str, substitutions: dict[str, str]) -> str:
    for key, value in substitutions.items():
        text = text.replace(key, value)
    return text
