"""Public subscriber pages: sign up (form and JSON), confirm, unsubscribe (one click, RFC 8058), preferences.

No login, no address in any URL (links carry signed tokens), and the same answer whether or not an address was
known. Pages reached by a token are CSRF-exempt: the token in the URL is the secret a forged request lacks, and
mail providers' one-click POSTs carry no CSRF token. Every public response tells browsers not to send the URL on
as a Referer, so a token never reaches another site.
"""

import logging
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Flask,
    Response,
    after_this_request,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from wtforms import StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import TextInput

from service.campaigns.unsubscribe_attribution import VIA_LINK, VIA_ONE_CLICK, record_message_unsubscribe
from service.channels.email.base import EmailSendError
from service.channels.registry import email_channel_for_request
from service.extensions import csrf, db, limiter
from service.models import Subscriber
from service.rendering.clinic import ClinicInfo
from service.signing_keys import signing_keys
from service.subscribers import links
from service.subscribers.addresses import mask_address, redact_addresses
from service.subscribers.mail import already_subscribed_email, confirmation_email, send_to, send_welcome_if_enabled
from service.subscribers.signup import (
    NOTHING,
    ConfirmError,
    Mail,
    SignupInput,
    SignupInputError,
    SignupOutcome,
    checked_input,
    confirm,
    confirmation_sent,
    request_signup,
)
from service.subscribers.tokens import TokenError
from service.subscribers.topics import topic_choices
from service.subscribers.unsubscribe import change_first_name, change_topics, unsubscribe
from service.text_input import text_problem
from service.web.body_limits import body_limit
from service.web.campaign_forms import MultiCheckboxField
from service.web.forms import BoundaryForm

blueprint = Blueprint("public", __name__)
log = logging.getLogger(__name__)

ONE_CLICK_FIELD, ONE_CLICK_VALUE = "List-Unsubscribe", "One-Click"
ACCEPTED_MESSAGE = "Thank you. If the address can receive our emails, a confirmation link is on its way to it."


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


signup_limit = limiter.shared_limit(_signup_limit, scope="signup", methods=["POST"])


class SignupForm(BoundaryForm):
    email = StringField(
        "Email address",
        validators=[Length(max=254)],
        widget=TextInput(input_type="email"),
        render_kw={"autocomplete": "email", "inputmode": "email", "required": True},
    )
    first_name = StringField(
        "First name (optional)", validators=[Optional(), Length(max=100)], render_kw={"autocomplete": "given-name"}
    )
    topics = MultiCheckboxField("What would you like to hear about?")
    # The honeypot: hidden from people (and screen readers), filled in by form-filling bots.
    website = StringField("Leave this field empty", render_kw={"autocomplete": "off", "tabindex": "-1"})


class PreferencesForm(BoundaryForm):
    class Meta:
        csrf = False  # the signed token in the URL authorises the change

    first_name = StringField("First name (optional)", validators=[Optional(), Length(max=100)])
    topics = MultiCheckboxField("Topics")


def _now() -> datetime:
    return datetime.now(UTC)


def _clinic() -> ClinicInfo:
    return ClinicInfo.from_config(current_app.config)


def _topics() -> list[str]:
    return list(current_app.config["SUBSCRIBER_TOPICS"])


@blueprint.after_request
def _private_headers(response: Response) -> Response:
    # Token URLs must not leak to the clinic's site (or anywhere) through Referer, nor sit in shared caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _page(template: str, status: int = 200, **context):
    return render_template(f"public/{template}", clinic=_clinic(), **context), status


def _message(title: str, message: str, status: int = 200, *, link: tuple[str, str] | None = None):
    return _page("message.html", status, title=title, message=message, link=link)


def _link_problem(error: TokenError | ConfirmError | None = None):
    if isinstance(error, TokenError) and error.expired:
        title = "This link has expired"
        message = "Confirmation links work for a limited time. Sign up again and we will send you a new one."
    else:
        title = "This link does not work"
        message = (
            f"{error or 'This link is not valid.'} It may be incomplete, or a newer email replaced it. "
            "If you meant to subscribe, you can sign up again."
        )
    return _message(title, message, 400, link=(url_for("public.subscribe"), "Sign up again"))


