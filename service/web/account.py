"""A person's own account: changing the password, and setting up two-factor sign-in."""

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from service.accounts import two_factor as totp
from service.accounts.passwords import PasswordPolicyError
from service.accounts.team import TeamError, change_own_password
from service.extensions import db
from service.web.auth import start_session, two_factor_required

blueprint = Blueprint("account", __name__, url_prefix="/account")

# The secret being set up, kept in the (signed) session until a code proves the person's app has it.
PENDING_SECRET = "pending_totp_secret"


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])


class TwoFactorForm(FlaskForm):
    code = StringField("The six-digit code your app shows now", validators=[DataRequired(), Length(max=12)])


@blueprint.route("", methods=["GET", "POST"])
@login_required
def show():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            change_own_password(db.session, current_user, form.current_password.data, form.new_password.data)
        except TeamError as error:
            form.current_password.errors.append(str(error))
        except PasswordPolicyError as error:
            form.new_password.errors.append(str(error))
        else:
            db.session.commit()
            # Every other session ended with the change; this browser goes on with a fresh one.
            start_session(current_user)
            flash("Password changed. Every other session of your account has ended.", "success")
            return redirect(url_for("account.show"))
    if form.errors:
        status = 422
    codes_left = totp.unused_recovery_codes(db.session, current_user) if current_user.has_totp else 0
    return render_template("account/show.html", form=form, codes_left=codes_left), status


@blueprint.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    if current_user.has_totp and request.method == "GET":
        return redirect(url_for("account.show"))
    secret = session.get(PENDING_SECRET) or totp.new_secret()
    session[PENDING_SECRET] = secret
    form = TwoFactorForm()
    if form.validate_on_submit() and not current_user.has_totp:
        try:
            codes = totp.enable(db.session, current_user, secret, form.code.data, datetime.now(UTC))
        except totp.TwoFactorError as error:
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            session.pop(PENDING_SECRET, None)
            return render_template("account/recovery_codes.html", codes=codes)
    uri = totp.provisioning_uri(secret, current_user.email)
    return render_template(
        "account/two_factor.html",
        form=form,
        secret=secret,
        qr=Markup(totp.qr_svg(uri)),
        required=two_factor_required(current_user),
    ), (422 if form.errors else 200)
