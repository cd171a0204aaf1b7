"""A message's status: every change of it goes through `move_message`, which refuses one not in `TRANSITIONS`.

The claims (service/worker/claims.py) make two of these moves in SQL, as compare-and-set UPDATEs that only one
worker can win: planned, paused or abandoned-sending -> sending, and planned -> missed.
"""

from service.models import Message
from service.models.statuses import MessageStatus

M = MessageStatus
TRANSITIONS: dict[MessageStatus, frozenset[MessageStatus]] = {
    M.PLANNED: frozenset({M.SENDING, M.MISSED, M.CANCELLED}),
    # A send stops: finished, refused, in doubt, halted with its campaign, or (a post) put off until a rate limit ends.
    M.SENDING: frozenset({M.SENT, M.FAILED, M.UNCERTAIN, M.PAUSED, M.CANCELLED, M.PLANNED}),
    M.PAUSED: frozenset({M.SENDING, M.CANCELLED}),
    # What a person decides: send it now (planned again) or skip it.
    M.MISSED: frozenset({M.PLANNED, M.CANCELLED}),
    # An email goes on once its uncertain batches are decided; a post is resent (planned) or skipped.
    M.UNCERTAIN: frozenset({M.SENDING, M.PLANNED, M.CANCELLED}),
    M.FAILED: frozenset({M.PLANNED}),
    # A sent email is reopened for a batch a person asked to resend, or paused with its campaign when its batches
    # handed over ahead of their send time are cancelled at SendGrid (service/campaigns/withdrawal.py).
    M.SENT: frozenset({M.SENDING, M.PAUSED}),
    M.CANCELLED: frozenset(),
}


class MessageTransitionError(ValueError):
    """A change of a message's status that is not allowed (a bug: callers check what a person may do first)."""


def move_message(message: Message, status: MessageStatus) -> None:
    """Set the message's status. Staying in the same status is no change and always allowed."""
    before = MessageStatus(message.status)
    if status != before and status not in TRANSITIONS[before]:
        raise MessageTransitionError(f"message {message.id}: {before} cannot become {status}")
    message.status = status
