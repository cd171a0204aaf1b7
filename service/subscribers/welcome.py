"""The welcome email's text, which marketers edit (subject, body, on/off), stored in the database.

Saved text goes through the same claims check as campaigns: a welcome email goes out with no one reviewing it.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from service import audit
from service.compliance.check import Finding, check_claims, has_blocking
from service.models import EmailTemplate, User
from service.rendering.email import SubjectError, check_subject

KEY = "welcome"
BODY_MAX = 5000

DEFAULT_SUBJECT = "Welcome to {clinic} updates"
DEFAULT_BODY = """Thank you for confirming your subscription. From now on you will hear from us about the topics \
you chose, and nothing else.

We write about ketamine-assisted care at the clinic: what a course of sessions involves, how to prepare, and the \
talks and groups we run. Our emails share general information; they are never a substitute for a conversation \
with your own provider.

You can change your topics or stop these emails at any time with the links at the bottom of every message."""


@dataclass(frozen=True)
class WelcomeContent:
    subject: str
    body: str
    enabled: bool
    customised: bool = False


class WelcomeInputError(ValueError):
    def __init__(self, errors: dict[str, str], findings: list[Finding] | None = None):
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.findings = findings or []


def welcome_content(session: Session, *, clinic_name: str, default_enabled: bool) -> WelcomeContent:
    row = session.get(EmailTemplate, KEY)
    if row is None:
        return WelcomeContent(DEFAULT_SUBJECT.format(clinic=clinic_name), DEFAULT_BODY, default_enabled)
    return WelcomeContent(row.subject, row.body, row.enabled, customised=True)


def check_welcome(subject: str, body: str) -> list[Finding]:
    """Claims-check findings for the text; raises WelcomeInputError when it cannot be saved."""
    errors: dict[str, str] = {}
    try:
        subject = check_subject(subject)
    except SubjectError as error:
        errors["subject"] = str(error)
    if len(subject) > 200:
        errors["subject"] = "Keep the subject under 200 characters."
    if not body.strip():
        errors["body"] = "The body is empty."
    elif len(body) > BODY_MAX:
        errors["body"] = f"Keep the body under {BODY_MAX} characters."
    if errors:
        raise WelcomeInputError(errors)
    findings = check_claims(subject, context="subject") + check_claims(body, context="body")
    if has_blocking(findings):
        raise WelcomeInputError({"body": "The claims check blocks this text; see the findings below."}, findings)
    return findings


def save_welcome(session: Session, *, subject: str, body: str, enabled: bool, actor: User) -> list[Finding]:
    """Store the marketer's welcome email; returns warn findings to show. The caller commits."""
    body = body.replace("\r\n", "\n").strip()
    findings = check_welcome(subject, body)
    row = session.get(EmailTemplate, KEY) or EmailTemplate(key=KEY)
    row.subject, row.body, row.enabled, row.updated_by_id = subject.strip(), body, enabled, actor.id
    session.add(row)
    audit.record(session, "welcome_email:saved", actor=actor, detail="enabled" if enabled else "turned off")
    return findings
