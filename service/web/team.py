"""The Team page (admins): invite, change a role, deactivate, reactivate; and the links staff get by email:
joining from an invitation, and resetting a forgotten password."""

import logging
from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from service.accounts import team
from service.accounts.links import INVITATION, PASSWORD_RESET, StaffLink, StaffLinkError, account_for_link
from service.accounts.passwords import PasswordPolicyError
from service.channels.email.base import EmailSendError
from service.channels.registry import email_channel_for_request
from service.extensions import db, limiter
from service.models import User
from service.models.users import ROLES
from service.outgoing.staff import invitation_email, password_reset_email, send_to_staff
from service.rendering.clinic import ClinicInfo
from service.signing_keys import signing_keys
from service.web.auth import begin_session, roles_required

blueprint = Blueprint("team", __name__)
log = logging.getLogger(__name__)

RESET_ANSWER = "If that email belongs to an account, a link to reset its password is on its way. It works for 1 hour."


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=[SelectChoice(role) for role in ROLES], default="marketer")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(role) for role in ROLES])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


def _send(email, user: User) -> bool:
    try:
        send_to_staff(email_channel_for_request(current_app.config), email, user)
    except EmailSendError as error:
        log.warning("staff email to account #%s not sent: %s", user.id, error)
        return False
    return True


def _clinic() -> ClinicInfo:
    return ClinicInfo.from_config(current_app.config)


def _render_team(form: InviteForm, status: int = 200):
    members = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("team/index.html", form=form, members=members, roles=ROLES), status


@blueprint.get("/team")
@roles_required("admin")
def index():
    return _render_team(InviteForm())


@blueprint.post("/team/invite")
@roles_required("admin")
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_team(form, 422)
    try:
        invitation = team.Invitation(form.email.data, form.name.data, form.role.data)
        user = team.invite(db.session, invitation, current_user, datetime.now(UTC))
    except team.TeamError as error:
        db.session.rollback()
        getattr(form, error.field or "email").errors.append(str(error))
        return _render_team(form, 422)
    db.session.commit()
    if _send(invitation_email(user, _clinic(), signing_keys(current_app.config)), user):
        flash(f"Invitation sent to {user.name}. The link works for 48 hours.", "success")
    else:
        flash(f"{user.name}'s account is made, but the invitation could not be sent; try Resend.", "error")
    return redirect(url_for("team.index"))


def _member(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@blueprint.post("/team/<int:user_id>/resend")
@roles_required("admin")
def resend(user_id: int):
    user = _member(user_id)
    if user.has_password or not user.active:
        flash(f"{user.name} has already joined.", "error")
    elif _send(invitation_email(user, _clinic(), signing_keys(current_app.config)), user):
        team.record_resent(db.session, user, current_user)
        db.session.commit()
        flash(f"Invitation sent to {user.name} again.", "success")
    return redirect(url_for("team.index"))


def _change(user_id: int, change, done: str):
    user = _member(user_id)
    try:
        change(user)
    except team.TeamError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(done.format(name=user.name), "success")
    return redirect(url_for("team.index"))


@blueprint.post("/team/<int:user_id>/role")
@roles_required("admin")
def change_role(user_id: int):
    form = RoleForm()
    role = form.role.data if form.validate_on_submit() else ""
    return _change(
        user_id, lambda user: team.change_role(db.session, user, role, current_user), "{name}'s role changed."
    )


@blueprint.post("/team/<int:user_id>/deactivate")
@roles_required("admin")
def deactivate(user_id: int):
    return _change(user_id, lambda user: team.deactivate(db.session, user, current_user), "{name} is deactivated.")


@blueprint.post("/team/<int:user_id>/reactivate")
@roles_required("admin")
def reactivate(user_id: int):
    return _change(user_id, lambda user: team.reactivate(db.session, user, current_user), "{name} is active again.")


# --- links staff get by email -------------------------------------------------------------------------------


def _set_password_page(token: str, link: StaffLink, action, template: str):
    form = NewPasswordForm()
    keys = signing_keys(current_app.config)
    try:
        if form.validate_on_submit():
            user = action(db.session, keys, token, form.password.data)
            db.session.commit()
            return user
        user = account_for_link(db.session, keys, link, token)
    except StaffLinkError as error:
        db.session.rollback()
        return render_template("team/link_problem.html", message=str(error)), 400
    except PasswordPolicyError as error:
        db.session.rollback()
        form.password.errors.append(str(error))
        return render_template(template, form=form, user=None), 422
    return render_template(template, form=form, user=user), (422 if form.errors else 200)


@blueprint.route("/team/join/<token>", methods=["GET", "POST"])
def join(token: str):
    outcome = _set_password_page(token, INVITATION, team.accept_invitation, "team/join.html")
    if isinstance(outcome, User):
        response = begin_session(outcome, url_for("account.two_factor"))
        flash("Welcome. Set up two-factor sign-in now: it keeps your account yours.", "success")
        return response
    return outcome


@blueprint.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    outcome = _set_password_page(token, PASSWORD_RESET, team.reset_password, "team/reset.html")
    if isinstance(outcome, User):
        response = begin_session(outcome, url_for("campaigns.index"))  # a fresh session: flash after it
        flash("Password changed. Every other session of your account has ended.", "success")
        return response
    return outcome


def _forgot_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


@blueprint.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_forgot_limit, methods=["POST"], scope="password-forgot")
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        user = team.account_for_reset(db.session, form.email.data)
        db.session.commit()
        if user is not None:
            _send(password_reset_email(user, _clinic(), signing_keys(current_app.config)), user)
        return render_template("team/forgot.html", form=None, answer=RESET_ANSWER)
    return render_template("team/forgot.html", form=form, answer=None), (422 if form.errors else 200)
