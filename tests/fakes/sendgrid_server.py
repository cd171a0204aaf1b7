"""A fake SendGrid v3 Mail Send API for tests: the real `sendgrid` client talks to it over HTTP on 127.0.0.1.

It checks what SendGrid checks (a Bearer key, the published request schema, the per-request limits), answers like
SendGrid (202 + X-Message-Id, or 4xx with SendGrid's error JSON), and records what it accepted so tests can assert
exactly-once delivery. Bodies it rejects for being malformed are also kept in `violations`, so a test can assert
that our code never built an invalid request: `assert fake_sendgrid.violations == []`.

Scheduled sends, as SendGrid documents them (Cancel Scheduled Sends): `POST /v3/mail/batch` makes a batch id; a mail
send with `send_at` (at most 72 hours ahead) and `batch_id` is held until `send_at`; `POST /v3/user/scheduled_sends`
(`{"batch_id", "status": "cancel" | "pause"}`, 201) cancels or pauses a batch, refused (400) later than 10 minutes
before its `send_at`, for a batch already cancelled or paused, or when 10 batches are paused or cancelled at once;
`GET /v3/user/scheduled_sends/{batch_id}` says a batch's status. A mail counts as received (`recipients()`) only once
its `send_at` has come, unless its batch was cancelled or is paused. The numbers are constructor arguments, and the
fake's clock can be given, so a test can shrink time as it shrinks the service's settings.
"""

import copy
import functools
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.fakes.http_fake import FakeHTTPServer, Reply, Request

MAIL_SEND_PATH = "/v3/mail/send"
MAIL_BATCH_PATH = "/v3/mail/batch"
SCHEDULED_SENDS_PATH = "/v3/user/scheduled_sends"
MAX_PERSONALIZATIONS = 1000
_SPEC_URI = "urn:tidings:sendgrid-mail-v3"
_REQUEST_SCHEMA_POINTER = "#/components/requestBodies/PostMailSend/content/application~1json/schema"
_MAX_MESSAGE_LENGTH = 300


@dataclass(frozen=True)
class AcceptedMail:
    """One request SendGrid accepted (202)."""

    body: dict | None  # None when the fake runs with record_bodies=False
    headers: dict[str, str]  # lower-case names
    message_id: str
    personalization_count: int
    send_at: int | None = None  # Unix seconds; None: at once
    batch_id: str | None = None


@dataclass(frozen=True)
class Violation:
    """One reason a request body was refused with 400."""

    request_number: int
    field: str | None
    message: str


