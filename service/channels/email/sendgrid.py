"""Production email channel: SendGrid's v3 Mail Send through the official client (`SendGridAPIClient`).

One request per batch: the rendered email once, and one personalization per recipient carrying that recipient's
values (substitutions for the body, and headers such as List-Unsubscribe that hold a per-recipient placeholder).
`MailSendBody` builds it (the worker may run that in another process, see service/worker/batch_encoding.py), and the
official client's HTTP client posts it as built.

What a failure means for the batch (the worker records it):
- 2xx: accepted; the X-Message-Id is returned.
- 429: wait as the rate-limit headers say, then try again; 5xx, or SendGrid unreachable (the request never left):
  exponential backoff with jitter. Both bounded by the retry policy; when retries run out, EmailSendError with
  permanent=False.
- No answer in time (read timeout), or the connection dropped after the request was sent: SendGrid may have
  accepted it, and a retry could deliver the batch twice, so it is NOT retried: EmailSendError(permanent=False) at
  once, and the worker flags the batch uncertain for a person.
- Any other 4xx: EmailSendError(permanent=True) with SendGrid's error text (addresses in it are masked).

Hand-over (SendGrid's scheduled sends): a batch handed over carries `batch_id` (made by `POST /v3/mail/batch`) and
`send_at`; SendGrid holds it until then. `cancel_handover` asks SendGrid to cancel it (`POST /v3/user/scheduled_sends`,
status cancel) and reads the status back (`GET /v3/user/scheduled_sends/{batch_id}`): only a status read back as
"cancel" counts as cancelled.
"""

import http.client
import json
import logging
import re
import threading
import time
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import python_http_client
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Category,
    ClickTracking,
    Content,
    CustomArg,
    From,
    Header,
    Mail,
    MailSettings,
    OpenTracking,
    SandBoxMode,
    Subject,
    SubscriptionTracking,
    TrackingSettings,
)
from sendgrid.helpers.mail.exceptions import ApiKeyIncludedException

from service.channels.email.base import (
    CancelRefused,
    EmailChannel,
    EmailSendError,
    HandOver,
    OutgoingEmail,
    Recipient,
    RequestObserver,
    SendAbandoned,
    apply_substitutions,
)
from service.channels.email.retry import RetryPolicy
from service.rendering.email import SubjectError, check_subject

log = logging.getLogger(__name__)

MAX_PERSONALIZATIONS = 1000
DEFAULT_HOST = "https://api.sendgrid.com"
_ADDRESS = re.compile(r"[^\s<>\[\]()\"',;:]+@[^\s<>\[\]()\"',;:]+")


