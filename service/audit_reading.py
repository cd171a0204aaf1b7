"""The audit log as a person reads it: actions in words, and a send's repeated status changes as one entry.

The log itself stays as written (one row per change, codes such as `campaign:test-send`); this is only its reading.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.models import AuditEntry

ACTION_LABELS = {
    "created": "Created a campaign",
    "edited": "Edited a campaign",
    "campaign:test-send": "Sent a test email",
    "campaign:drafted-from-feed": "Made a draft from a new blog post",
    "snippet:edited": "Edited a snippet's text",
    "finding:accepted": "Accepted a warning",
    "comment:added": "Commented on a finding or section",
    "comment:replied": "Replied to a review comment",
    "findings:acceptances-cleared": "Accepted warnings cleared (their text changed)",
    "approval:self": "Approved their own campaign (self-approval is allowed)",
    "batches:uncertain": "Batches marked uncertain",
    "batch:resend": "Asked to resend an uncertain batch",
    "batch:resending": "Resent an uncertain batch",
    "batch:marked-delivered": "Marked an uncertain batch delivered",
    "message:failed": "A message failed",
    "message:rescheduled": "A message was rescheduled",
    "post:found": "Found an uncertain post on X",
    "post:skipped": "Skipped a post",
    "feed-recipe:edited": "Edited the blog feed recipe",
    "subscribers:exported": "Exported the subscribers",
    "subscribers:imported": "Imported subscribers",
    "subscribers:purged_pending": "Deleted unconfirmed signups",
    "welcome_email:saved": "Edited the welcome email",
    "login:failed": "Sign-in refused",
    "account:created": "Account created",
    "account:invited": "Invited someone to the team",
    "account:invitation-resent": "Sent an invitation again",
    "account:invitation-accepted": "Joined the team",
    "account:role-changed": "Changed a role",
    "account:deactivated": "Deactivated an account",
    "account:reactivated": "Reactivated an account",
    "account:password-changed": "Changed a password",
    "account:password-reset": "Reset a forgotten password",
    "account:password-reset-requested": "Password reset link requested",
    "account:two-factor-on": "Turned two-factor sign-in on",
    "account:two-factor-off": "Turned two-factor sign-in off",
    "account:recovery-code-used": "Signed in with a recovery code",
    "account:review-emails-on": "Turned review emails on",
    "account:review-emails-off": "Turned review emails off",
    "finding:linked": "Linked a finding to a claims-library claim",
    "library:proposed": "Proposed a claims-library claim",
    "library:change-proposed": "Proposed a change to a claims-library claim",
    "library:approved": "Approved a claims-library claim (second reviewer)",
    "library:rejected": "Rejected a claims-library proposal",
    "library:retired": "Retired a claims-library claim",
    "library:seeded": "Loaded a shipped claims-library claim",
    "references:on": "Library references shown in the email footer",
    "references:off": "Library references removed from the email footer",
}
# What a person did to a campaign's status, in words; any other change reads "Status: before → after".
STATUS_LABELS = {
    "draft->in_review": "Submitted for review",
    "in_review->approved": "Approved",
    "in_review->draft": "Sent back to the author",
    "approved->scheduled": "Scheduled",
    "scheduled->paused": "Paused",
    "sending->paused": "Paused",
    "paused->scheduled": "Resumed",
}
# The worker moves a campaign scheduled -> sending -> scheduled at every message it sends: one entry to read.
SEND_LOOP_ACTIONS = frozenset({"status:scheduled->sending", "status:sending->scheduled"})


def describe(action: str) -> str:
    """A person's reading of an action code: "campaign:test-send" is "Sent a test email"."""
    if action.startswith("status:") and "->" in action:
        change = action.removeprefix("status:")
        before, after = change.split("->", 1)
        words = f"{before.replace('_', ' ')} \u2192 {after.replace('_', ' ')}"
        label = "Cancelled" if after == "cancelled" else STATUS_LABELS.get(change)
        return f"{label} ({words})" if label else f"Status: {words}"
    if action.startswith("message:") and action not in ACTION_LABELS:
        return f"A message became {action.removeprefix('message:')}"
    return ACTION_LABELS.get(action, action)


@dataclass(frozen=True)
class LogLine:
    """One line of the page: an entry, or a run of a send's status changes read as one."""

    entry: AuditEntry
    what: str
    repeats: int = 1
    first_at: datetime | None = None  # the earliest of a run (entry.at is its latest)


def read_entries(entries: Sequence[AuditEntry]) -> list[LogLine]:
    """Entries newest first, with each run of one campaign's send-loop changes folded into one line."""
    lines: list[LogLine] = []
    for entry in entries:
        previous = lines[-1] if lines else None
        if (
            previous is not None
            and entry.action in SEND_LOOP_ACTIONS
            and previous.entry.action in SEND_LOOP_ACTIONS
            and previous.entry.campaign_id == entry.campaign_id
        ):
            lines[-1] = LogLine(previous.entry, _sending(previous.repeats + 1), previous.repeats + 1, entry.at)
        elif entry.action in SEND_LOOP_ACTIONS:
            lines.append(LogLine(entry, _sending(1), 1, entry.at))
        else:
            lines.append(LogLine(entry, describe(entry.action)))
    return lines


def _sending(changes: int) -> str:
    if changes == 1:
        return "Sending (the worker took or finished a message)"
    return f"Sending: {changes} status changes between scheduled and sending, one per message sent"


def action_choices(codes: Sequence[str]) -> list[tuple[str, str]]:
    """(code, words) for the action filter, in the order of the words."""
    return sorted(((code, describe(code)) for code in set(codes)), key=lambda choice: choice[1])