# --- sending the signup emails ------------------------------------------------------------------------------


def _send_signup_email(outcome: SignupOutcome) -> None:
    """Email the owner of the address, after the signup is committed. A failure is logged, never shown."""
    subscriber = outcome.subscriber
    if outcome.mail is Mail.NONE or subscriber is None:
        return
    config = current_app.config
    if outcome.mail is Mail.CONFIRM:
        email = confirmation_email(
            subscriber, _clinic(), config["SECRET_KEY"], max_age_days=config["CONFIRM_TOKEN_MAX_AGE_DAYS"]
        )
    else:
        email = already_subscribed_email(subscriber, _clinic(), config["SECRET_KEY"])
    try:
        send_to(email_channel_for_request(config), email, subscriber)
    except EmailSendError as error:
        # The page says the same either way (no enumeration); the person can try again once the channel is back.
        log.warning("signup email for subscriber #%s not sent: %s", subscriber.id, redact_addresses(str(error)))
        return
    confirmation_sent(subscriber, _now())
    db.session.commit()
    log.info("signup: %s email sent to subscriber #%s", outcome.mail.value, subscriber.id)


def _sign_up(data: SignupInput) -> None:
    """Check the input now (SignupInputError for bad input); record the request and send its email once the answer
    has gone out.

    What happens next depends on the address (new, pending, confirmed, suppressed): the lookups, the insert and
    the email take very different times, so doing them before answering would tell anyone with a stopwatch which
    addresses are known. The answer only ever waits for the check, which is the same for every address.
    """
    checked_input(data, _topics())
    app = current_app._get_current_object()

    @after_this_request
    def _after_answering(response: Response) -> Response:
        response.call_on_close(lambda: _record_and_mail(app, data))
        return response


def _record_and_mail(app: Flask, data: SignupInput) -> None:
    with app.app_context():
        try:
            try:
                outcome = request_signup(
                    db.session, data, known_topics=_topics(), hash_key=app.config["EMAIL_HASH_KEY"], now=_now()
                )
                db.session.commit()
            except IntegrityError:
                # The same address signed up in a parallel request, which sends the email; this one sends nothing.
                db.session.rollback()
                outcome = NOTHING
            _send_signup_email(outcome)
        except Exception:
            # The person already has their answer; the worker sends a confirmation that did not go out.
            db.session.rollback()
            log.exception("signup: recording or mailing a signup failed")
        finally:
            db.session.remove()


# --- signing up ---------------------------------------------------------------------------------------------


@blueprint.route("/subscribe", methods=["GET", "POST"])
@signup_limit
def subscribe():
    form = SignupForm()
    form.topics.choices = topic_choices(_topics())
    if form.validate_on_submit():
        if form.website.data:
            log.info("signup: honeypot field filled in; request ignored")
            return redirect(url_for("public.check_your_email"))
        data = SignupInput(form.email.data or "", form.first_name.data or "", tuple(form.topics.data or ()), "form")
        try:
            _sign_up(data)
        except SignupInputError as error:
            for name, message in error.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        else:
            return redirect(url_for("public.check_your_email"))
    status = 400 if form.errors else 200
    return _page("subscribe.html", status, form=form)


@blueprint.get("/subscribe/check-your-email")
def check_your_email():
    return _page("check_your_email.html")


def _allowed_origin() -> str | None:
    origin = (request.headers.get("Origin") or "").rstrip("/")
    return origin if origin and origin in current_app.config["SIGNUP_CORS_ORIGINS"] else None


def _cors(response: Response) -> Response:
    response.vary.add("Origin")
    origin = _allowed_origin()
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _json(payload: dict, status: int) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return _cors(response)


