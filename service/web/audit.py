"""The audit log page: who did what, and when; filterable by campaign, person, action and date, newest first."""

from datetime import date, time, timedelta

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import login_required
from sqlalchemy import select

from service.audit_reading import action_choices, describe, read_entries
from service.extensions import db
from service.models import AuditEntry, Campaign, User
from service.timezones import local_to_utc

blueprint = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
__all__ = ["PAGE_SIZE", "blueprint", "describe"]


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400, description=f"{name} must be a number.")
    return int(raw)


def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Give a date as YYYY-MM-DD."
        return None


@blueprint.get("")
@login_required
def index():
    campaign_id, before, person = _int_arg("campaign"), _int_arg("before"), _int_arg("person")
    action = request.args.get("action", "").strip()
    errors: dict[str, str] = {}
    since, until = _date_arg("from", errors), _date_arg("to", errors)
    if since and until and until < since:
        errors["to"] = "The last day is before the first."
    tz_name = current_app.config["CLINIC_TIMEZONE"]
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)
    if campaign_id is not None:
        query = query.where(AuditEntry.campaign_id == campaign_id)
    if person is not None:
        query = query.where(AuditEntry.actor_id == person)
    if action:
        query = query.where(AuditEntry.action == action)
    # Days are the clinic's days: from its midnight to the next.
    if since and not errors:
        query = query.where(AuditEntry.at >= local_to_utc(since, time(0), tz_name))
    if until and not errors:
        query = query.where(AuditEntry.at < local_to_utc(until + timedelta(days=1), time(0), tz_name))
    if before is not None:
        query = query.where(AuditEntry.id < before)
    entries = db.session.scalars(query).all()
    # Keyset pagination: ids only grow, so "older than the last one shown" is the next page.
    next_before = entries[PAGE_SIZE - 1].id if len(entries) > PAGE_SIZE else None
    entries = entries[:PAGE_SIZE]
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.name)).all()
    filters = {
        "campaign": campaign_id,
        "person": person,
        "action": action or None,
        "from": request.args.get("from") or None,
        "to": request.args.get("to") or None,
    }
    return render_template(
        "audit/index.html",
        lines=read_entries(entries),
        campaigns=campaigns,
        people=db.session.scalars(select(User).order_by(User.name)).all(),
        actions=action_choices(db.session.scalars(select(AuditEntry.action).distinct()).all()),
        names={campaign.id: campaign.name for campaign in campaigns},
        campaign_id=campaign_id,
        filters=filters,
        errors=errors,
        next_before=next_before,
        first_page=before is None,
    )
