"""The Deliverability page: the guardrails' limits, held email sends and their release by an admin (thin)."""

from datetime import UTC, datetime

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from service.campaigns.guardrails import (
    AcknowledgementError,
    Thresholds,
    acknowledge_holds,
    active_holds,
    dormant_list_warning,
)
from service.extensions import db
from service.models import SendHold
from service.web.auth import roles_required
from service.web.forms import BoundaryForm

blueprint = Blueprint("deliverability", __name__, url_prefix="/deliverability")


class ReleaseForm(BoundaryForm):
    acknowledgement = TextAreaField(
        "What you checked, and why sending may go on (kept in the audit log)", validators=[DataRequired()]
    )


def _page(form: ReleaseForm, status: int = 200):
    thresholds = Thresholds.from_config(current_app.config)
    past = db.session.scalars(
        select(SendHold).where(SendHold.acknowledged_at.is_not(None)).order_by(SendHold.id.desc()).limit(10)
    ).all()
    return (
        render_template(
            "deliverability/index.html",
            thresholds=thresholds,
            holds=active_holds(db.session),
            past_holds=past,
            dormant_warning=dormant_list_warning(db.session, thresholds, datetime.now(UTC)),
            form=form,
        ),
        status,
    )


@blueprint.get("")
@login_required
def index():
    return _page(ReleaseForm())


@blueprint.post("/release")
@roles_required("admin")
def release():
    form = ReleaseForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        released = acknowledge_holds(db.session, current_user, form.acknowledgement.data, datetime.now(UTC))
    except AcknowledgementError as error:
        db.session.rollback()
        form.acknowledgement.errors = [str(error)]
        return _page(form, 400)
    db.session.commit()
    flash(f"Released {released} {'hold' if released == 1 else 'holds'}: held email sends resume where they stopped.")
    return redirect(url_for("deliverability.index"))


def init_app(app: Flask) -> None:
    @app.context_processor
    def send_holds_context():
        if not current_user.is_authenticated:
            return {"send_holds": []}
        return {"send_holds": active_holds(db.session)}
