"""The sending calendar: a month/week calendar (FullCalendar, fed from `sends.json`), drag to move a send, the
keyboard's move form, and the agenda of the coming weeks in the clinic's time."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from service.campaigns.calendar import CALENDAR_WEEKS, missed_messages, upcoming_sends
from service.campaigns.calendar_sends import CalendarSend, MoveError, calendar_sends, move_send
from service.extensions import db
from service.models import Campaign
from service.timezones import DST_RULE, utc_to_local
from service.web.security_headers import PAGE_POLICY

# FullCalendar 6 keeps its CSS in its JavaScript: it adds one EMPTY <style> element and fills it through the CSSOM
# (which CSP does not govern), and its arrow icons are a data: font. This page alone allows exactly that: the hash
# is of the empty string, so no inline style with content is allowed.
CALENDAR_POLICY = PAGE_POLICY.replace(
    "style-src 'self';",
    "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='; font-src 'self' data:;",
)

blueprint = Blueprint("calendar", __name__, url_prefix="/calendar")
CHANNEL_NAMES = {"email": "Email", "x": "X"}
LONGEST_WINDOW = timedelta(days=62)  # a month view asks for six weeks; more is not a calendar's question


def _tz() -> str:
    return current_app.config["CLINIC_TIMEZONE"]


def zone_has_dst(tz_name: str, year: int) -> bool:
    """Whether the zone changes its clocks in `year` (Phoenix does not; Denver does)."""
    zone = ZoneInfo(tz_name)
    return datetime(year, 1, 15, tzinfo=zone).utcoffset() != datetime(year, 7, 15, tzinfo=zone).utcoffset()


@blueprint.get("")
@login_required
def index():
    now = datetime.now(UTC)
    page = render_template(
        "calendar/index.html",
        days=upcoming_sends(db.session, now, _tz()),
        missed=missed_messages(db.session),
        weeks=CALENDAR_WEEKS,
        timezone=_tz(),
        dst_rule=DST_RULE if zone_has_dst(_tz(), utc_to_local(now, _tz()).year) else None,
        now=utc_to_local(now, _tz()).replace(tzinfo=None).isoformat(timespec="minutes"),
    )
    return page, {"Content-Security-Policy": CALENDAR_POLICY}


def _wall_clock(text: str | None) -> datetime | None:
    """An ISO date-time from the calendar component, read as the clinic's wall clock (the component runs in 'UTC'
    mode with clinic-local times, so any offset it adds is dropped)."""
    try:
        return datetime.fromisoformat((text or "").replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def _event(send: CalendarSend) -> dict:
    channels = " + ".join(CHANNEL_NAMES.get(channel, channel) for channel in send.channels)
    title = f"{send.campaign_name} ({channels})"
    if not send.approved:
        title += " · not approved"
    return {
        "id": f"{send.campaign_id}:{send.send_at.isoformat() if send.send_at else 'planned'}",
        "title": title,
        "start": send.local_start.isoformat(),
        "url": url_for("campaigns.show", campaign_id=send.campaign_id),
        "editable": send.movable,
        "classNames": ["cal-send", f"cal-{send.campaign_status}"] + ([] if send.approved else ["cal-unapproved"]),
        "extendedProps": {
            "campaignId": send.campaign_id,
            "sendAt": send.send_at.isoformat() if send.send_at else None,
            "status": send.campaign_status.replace("_", " "),
        },
    }


@blueprint.get("/sends.json")
@login_required
def sends():
    start, end = _wall_clock(request.args.get("start")), _wall_clock(request.args.get("end"))
    if start is None or end is None or not start < end <= start + LONGEST_WINDOW:
        return jsonify(error="Give start and end dates at most 62 days apart."), 400
    return jsonify([_event(send) for send in calendar_sends(db.session, start.date(), end.date(), _tz())])


def _move(campaign: Campaign, send_at: datetime | None, new_local: datetime | None) -> datetime:
    if send_at is None or send_at.tzinfo is None or new_local is None:
        raise MoveError("Choose the day and time to move the send to.")
    new_at = move_send(
        db.session, campaign, send_at, new_local, tz_name=_tz(), actor=current_user, now=datetime.now(UTC)
    )
    db.session.commit()
    return new_at


def _instant(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text or "")
    except ValueError:
        return None


@blueprint.post("/move")
@login_required
def move():
    """A drag in the calendar: {campaign_id, send_at (UTC ISO), to (clinic wall clock ISO)}. CSRFProtect checks the
    X-CSRFToken header."""
    payload = request.get_json(silent=True) or {}
    campaign_id = payload.get("campaign_id")
    campaign = db.session.get(Campaign, campaign_id) if isinstance(campaign_id, int) else None
    if campaign is None:
        return jsonify(error="No such campaign."), 404
    try:
        new_at = _move(campaign, _instant(payload.get("send_at")), _wall_clock(payload.get("to")))
    except MoveError as error:
        db.session.rollback()
        return jsonify(error=str(error)), 422
    return jsonify(send_at=new_at.isoformat(), local=utc_to_local(new_at, _tz()).strftime("%a %b %-d, %-I:%M %p %Z"))


@blueprint.route("/move/<int:campaign_id>", methods=["GET", "POST"])
@login_required
def move_form(campaign_id: int):
    """The keyboard's way to move a send: a date and a time field."""
    campaign = db.get_or_404(Campaign, campaign_id)
    send_at = _instant(request.values.get("send_at"))
    if send_at is None or send_at.tzinfo is None:
        abort(404)
    current = utc_to_local(send_at, _tz())
    error, typed_date, typed_time = None, current.date().isoformat(), current.strftime("%H:%M")
    if request.method == "POST":
        typed_date, typed_time = request.form.get("date", ""), request.form.get("time", "")
        try:
            new_local = datetime.combine(date.fromisoformat(typed_date), time.fromisoformat(typed_time))
        except ValueError:
            new_local = None
        try:
            new_at = _move(campaign, send_at, new_local)
        except MoveError as problem:
            db.session.rollback()
            error = str(problem)
        else:
            when = utc_to_local(new_at, _tz()).strftime("%a %b %-d, %Y at %-I:%M %p %Z")
            flash(f"The send of “{campaign.name}” now goes out {when}.", "success")
            return redirect(url_for("calendar.index"))
    return render_template(
        "calendar/move.html",
        campaign=campaign,
        send_at=send_at.isoformat(),
        current=current,
        typed_date=typed_date,
        typed_time=typed_time,
        error=error,
        timezone=_tz(),
    ), 422 if error else 200
