"""What every email channel offers, and the values it is given."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


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


@dataclass(frozen=True)
class HandOver:
    """A batch given to the provider ahead of its send time: held until `send_at`, and cancellable until shortly
    before it by `batch_id` (one per request, so one request can be cancelled and sent again)."""

    batch_id: str
    send_at: datetime


class CancelRefused(Exception):
    """The provider did not confirm that a handed-over batch is cancelled; the message says why, for a person."""


class EmailSendError(Exception):
    """A batch could not be sent. `permanent` errors are not retried; the message is for the campaign page.
    `refused`: the provider answered (or could not be reached) and surely did not take the batch; False when that is
    not known (no answer came)."""

    def __init__(self, message: str, *, permanent: bool, refused: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.refused = refused or permanent

    def __reduce__(self):
        # Raised while a worker's encoding process builds a request, and raised again in the worker: the flags
        # must survive the pickle (the default would call __init__ with the message alone).
        return _rebuilt_error, (type(self), self.args, self.__dict__)


def _rebuilt_error(cls: type, args: tuple, state: dict) -> Exception:
    error = Exception.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class SendAbandoned(EmailSendError):
    """The channel gave up waiting to try again (the worker is stopping, or the wait would run too long). The
    provider did not take the batch (it answered "not now", or could not be reached), so the batch can go out later
    as if it had never been tried. `retry_after`: the seconds the provider asked to wait, when that is why."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message, permanent=False, refused=True)
        self.retry_after = retry_after


class RequestObserver:
    """Told by a channel what it learns between tries of one batch's request, so the caller can write it down
    before the channel waits (a process killed in the wait must not lose it). The default does nothing."""

    def refused(self, reason: str) -> None:
        """The provider answered and did not take the batch; the channel is about to wait and try again."""

    def retrying(self) -> None:
        """The channel is about to send the request again: from now on the provider may take the batch."""


class BatchEncoder(Protocol):
    """Builds a channel's request for one batch: pure work on plain, picklable values, so a worker can run it in a
    process of its own (see service/worker/batch_encoding.py)."""

    def encode(self, email: OutgoingEmail, recipients: list[Recipient]) -> str:
        """The request, ready to send (raises EmailSendError(permanent=True) for a batch the provider would refuse)."""
        ...


class EmailChannel(ABC):
    # Whether batches can be handed over ahead of their send time (new_handover_id, cancel_handover).
    hands_over = False

    @abstractmethod
    def send_batch(
        self,
        email: OutgoingEmail,
        recipients: list[Recipient],
        observer: RequestObserver | None = None,
        handover: HandOver | None = None,
    ) -> str | None:
        """Send one email to every recipient, each getting their own copy. Returns the provider's id, if any.

        Raises EmailSendError when the batch was not accepted (after the channel's own retries). `observer` hears of
        each refusal before the channel waits to retry, and of each retry before it leaves. With `handover`, the
        provider holds the batch until its send time.
        """

    def batch_encoder(self) -> BatchEncoder | None:
        """What builds this channel's requests, for `send_encoded`; None when send_batch builds its own."""
        return None

    def send_encoded(
        self, encoded: str, observer: RequestObserver | None = None, handover: HandOver | None = None
    ) -> str | None:
        """send_batch for a request `batch_encoder()` built."""
        raise NotImplementedError

    def new_handover_id(self) -> str:
        """A new id for one handed-over request (raises EmailSendError when the provider gives none)."""
        raise NotImplementedError

    def cancel_handover(self, batch_id: str) -> None:
        """Cancel a handed-over batch and wait for the provider to confirm it. Raises CancelRefused otherwise."""
        raise NotImplementedError


def apply_substitutions(text: str, substitutions: dict[str, str]) -> str:
    for key, value in substitutions.items():
        text = text.replace(key, value)
    return text