class SendGridEmailChannel(EmailChannel):
    hands_over = True

    def __init__(
        self,
        api_key: str,
        *,
        from_address: str,
        from_name: str,
        host: str = DEFAULT_HOST,
        sandbox: bool = False,
        tracking: bool = False,
        timeout_seconds: float = 20.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        stop: threading.Event | None = None,
        give_up_after: float | None = None,
    ):
        self.client = SendGridAPIClient(api_key, host=host.rstrip("/"))
        # The client takes no timeout argument; its HTTP client reads this attribute on every request.
        self.client.client.timeout = timeout_seconds
        # Mail Send with a body already encoded (by MailSendBody, maybe in another process). The HTTP client sends a
        # str as it is only when the Content-Type is not exactly "application/json", so this one names the charset;
        # a client of its own, as the clients of one SendGridAPIClient share (and update) one dict of headers.
        headers = {**self.client.client.request_headers, "Content-Type": "application/json; charset=utf-8"}
        self.mail_send = python_http_client.Client(
            host=self.client.host, request_headers=headers, version=3, timeout=timeout_seconds
        ).mail.send
        self.body = MailSendBody(from_address, from_name, tracking=tracking, sandbox=sandbox)
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        # A worker's stop flag: set, it ends a wait between tries (a 429's wait can be a minute; a stop must not).
        self.stop = stop
        # Seconds from a batch's first try after which the channel waits no more: a worker sets it inside its lease,
        # so no other worker takes the message over while this one still means to send the batch.
        self.give_up_after = give_up_after

    @classmethod
    def from_config(
        cls, config: Mapping, stop: threading.Event | None = None, give_up_after: float | None = None
    ) -> "SendGridEmailChannel":
        return cls(
            config["SENDGRID_API_KEY"],
            host=config.get("SENDGRID_API_HOST") or DEFAULT_HOST,
            from_address=config["MAIL_FROM_ADDRESS"],
            from_name=config["MAIL_FROM_NAME"],
            sandbox=bool(config.get("SENDGRID_SANDBOX")),
            tracking=bool(config.get("TRACKING_ENABLED")),
            timeout_seconds=float(config.get("SENDGRID_TIMEOUT_SECONDS", 20.0)),
            retry=RetryPolicy.from_config(config),
            stop=stop,
            give_up_after=give_up_after,
        )

    def send_batch(
        self,
        email: OutgoingEmail,
        recipients: list[Recipient],
        observer: RequestObserver | None = None,
        handover: HandOver | None = None,
    ) -> str | None:
        return self.send_encoded(self.body.encode(email, recipients), observer, handover)

    def batch_encoder(self) -> "MailSendBody":
        return self.body

    def send_encoded(
        self, encoded: str, observer: RequestObserver | None = None, handover: HandOver | None = None
    ) -> str | None:
        return self._post(self.body.with_handover(encoded, handover), observer or RequestObserver())

    # -- hand-over ------------------------------------------------------------------------------------------------

    def new_handover_id(self) -> str:
        """Raises SendAbandoned when SendGrid gives none: nothing was sent, so the batch goes out at a later try."""
        try:
            response = self.client.client.mail.batch.post()
            return json.loads(response.body)["batch_id"]
        except HTTPError as error:
            problem = f"{error.status_code} {_reason(error.status_code)}"
        except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
            problem = _describe(error)
        raise SendAbandoned(f"SendGrid gave no batch id ({problem}); nothing was sent.", self.retry.cap_seconds / 2)

    def cancel_handover(self, batch_id: str) -> None:
        refusal = None
        for attempt in range(self._tries):
            if attempt:
                self.sleep(self.retry.backoff(attempt))
            try:
                self.client.client.user.scheduled_sends.post(request_body={"batch_id": batch_id, "status": "cancel"})
                refusal = None
                break
            except HTTPError as error:
                # A 400 is final (too late, too many, or already cancelled: read back below); 429 and 5xx are not.
                refusal = f"SendGrid refused to cancel it ({error.status_code}): {error_text(error.body)}"
                if error.status_code != 429 and error.status_code < 500:
                    break
            except (OSError, http.client.HTTPException) as error:
                # No answer: it may have been cancelled; a second cancel is refused if so, and the read-back tells.
                refusal = f"SendGrid did not answer the cancel ({_describe(error)})"
        if self._confirmed_status(batch_id) != "cancel":
            raise CancelRefused(refusal or "SendGrid did not confirm the cancel.")

    def _confirmed_status(self, batch_id: str) -> str | None:
        for attempt in range(self._tries):
            if attempt:
                self.sleep(self.retry.backoff(attempt))
            status = self._scheduled_send_status(batch_id)
            if status is not None:
                return status
        return None

    def _scheduled_send_status(self, batch_id: str) -> str | None:
        try:
            response = self.client.client.user.scheduled_sends._(batch_id).get()
            statuses = json.loads(response.body or b"[]")
        except (HTTPError, OSError, http.client.HTTPException, ValueError):
            return None
        return next((item.get("status") for item in statuses if item.get("batch_id") == batch_id), None)

    # -- sending, with retries --------------------------------------------------------------------------------------

    def _post(self, body: str, observer: RequestObserver) -> str | None:
        retries, first_try = 0, self.clock()
        while True:
            if retries:
                observer.retrying()
            try:
                response = self.mail_send.post(request_body=body)
            except HTTPError as error:
                status = error.status_code
                if status == 429 or status >= 500:
                    if retries >= self.retry.max_retries:
                        raise EmailSendError(
                            f"SendGrid answered {status} {_reason(status)} to {retries + 1} tries; the batch was not "
                            "accepted. Resend it when SendGrid is available again.",
                            permanent=False,
                            refused=True,
                        ) from None
                    retries += 1
                    wait = (
                        self.retry.rate_limit_wait(error.headers, retries, self.clock())
                        if status == 429
                        else self.retry.backoff(retries)
                    )
                    log.warning("SendGrid answered %s; try %s of %s in %.1fs", status, retries + 1, self._tries, wait)
                    observer.refused(f"SendGrid answered {status} {_reason(status)}")
                    self._wait_to_retry(wait, first_try)
                    continue
                raise EmailSendError(
                    f"SendGrid refused the batch ({status} {_reason(status)}): {error_text(error.body)}",
                    permanent=True,
                ) from None
            except urllib.error.URLError as error:
                # Raised while connecting or sending the request: SendGrid cannot have accepted it, so it is safe
                # to send again.
                if retries >= self.retry.max_retries:
                    raise EmailSendError(
                        f"Could not reach SendGrid ({_describe(error.reason)}) in {retries + 1} tries; the batch was "
                        "not sent. Resend it when SendGrid is reachable again.",
                        permanent=False,
                        refused=True,
                    ) from None
                retries += 1
                wait = self.retry.backoff(retries)
                log.warning(
                    "SendGrid unreachable (%s); try %s of %s in %.1fs", error.reason, retries + 1, self._tries, wait
                )
                observer.refused(f"Could not reach SendGrid ({_describe(error.reason)})")
                self._wait_to_retry(wait, first_try)
                continue
            except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as error:
                # The request went out and no answer came back: it may have been accepted. Never retried here.
                raise EmailSendError(
                    f"SendGrid did not answer ({_describe(error)}); the batch may or may not have been accepted, "
                    "so it was not sent again.",
                    permanent=False,
                ) from None
            return response.headers.get("X-Message-Id") if response.headers is not None else None

    def _wait_to_retry(self, seconds: float, first_try: float) -> None:
        """Wait before trying again, unless the wait would end past `give_up_after` or the worker is told to stop:
        then the batch is abandoned unsent (SendGrid has not taken it), to go out at a later try."""
        if self.give_up_after is not None and self.clock() + seconds - first_try > self.give_up_after:
            raise SendAbandoned(
                f"SendGrid asked to wait {seconds:.0f}s before another try, longer than this send may wait; "
                "it was not sent.",
                retry_after=seconds,
            )
        if self.stop is None:
            self.sleep(seconds)
        elif self.stop.wait(seconds):
            raise SendAbandoned("The worker was stopped while waiting to try SendGrid again; the batch was not sent.")

    @property
    def _tries(self) -> int:
        return self.retry.max_retries + 1