@blueprint.route("/api/subscribe", methods=["POST", "OPTIONS"])
@body_limit("SIGNUP_JSON_MAX_BYTES")
@csrf.exempt
@signup_limit
def api_subscribe():
    """JSON signup for the clinic's website: {"email", "first_name"?, "topics": [...]} -> 202, or 400 with errors.

    Browsers may call it only from SIGNUP_CORS_ORIGINS; a request from any other origin is refused outright.
    """
    if request.method == "OPTIONS":
        return _cors(Response(status=204))
    if request.headers.get("Origin") and not _allowed_origin():
        return _json({"error": "This origin may not use the signup endpoint."}, 403)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _json({"errors": {"request": "Send a JSON object with email and topics."}}, 400)
    if payload.get("website"):
        log.info("signup: honeypot field filled in; API request ignored")
        return _json({"status": "accepted", "message": ACCEPTED_MESSAGE}, 202)
    topics = payload.get("topics", [])
    topics = [topics] if isinstance(topics, str) else topics
    fields = (payload.get("email"), payload.get("first_name") or "")
    if not all(isinstance(value, str) for value in fields) or not isinstance(topics, list):
        return _json({"errors": {"request": "email and first_name are strings; topics is a list of strings."}}, 400)
    problems = _text_problems({"email": fields[0], "first_name": fields[1], "topics": " ".join(map(str, topics))})
    if problems:
        return _json({"errors": problems}, 400)
    data = SignupInput(fields[0], fields[1], tuple(str(topic) for topic in topics), "api")
    try:
        _sign_up(data)
    except SignupInputError as error:
        return _json({"errors": error.errors}, 400)
    return _json({"status": "accepted", "message": ACCEPTED_MESSAGE}, 202)


def _text_problems(values: dict[str, str]) -> dict[str, str]:
    """The boundary check (text_input) on a JSON body's text values, as field errors."""
    return {name: problem for name, value in values.items() if (problem := text_problem(value))}


# --- confirming ---------------------------------------------------------------------------------------------


def _confirm_max_age() -> int:
    return int(float(current_app.config["CONFIRM_TOKEN_MAX_AGE_DAYS"]) * 86400)


@blueprint.route("/confirm/<token>", methods=["GET", "POST"])
@csrf.exempt
def confirm_subscription(token: str):
    """GET shows one button; POST confirms. (Mail scanners open links; only a person presses the button.)"""
    secret = signing_keys(current_app.config)
    try:
        subscriber = links.subscriber_for(db.session, secret, "confirm", token, max_age_seconds=_confirm_max_age())
    except TokenError as error:
        return _link_problem(error)
    if subscriber is None:
        return _link_problem()
    if subscriber.status == "confirmed":
        return _subscribed_page(subscriber, already=True)
    if subscriber.status != "pending":
        return _link_problem(ConfirmError("This confirmation link is no longer valid."))
    if request.method == "GET":
        return _page("confirm.html", topics=_labels(subscriber))
    try:
        confirm(db.session, subscriber, _now())
    except ConfirmError as error:
        db.session.rollback()
        return _link_problem(error)
    db.session.commit()
    log.info("subscriber #%s confirmed", subscriber.id)
    try:
        config = current_app.config
        send_welcome_if_enabled(db.session, email_channel_for_request(config), subscriber, config)
    except EmailSendError as error:
        log.warning("welcome email for subscriber #%s not sent: %s", subscriber.id, redact_addresses(str(error)))
    return _subscribed_page(subscriber, already=False)


def _labels(subscriber: Subscriber) -> list[str]:
    labels = dict(topic_choices(_topics()))
    return [labels.get(topic, topic) for topic in subscriber.topics]


def _subscribed_page(subscriber: Subscriber, *, already: bool):
    preferences = links.preferences_url(_clinic(), current_app.config["SECRET_KEY"], subscriber.public_id)
    return _page("subscribed.html", already=already, topics=_labels(subscriber), preferences_url=preferences)


# --- leaving ------------------------------------------------------------------------------------------------


@blueprint.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe_page(token: str):
    """GET: a page with one button. POST: unsubscribe at once, from that button or a mail provider's one-click
    request (body `List-Unsubscribe=One-Click`, RFC 8058), which gets a short plain answer and no page."""
    one_click = request.method == "POST" and request.form.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE
    try:
        subscriber, message_id = links.subscriber_and_message_for(
            db.session, signing_keys(current_app.config), "unsubscribe", token
        )
    except TokenError:
        if one_click:
            return Response("This unsubscribe link is not valid.\n", 400, mimetype="text/plain")
        return _link_problem()
    if request.method == "POST":
        if subscriber is not None and unsubscribe(db.session, subscriber, _now()):
            _commit_unsubscribe(subscriber, message_id, VIA_ONE_CLICK if one_click else VIA_LINK)
        if one_click:
            return Response("Unsubscribed.\n", 200, mimetype="text/plain")
        return _unsubscribed_page(subscriber)
    if subscriber is None or subscriber.status not in ("pending", "confirmed"):
        return _unsubscribed_page(subscriber)
    return _page("unsubscribe.html", masked=mask_address(subscriber.email))