class FakeSendGrid(FakeHTTPServer):
    """POST /v3/mail/send, validated against SendGrid's OpenAPI description at `spec_path`.

    `api_key`: when given, only that key is accepted; otherwise any non-empty Bearer key is.
    `validate=False` skips the schema and the content rules (only the personalization count is checked), and
    `record_bodies=False` keeps only counts: both for benchmarks, where the fake must cost next to nothing.
    """

    def __init__(
        self,
        spec_path: str | Path,
        *,
        api_key: str | None = None,
        validate: bool = True,
        record_bodies: bool = True,
        cancel_margin_seconds: float = 600,
        max_cancelled_batches: int = 10,
        schedule_horizon_seconds: float = 72 * 3600,
        clock=time.time,
    ) -> None:
        super().__init__()
        self.cancel_margin_seconds = cancel_margin_seconds
        self.max_cancelled_batches = max_cancelled_batches
        self.schedule_horizon_seconds = schedule_horizon_seconds
        self.clock = clock
        self.batch_ids: set[str] = set()
        # batch_id -> "cancel" | "pause", as set by POST /v3/user/scheduled_sends
        self.scheduled_send_status: dict[str, str] = {}
        self._validator = mail_send_validator(Path(spec_path))
        self.api_key = api_key
        self.validate = validate
        self.record_bodies = record_bodies
        self.requests: list[AcceptedMail] = []
        self.violations: list[Violation] = []
        self.accepted_personalizations = 0

    def recipients(self, at: float | None = None) -> list[str]:
        """Every `to` address that has received a mail by `at` (Unix seconds, default now), in order, repeats kept
        (for exactly-once asserts): a scheduled mail only from its send_at, and never if its batch was cancelled."""
        return [address for mail in self.received(at) for address in _addresses(mail)]

    def received(self, at: float | None = None) -> list[AcceptedMail]:
        """Accepted mails delivered by `at`: due, and not in a cancelled or paused batch."""
        at = self.clock() if at is None else at
        with self._lock:
            accepted, held = list(self.requests), dict(self.scheduled_send_status)
        if any(mail.body is None for mail in accepted):
            raise RuntimeError("recipients() needs the fake to run with record_bodies=True")
        return [
            mail
            for mail in accepted
            if (mail.send_at is None or mail.send_at <= at) and held.get(mail.batch_id or "") is None
        ]

    def cancelled_mails(self) -> list[AcceptedMail]:
        """Accepted mails whose batch was cancelled: SendGrid discards them at their send_at."""
        with self._lock:
            return [mail for mail in self.requests if self.scheduled_send_status.get(mail.batch_id or "") == "cancel"]

    def rate_limit_next(self, reset_in_seconds: float, times: int = 1, *, limit: int = 600) -> None:
        """Answer the next `times` requests with 429 and SendGrid's X-RateLimit-* headers."""
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time() + reset_in_seconds)),
        }
        self.respond_next(429, headers=headers, times=times)

    # -- the provider -----------------------------------------------------------------------------------------

    def error_body(self, status: int, message: str) -> dict:
        return _errors([(None, message)])

    def answer(self, request: Request) -> Reply:
        known = (MAIL_SEND_PATH, MAIL_BATCH_PATH, SCHEDULED_SENDS_PATH)
        if not request.path.startswith(known):
            return Reply(404, self.error_body(404, "not found"))
        refusal = self._refuse_credentials(request)
        if refusal:
            return Reply(401, self.error_body(401, refusal))
        if request.path == MAIL_BATCH_PATH and request.method == "POST":
            return self._new_batch_id()
        if request.path == SCHEDULED_SENDS_PATH and request.method == "POST":
            return self._set_scheduled_send(request)
        if request.path.startswith(SCHEDULED_SENDS_PATH + "/") and request.method == "GET":
            return self._scheduled_send(request.path.removeprefix(SCHEDULED_SENDS_PATH + "/"))
        if request.path != MAIL_SEND_PATH:
            return Reply(404, self.error_body(404, "not found"))
        if request.method != "POST":
            return Reply(405, self.error_body(405, "method not allowed"))
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return Reply(415, self.error_body(415, "Content-Type should be application/json."))
        try:
            body = json.loads(request.body)
        except ValueError:
            return self._reject(request, [(None, "The request body is not valid JSON.")])
        problems = self._problems(body) or self._schedule_problems(body)
        if problems:
            return self._reject(request, problems)
        return self._accept(request, body)

    # -- scheduled sends --------------------------------------------------------------------------------------

    def _new_batch_id(self) -> Reply:
        batch_id = secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
        with self._lock:
            self.batch_ids.add(batch_id)
        return Reply(201, {"batch_id": batch_id})

    def _schedule_problems(self, body: dict) -> list[tuple[str | None, str]]:
        send_at, batch_id = body.get("send_at"), body.get("batch_id")
        if batch_id is not None and batch_id not in self.batch_ids:
            return [("batch_id", "invalid batch id")]
        if send_at is not None and send_at > self.clock() + self.schedule_horizon_seconds:
            return [("send_at", "The send_at parameter cannot be more than 72 hours in the future.")]
        return []

    def _set_scheduled_send(self, request: Request) -> Reply:
        try:
            body = json.loads(request.body)
        except ValueError:
            return Reply(400, _errors([(None, "The request body is not valid JSON.")]))
        batch_id, status = body.get("batch_id"), body.get("status")
        if status not in ("cancel", "pause"):
            return Reply(400, _errors([("status", "status must be one of: pause, cancel")]))
        with self._lock:
            if batch_id not in self.batch_ids:
                return Reply(400, _errors([("batch_id", "invalid batch id")]))
            if batch_id in self.scheduled_send_status:
                return Reply(400, _errors([("batch_id", "a status is already set for this batch id")]))
            if self._held_count() >= self.max_cancelled_batches:
                message = f"You can't pause or cancel more than {self.max_cancelled_batches} batches at one time."
                return Reply(400, _errors([("batch_id", message)]))
            scheduled = [mail.send_at for mail in self.requests if mail.batch_id == batch_id]
            if any(at is None or at - self.clock() < self.cancel_margin_seconds for at in scheduled):
                message = "You can't pause or cancel a batch later than 10 minutes before its send_at time."
                return Reply(400, _errors([("batch_id", message)]))
            self.scheduled_send_status[batch_id] = status
        return Reply(201, {"batch_id": batch_id, "status": status})

    def _held_count(self) -> int:
        """Batches paused or cancelled that are still waiting for their send_at (SendGrid's limit counts these)."""
        now = self.clock()
        pending = {mail.batch_id for mail in self.requests if mail.send_at is not None and mail.send_at > now}
        return sum(1 for batch_id in self.scheduled_send_status if batch_id in pending or not self._has_mail(batch_id))

    def _has_mail(self, batch_id: str) -> bool:
        return any(mail.batch_id == batch_id for mail in self.requests)

    def _scheduled_send(self, batch_id: str) -> Reply:
        with self._lock:
            status = self.scheduled_send_status.get(batch_id)
        return Reply(200, [{"batch_id": batch_id, "status": status}] if status else [])

    def _refuse_credentials(self, request: Request) -> str | None:
        scheme, _, key = (request.header("authorization") or "").partition(" ")
        if scheme != "Bearer" or not key.strip():
            return "authorization required"
        if self.api_key is not None and key != self.api_key:
            return "The provided authorization grant is invalid, expired, or revoked"
        return None

    def _problems(self, body: object) -> list[tuple[str | None, str]]:
        if not isinstance(body, dict):
            return [(None, "The request body must be a JSON object.")]
        # Counted before the schema so the answer names the limit rather than quoting 1001 personalizations.
        problems = personalization_count_problems(body)
        if problems or not self.validate:
            return problems
        return schema_problems(self._validator, body) or content_rule_problems(body)

    def _reject(self, request: Request, problems: list[tuple[str | None, str]]) -> Reply:
        with self._lock:
            self.violations.extend(Violation(request.number, field, message) for field, message in problems)
        return Reply(400, _errors(problems))

    def _accept(self, request: Request, body: dict) -> Reply:
        count = len(body.get("personalizations", []))
        mail = AcceptedMail(
            body=body if self.record_bodies else None,
            headers=request.headers,
            message_id=secrets.token_urlsafe(16),  # 22 characters, like SendGrid's ids
            personalization_count=count,
            send_at=body.get("send_at"),
            batch_id=body.get("batch_id"),
        )
        with self._lock:
            self.requests.append(mail)
            self.accepted_personalizations += count
        return Reply(202, None, {"X-Message-Id": mail.message_id})