@dataclass(frozen=True)
class MailSendBody:
    """Builds the Mail Send JSON body of one batch: the rendered email once, a personalization per recipient. Plain
    values only, so a worker can build bodies in a process of its own (see service/worker/batch_encoding.py)."""

    from_address: str
    from_name: str
    tracking: bool = False
    sandbox: bool = False

    def encode(self, email: OutgoingEmail, recipients: list[Recipient]) -> str:
        return json.dumps(self.request_body(email, recipients))

    @staticmethod
    def with_handover(encoded: str, handover: HandOver | None) -> str:
        """An encoded body given its hand-over (`batch_id`, `send_at`): known only just before the request leaves,
        long after the body was built. Added as the object's last members (`encode` made the body a JSON object)."""
        if handover is None:
            return encoded
        members = json.dumps({"batch_id": handover.batch_id, "send_at": int(handover.send_at.timestamp())})
        return f"{encoded[:-1]}, {members[1:]}"

    def request_body(self, email: OutgoingEmail, recipients: list[Recipient]) -> dict:
        """The Mail Send JSON body for one batch. Raises EmailSendError(permanent=True) for a batch SendGrid would
        refuse anyway (no recipients, too many, an address twice, a subject with a line break)."""
        _check_recipients(recipients)
        try:
            subject = check_subject(email.subject)
        except SubjectError as error:
            raise EmailSendError(str(error), permanent=True) from error
        # A header holding a per-recipient placeholder (List-Unsubscribe) is set in each personalization.
        keys = {key for recipient in recipients for key in recipient.substitutions}
        recipient_headers = {name: value for name, value in email.headers.items() if any(k in value for k in keys)}
        shared_headers = {name: value for name, value in email.headers.items() if name not in recipient_headers}
        try:
            mail = self._shared_part(email, subject, shared_headers)
        except ApiKeyIncludedException as error:
            raise EmailSendError("The email's text contains what looks like an API key.", permanent=True) from error
        body = mail.get()
        # Personalizations are plain dicts rather than helper objects: a thousand of those cost ~40 ms a batch, a
        # tenth of a whole send's budget. The schema is the same (the fake server validates it in tests).
        body["personalizations"] = [_personalization(recipient, recipient_headers) for recipient in recipients]
        return body

    def _shared_part(self, email: OutgoingEmail, subject: str, headers: dict[str, str]) -> Mail:
        mail = Mail(from_email=From(self.from_address, self.from_name), subject=Subject(subject))
        # text/plain must come first (SendGrid's rule), then text/html.
        mail.add_content(Content("text/plain", email.text))
        mail.add_content(Content("text/html", email.html))
        for name, value in headers.items():
            mail.add_header(Header(name, value))
        # add_category inserts at the front: add them last to first to keep their order.
        for category in reversed(email.categories):
            mail.add_category(Category(category[:255]))
        for name, value in email.custom_args.items():
            mail.add_custom_arg(CustomArg(name, str(value)))
        mail.tracking_settings = TrackingSettings(
            click_tracking=ClickTracking(self.tracking, self.tracking),
            open_tracking=OpenTracking(self.tracking),
            # Our own unsubscribe link and List-Unsubscribe header are in every email; SendGrid's would be a second.
            subscription_tracking=SubscriptionTracking(False),
        )
        if self.sandbox:
            mail.mail_settings = MailSettings(sandbox_mode=SandBoxMode(True))
        return mail


