"""Signing in (password, then a two-factor code when the account has one) and out, staying signed in, and the
decorators that guard staff pages.

A session is bound to its account's session version (User.get_id): logging out, a password change, a role change
or deactivation raises the version and every session of that account ends at its next request. A session also ends
after SESSION_IDLE_HOURS without a request and SESSION_MAX_DAYS after signing in, whatever happens.
"""

import logging
import time
from datetime import UTC, datetime, timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from service.accounts.login import account_key, check_login, record_failed_code, record_failed_login
from service.accounts.passwords import end_every_session
from service.accounts.two_factor import TwoFactorError, verify
from service.extensions import db, limiter, login_manager
from service.models import User

blueprint = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

# Session keys: when the person signed in and was last seen (epoch seconds); an account that passed its password
# and still owes a two-factor code.
SIGNED_IN_AT, SEEN_AT, AWAITING_CODE = "signed_in_at", "seen_at", "awaiting_code"
# Pages an admin who must set up two-factor sign-in can still reach.
OPEN_TO_ADMINS_WITHOUT_TOTP = ("account.two_factor", "auth.logout", "static")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app, or a recovery code", validators=[DataRequired()])


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    # The browser keeps the cookies no longer than a session may last.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=app.config["SESSION_MAX_DAYS"])
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["SESSION_MAX_DAYS"])
    app.before_request(_forget_cached_user)
    app.before_request(_end_stale_session)
    app.before_request(_require_admin_two_factor)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The account of a session id "<user id>:<session version>"; None (signed out) if the version moved on."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _forget_cached_user():
    # The account is looked up afresh on every request, so a revoked session ends at once. (Flask-Login caches it
    # on `g`, which lives as long as the app context: one request in production, but longer where a caller keeps
    # one context open across requests, as tests do.)
    g.pop("_login_user", None)


def _end_stale_session():
    if not current_user.is_authenticated:
        return None
    now, config = time.time(), current_app.config
    signed_in, seen = session.get(SIGNED_IN_AT, 0), session.get(SEEN_AT, 0)
    if now - seen > config["SESSION_IDLE_HOURS"] * 3600 or now - signed_in > config["SESSION_MAX_DAYS"] * 86400:
        logout_user()
        session.clear()
        flash("Your session ended; please log in again.", "info")
        return redirect(url_for("auth.login", next=request.path if request.method == "GET" else None))
    session[SEEN_AT] = int(now)
    return None


def two_factor_required(user: User) -> bool:
    return user.role == "admin" and bool(current_app.config["ADMIN_TOTP_REQUIRED"])


def _require_admin_two_factor():
    if not current_user.is_authenticated or current_user.has_totp or not two_factor_required(current_user):
        return None
    if request.endpoint in OPEN_TO_ADMINS_WITHOUT_TOTP:
        return None
    flash("Admins must set up two-factor sign-in before going on.", "info")
    return redirect(url_for("account.two_factor"))


def roles_required(*roles: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would be a phishing aid.
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("campaigns.index")


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _typed_account() -> str:
    return "login-account:" + account_key(request.form.get("email", ""))


def _refused(response) -> bool:
    # Only refusals count towards the limits: a person who signs in at the first try uses up nothing.
    return response.status_code == 401


def start_session(user: User) -> None:
    """Sign `user` in on this browser: a fresh session (nothing carried over from before signing in)."""
    session.clear()
    login_user(user)
    session.permanent = True
    session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_refused, scope="login-address")
@limiter.limit(_account_limit, key_func=_typed_account, methods=["POST"], deduct_when=_refused, scope="login-account")
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 401 if request.method == "POST" else 200
    attempt = check_login(db.session, form.email.data, form.password.data)
    if attempt.user is None:
        log.warning(record_failed_login(db.session, form.email.data, attempt, request.remote_addr or "?"))
        db.session.commit()
        form.password.errors.append("That email and password do not match an account.")
        return render_template("auth/login.html", form=form), 401
    return begin_session(attempt.user, _safe_next(request.args.get("next")))


def begin_session(user: User, next_page: str):
    """After a proof of who someone is (their password, or a link from their inbox): signed in, or on to the code
    step when the account has two-factor sign-in. Nothing but a code completes the second factor."""
    if user.has_totp:
        session.clear()
        session[AWAITING_CODE] = {"id": user.get_id(), "next": next_page, "at": int(time.time())}
        return redirect(url_for("auth.code"))
    start_session(user)
    return redirect(next_page)


def _awaiting_user() -> User | None:
    pending = session.get(AWAITING_CODE)
    # Five minutes to type the code; then the password again.
    if not pending or time.time() - pending.get("at", 0) > 300:
        return None
    return load_user(pending["id"])


def _awaiting_account() -> str:
    return "login-code:" + str((session.get(AWAITING_CODE) or {}).get("id", "")).partition(":")[0]


@blueprint.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_refused, scope="login-address")
@limiter.limit(_account_limit, key_func=_awaiting_account, methods=["POST"], deduct_when=_refused, scope="login-code")
def code():
    user = _awaiting_user()
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            verify(db.session, user, form.code.data, datetime.now(UTC))
        except TwoFactorError as error:
            log.warning(record_failed_code(db.session, user, str(error), request.remote_addr or "?"))
            db.session.commit()
            form.code.errors.append(str(error))
            return render_template("auth/code.html", form=form), 401
        next_page = session[AWAITING_CODE]["next"]
        db.session.commit()
        start_session(user)
        return redirect(next_page)
    return render_template("auth/code.html", form=form), 401 if request.method == "POST" else 200


@blueprint.post("/logout")
@login_required
def logout():
    # Every session of the account ends, not only this browser's: a copied cookie dies with it.
    end_every_session(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