def _commit_unsubscribe(subscriber: Subscriber, message_id: int | None, via: str) -> None:
    """Commit the unsubscribe, counted for the message whose link or header it came through."""
    record_message_unsubscribe(db.session, subscriber, message_id, via, _now())
    subscriber_id = subscriber.id  # read now: after the commit it would cost one more query
    try:
        db.session.commit()
    except IntegrityError:
        # A parallel request suppressed the same address first (or counted the same click): retry once.
        db.session.rollback()
        unsubscribe(db.session, subscriber, _now())
        record_message_unsubscribe(db.session, subscriber, message_id, via, _now())
        db.session.commit()
    log.info("subscriber #%s unsubscribed", subscriber_id)


def _unsubscribed_page(subscriber: Subscriber | None):
    preferences = (
        links.preferences_url(_clinic(), current_app.config["SECRET_KEY"], subscriber.public_id) if subscriber else None
    )
    return _page("unsubscribed.html", preferences_url=preferences)


# --- preferences --------------------------------------------------------------------------------------------


@blueprint.route("/preferences/<token>", methods=["GET", "POST"])
@csrf.exempt
def preferences(token: str):
    secret = signing_keys(current_app.config)
    try:
        subscriber = links.subscriber_for(db.session, secret, "preferences", token, max_age_seconds=_confirm_max_age())
    except TokenError as error:
        return _link_problem(error)
    if subscriber is None:
        return _message("Nothing to manage", "This subscription no longer exists; we send nothing to it.")
    form = PreferencesForm(obj=None)
    form.topics.choices = topic_choices(_topics())
    notice = None
    if request.method == "GET":
        form.first_name.data = subscriber.first_name
        form.topics.data = subscriber.topics
    elif form.validate():
        notice = _apply_preferences(subscriber, form, request.form.get("action", "save"))
    return _page(
        "preferences.html",
        form=form,
        subscriber=subscriber,
        masked=mask_address(subscriber.email),
        notice=notice,
        unsubscribe_url=links.unsubscribe_url(_clinic(), secret, subscriber.public_id),
    )


def _apply_preferences(subscriber: Subscriber, form: PreferencesForm, action: str) -> str | None:
    """Save topics (and name), or ask for a fresh confirmation to come back. Returns the notice to show."""
    try:
        _, first_name, topics = checked_input(
            SignupInput(subscriber.email, form.first_name.data or "", tuple(form.topics.data or ()), "form"), _topics()
        )
    except SignupInputError as error:
        for name, message in error.errors.items():
            getattr(form, name, form.topics).errors = [*getattr(form, name, form.topics).errors, message]
        return None
    if action == "resubscribe" and subscriber.status == "unsubscribed":
        _sign_up(SignupInput(subscriber.email, first_name, tuple(topics), "form"))
        return "We sent a confirmation link to your address. Your subscription restarts when you open it."
    if subscriber.status not in ("pending", "confirmed"):
        return None
    change_topics(subscriber, topics)
    change_first_name(subscriber, first_name)
    db.session.commit()
    log.info("subscriber #%s changed their preferences", subscriber.id)
    return "Your preferences are saved."


# --- errors on public pages ---------------------------------------------------------------------------------


@blueprint.errorhandler(429)
def _too_many(error):
    if request.path.startswith("/api/"):
        return _json({"error": "Too many signups from your network; please try again later."}, 429)
    return _message("Please wait a moment", "There were too many signups from your network. Try again later.", 429)


@blueprint.errorhandler(CSRFError)
def _form_expired(error):
    return _message(
        "Please try again",
        "The form had expired. Reload the page and submit it again.",
        400,
        link=(url_for("public.subscribe"), "Back to the signup form"),
    )