def _check_recipients(recipients: list[Recipient]) -> None:
    if not recipients:
        raise EmailSendError("A batch needs at least one recipient.", permanent=True)
    if len(recipients) > MAX_PERSONALIZATIONS:
        raise EmailSendError(
            f"A batch may have at most {MAX_PERSONALIZATIONS} recipients, not {len(recipients)}.", permanent=True
        )
    seen: set[str] = set()
    for recipient in recipients:
        address = recipient.email.strip().lower()
        if address in seen:
            raise EmailSendError("The same address appears twice in one batch.", permanent=True)
        seen.add(address)


def _personalization(recipient: Recipient, headers: dict[str, str]) -> dict:
    personalization: dict = {"to": [{"email": recipient.email}]}
    if recipient.substitutions:
        personalization["substitutions"] = dict(recipient.substitutions)
    if headers:
        personalization["headers"] = {
            name: apply_substitutions(value, recipient.substitutions) for name, value in headers.items()
        }
    return personalization


def error_text(body: bytes | str | None) -> str:
    """SendGrid's error messages from an error body, with any email address masked (it ends up on a web page)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    messages: list[str] = []
    try:
        parsed = json.loads(body or "")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("errors"), list):
        for item in parsed["errors"]:
            if isinstance(item, dict) and item.get("message"):
                field = f" ({item['field']})" if item.get("field") else ""
                messages.append(f"{item['message']}{field}")
    text = "; ".join(messages) or (body or "").strip()[:500] or "no error text"
    return _ADDRESS.sub("[address]", text)


def _reason(status: int) -> str:
    return http.client.responses.get(status, "")


def _describe(error: object) -> str:
    text = str(error) or type(error).__name__
    return _ADDRESS.sub("[address]", text)