def _addresses(mail: AcceptedMail) -> list[str]:
    return [
        recipient["email"] for personalization in mail.body["personalizations"] for recipient in personalization["to"]
    ]


def _errors(problems: list[tuple[str | None, str]]) -> dict:
    return {"errors": [{"message": message, "field": field, "help": None} for field, message in problems]}


# -- checks ---------------------------------------------------------------------------------------------------


@functools.cache
def mail_send_validator(spec_path: Path) -> Draft202012Validator:
    """A validator for the Mail Send request body, with the one documented deviation applied.

    OpenAPI 3.1 schemas are JSON Schema 2020-12; the body schema's $refs point into the same document, so the
    whole document is registered as one resource and the body schema is reached through a $ref into it.
    """
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    spec = _with_custom_args_as_object(spec)
    registry = Registry().with_resource(_SPEC_URI, DRAFT202012.create_resource(spec))
    return Draft202012Validator(
        {"$ref": _SPEC_URI + _REQUEST_SCHEMA_POINTER},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _with_custom_args_as_object(spec: dict) -> dict:
    # The file types top-level custom_args as a string; the API (and the sendgrid Mail helper) use an object of
    # strings. See tests/contracts/README.md.
    spec = copy.deepcopy(spec)
    body_schema = spec["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]["schema"]
    body_schema["properties"]["custom_args"] = {"type": "object", "additionalProperties": {"type": "string"}}
    return spec


def personalization_count_problems(body: dict) -> list[tuple[str | None, str]]:
    personalizations = body.get("personalizations")
    if isinstance(personalizations, list) and len(personalizations) > MAX_PERSONALIZATIONS:
        return [
            (
                "personalizations",
                f"You may not include more than {MAX_PERSONALIZATIONS} personalizations per request, "
                f"got {len(personalizations)}.",
            )
        ]
    return []


def schema_problems(validator: Draft202012Validator, body: dict) -> list[tuple[str | None, str]]:
    problems = {(_error_field(error), _shorten(error.message)) for error in validator.iter_errors(body)}
    return sorted(problems, key=lambda problem: (problem[0] or "", problem[1]))


def _error_field(error) -> str | None:
    """SendGrid names a field by its dotted path, e.g. personalizations.0.to.1.email."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        path += missing[:1]
    return ".".join(path) or None


def _shorten(message: str) -> str:
    # jsonschema quotes the offending value, which can be a whole email body.
    return message if len(message) <= _MAX_MESSAGE_LENGTH else message[: _MAX_MESSAGE_LENGTH - 3] + "..."


def content_rule_problems(body: dict) -> list[tuple[str | None, str]]:
    """SendGrid's rules that the schema does not express. Assumes the body passed the schema."""
    return (
        _duplicate_address_problems(body)
        + _subject_problems(body)
        + _content_problems(body)
        + _string_value_problems(body)
    )


def _duplicate_address_problems(body: dict) -> list[tuple[str | None, str]]:
    # SendGrid documents uniqueness within a personalization; we refuse a repeat anywhere in the request,
    # because a repeat there means one person would get the message twice.
    seen: set[str] = set()
    for index, personalization in enumerate(body["personalizations"]):
        for kind in ("to", "cc", "bcc"):
            for recipient in personalization.get(kind, []):
                address = recipient["email"].strip().lower()
                if address in seen:
                    return [
                        (
                            f"personalizations.{index}.{kind}",
                            "Each email address in the request should be unique between to, cc, and bcc. "
                            f"We found the first duplicate instance of [{recipient['email']}] "
                            f"in the personalizations.{index}.{kind} field.",
                        )
                    ]
                seen.add(address)
    return []


def _subject_problems(body: dict) -> list[tuple[str | None, str]]:
    if body.get("subject") or body.get("template_id"):
        return []
    if all(personalization.get("subject") for personalization in body["personalizations"]):
        return []
    return [
        (
            "subject",
            "The subject is required. You can get around this requirement if you use a template with a subject "
            "defined or if every personalization has a subject defined.",
        )
    ]


def _content_problems(body: dict) -> list[tuple[str | None, str]]:
    content = body.get("content") or []
    if not content and not body.get("template_id"):
        return [
            (
                "content",
                "Unless a valid template_id is provided, the content parameter is required. There must be at "
                "least one defined content block.",
            )
        ]
    types = [block["type"] for block in content]
    if "text/plain" in types and types.index("text/plain") != 0:
        return [
            (
                f"content.{types.index('text/plain')}.type",
                "If present, text/plain must be first, followed by text/html, followed by any other content.",
            )
        ]
    return []


def _string_value_problems(body: dict) -> list[tuple[str | None, str]]:
    mappings = [("headers", body.get("headers"))]
    for index, personalization in enumerate(body["personalizations"]):
        mappings.append((f"personalizations.{index}.headers", personalization.get("headers")))
        mappings.append((f"personalizations.{index}.custom_args", personalization.get("custom_args")))
    return [
        (f"{field}.{name}", f"Invalid type. Expected: string, given: {type(value).__name__}.")
        for field, mapping in mappings
        for name, value in (mapping or {}).items()
        if not isinstance(value, str)
    ]
