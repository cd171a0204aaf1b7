"""Marketer pages for campaigns: list, create, edit, preview, and the lifecycle buttons."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from service.campaigns import editing, lifecycle
from service.campaigns.batches import campaigns_awaiting_a_person
from service.campaigns.editing import CampaignInputError, EditContext
from service.campaigns.guardrails import Thresholds, campaign_warnings
from service.campaigns.lifecycle import LifecycleError
from service.campaigns.listing import (
    CHANNELS,
    SORTS,
    ArchiveError,
    CampaignFilter,
    archive_campaign,
    authors,
    campaign_page,
    unarchive_campaign,
)
from service.campaigns.recipes import new_feed_drafts
from service.campaigns.schedule import PlannedSend, ScheduleError
from service.campaigns.send_to_self import MAX_TEST_RECIPIENTS
from service.campaigns.withdrawal import cancel_margin, withdraw_handed_over
from service.channels.registry import email_channel_for_request
from service.compliance.review import approve_as_seen, review_campaign, submission_check
from service.composer.preview import preview_email as preview_for
from service.composer.preview import sample_subscribers
from service.extensions import db
from service.models import Article, Campaign, EmailIssue, User
from service.models.statuses import CampaignStatus
from service.outgoing.post_preview import XAccount, campaign_thread_preview
from service.rendering.post_length import MAX_POST_LENGTH
from service.subscribers.audience import audience_size
from service.timezones import DST_RULE, utc_to_local
from service.web.campaign_forms import CampaignForm, SchedulePreviewForm
from service.web.forms import FormTextError, form_text
from service.web.security_headers import embedded_email_headers
from service.web.staff_notices import notify_after

FINISHED_CAMPAIGN_STATUSES = ("sent", "cancelled")

blueprint = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _edit_context() -> EditContext:
    return EditContext(
        known_topics=current_app.config["SUBSCRIBER_TOPICS"],
        tz_name=current_app.config["CLINIC_TIMEZONE"],
        now=datetime.now(UTC),
    )


def _form(campaign: Campaign | None = None) -> CampaignForm:
    form = CampaignForm(obj=None if campaign is None else editing.input_from(campaign))
    articles = db.session.scalars(
        select(Article).options(selectinload(Article.snippets)).order_by(Article.imported_at.desc())
    ).all()
    form.snippet_ids.choices = [
        SelectChoice(snippet.id, f"{article.title} › {snippet.heading}")
        for article in articles
        for snippet in article.snippets
    ]
    form.topics.choices = [SelectChoice(topic) for topic in current_app.config["SUBSCRIBER_TOPICS"]]
    return form


def _planned(data: editing.CampaignInput, campaign: Campaign | None) -> dict:
    """The planned sends of a schedule being entered, in the clinic's time, as the form and its live list show
    them: {"sends": [{"at", "text", "step"}], "error", "field"}."""
    try:
        sends = editing.planned_sends(data, _edit_context(), campaign)
    except ScheduleError as error:
        return {"sends": [], "error": error.message, "field": error.field}
    return {"sends": _planned_view(sends, data.schedule_kind), "error": None, "field": None}


def _planned_view(sends: list[PlannedSend], kind: str) -> list[dict]:
    tz_name, shown, seen = current_app.config["CLINIC_TIMEZONE"], [], set()
    for send in sends:
        if send.send_at in seen:
            continue  # a one-off sends every step at once: one time to show
        seen.add(send.send_at)
        local = utc_to_local(send.send_at, tz_name)
        shown.append(
            {
                "at": local.strftime("%Y-%m-%dT%H:%M"),
                "text": local.strftime("%a %b %-d, %Y, %-I:%M %p"),
                "step": None if kind == "once" else send.snippet_index + 1,
            }
        )
    return shown


@blueprint.get("/planned-sends.json")
@login_required
def planned_sends():
    """The planned sends of the schedule in the query (the campaign form's schedule fields, plus the ticked
    `snippet_ids` of a new campaign or the `campaign_id` being edited), checked as saving checks them."""
    form = SchedulePreviewForm(formdata=request.args)
    campaign = db.get_or_404(Campaign, form.campaign_id.data) if form.campaign_id.data else None
    data = editing.CampaignInput(name="", snippet_ids=list(form.snippet_ids.data or []), **form.schedule_values())
    return jsonify(timezone=current_app.config["CLINIC_TIMEZONE"], **_planned(data, campaign))


def _render_form(form: CampaignForm, campaign: Campaign | None):
    size = audience_size(db.session, form.topics.data or [])
    return render_template(
        "campaigns/form.html",
        form=form,
        campaign=campaign,
        audience_size=size,
        planned=_planned(form.to_input(), campaign),
        dst_rule=DST_RULE,
        timezone=current_app.config["CLINIC_TIMEZONE"],
    )


@blueprint.get("")
@login_required
def index():
    args = request.args
    wanted = CampaignFilter(
        text=args.get("q", "")[:200],
        status=args.get("status", ""),
        channel=args.get("channel", ""),
        author_id=args.get("author", type=int),
        sort=args.get("sort", "changed") if args.get("sort") in SORTS else "changed",
        archived=args.get("archived") == "1",
        page=args.get("page", 1, type=int),
    )
    return render_template(
        "campaigns/index.html",
        listing=campaign_page(db.session, wanted),
        wanted=wanted,
        statuses=list(CampaignStatus),
        channels=CHANNELS,
        sorts=SORTS,
        authors=authors(db.session),
        awaiting_a_person=campaigns_awaiting_a_person(db.session),
        drafts=new_feed_drafts(db.session),
    )


@blueprint.post("/<int:campaign_id>/duplicate")
@login_required
def duplicate(campaign_id: int):
    copy = editing.duplicate_campaign(db.session, db.get_or_404(Campaign, campaign_id), current_user)
    db.session.commit()
    flash("This is a new draft copied from the campaign; check its dates before submitting.", "success")
    return redirect(url_for("campaigns.edit", campaign_id=copy.id))


@blueprint.post("/<int:campaign_id>/archive")
@login_required
def archive(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    try:
        if request.form.get("restore"):
            unarchive_campaign(db.session, campaign, current_user)
        else:
            archive_campaign(db.session, campaign, current_user, datetime.now(UTC))
    except ArchiveError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Campaign archived." if campaign.archived_at else "Campaign back in the list.", "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@blueprint.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = _form()
    if form.validate_on_submit():
        try:
            campaign = editing.create_campaign(db.session, form.to_input(), current_user, _edit_context())
        except CampaignInputError as error:
            db.session.rollback()
            form.show_errors(error.errors)
        else:
            db.session.commit()
            flash("Campaign saved as a draft.", "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _render_form(form, None)


@blueprint.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = _form(campaign)
    if request.method == "GET":
        form.process(obj=editing.input_from(campaign))
    if form.validate_on_submit():
        try:
            editing.update_campaign(db.session, campaign, form.to_input(), current_user, _edit_context())
        except (CampaignInputError, LifecycleError) as error:
            db.session.rollback()
            form.show_errors(getattr(error, "errors", {"name": str(error)}))
        else:
            db.session.commit()
            flash("Campaign saved. It is a draft again and needs review before it can go out.", "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _render_form(form, campaign)


@blueprint.get("/<int:campaign_id>")
@login_required
def show(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    # A finished campaign's audience now is no longer its business (its messages keep their audience at send time),
    # and counting a large list on every view of it is the page's whole cost.
    finished = campaign.status in FINISHED_CAMPAIGN_STATUSES
    in_review = campaign.status == "in_review"
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        audience_size=None if finished else audience_size(db.session, campaign.topics or []),
        action_form=CampaignForm(),
        content_hash=review_campaign(campaign, current_app.config).content_hash if in_review else "",
        deliverability_warnings=campaign_warnings(
            db.session, campaign, Thresholds.from_config(current_app.config), datetime.now(UTC)
        ),
    )


def _sample_id() -> int | None:
    value = request.args.get("subscriber", "")
    return int(value) if value.isdigit() else None


@blueprint.get("/<int:campaign_id>/preview/<int:position>/email.html")
@login_required
def preview_email(campaign_id: int, position: int):
    """The email exactly as the worker renders it for the chosen sample subscriber, shown in the preview's frames."""
    campaign, issue = _preview_target(campaign_id, position)
    email = preview_for(db.session, campaign, issue, current_app.config, _sample_id())
    return email.html, 200, embedded_email_headers()


@blueprint.get("/<int:campaign_id>/preview/<int:position>")
@login_required
def preview(campaign_id: int, position: int):
    campaign, issue = _preview_target(campaign_id, position)
    sample_id = _sample_id()
    email = preview_for(db.session, campaign, issue, current_app.config, sample_id) if campaign.send_email else None
    # An email-only campaign posts nothing: its preview has no X section.
    sections = campaign.sections
    posts = (
        [
            (section, sections.index(section), campaign_thread_preview(campaign, section, current_app.config))
            for section in issue.sections
        ]
        if campaign.send_post
        else []
    )
    team = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    return render_template(
        "campaigns/preview.html",
        campaign=campaign,
        issue=issue,
        position=position,
        email=email,
        posts=posts,
        samples=sample_subscribers(db.session, campaign),
        sample_id=sample_id,
        team=team,
        max_test_recipients=MAX_TEST_RECIPIENTS,
        account=XAccount.from_config(current_app.config),
        max_length=MAX_POST_LENGTH,
    )


def _preview_target(campaign_id: int, position: int) -> tuple[Campaign, EmailIssue]:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not 0 <= position < len(campaign.issues):
        abort(404)
    return campaign, campaign.issues[position]


def _approve(campaign: Campaign) -> None:
    # Approval covers what the page showed and needs a passing claims check now; failing, the request rolls back.
    approve_as_seen(
        db.session,
        campaign,
        current_user,
        current_app.config,
        seen_hash=request.form.get("content_hash", ""),
        allow_self_approval=current_app.config["ALLOW_SELF_APPROVAL"],
    )


ACTIONS = {
    "submit": lambda c: lifecycle.submit_for_review(
        db.session, c, current_user, checks=(submission_check(db.session, current_app.config),)
    ),
    "approve": _approve,
    "send-back": lambda c: lifecycle.send_back(db.session, c, current_user, form_text("comment", "Comment")),
    "schedule": lambda c: lifecycle.schedule(
        db.session, c, current_user, tz_name=current_app.config["CLINIC_TIMEZONE"], now=datetime.now(UTC)
    ),
    "pause": lambda c: lifecycle.pause(db.session, c, current_user),
    "resume": lambda c: lifecycle.resume(db.session, c, current_user),
    "cancel": lambda c: lifecycle.cancel(db.session, c, current_user),
}


@blueprint.post("/<int:campaign_id>/<action>")
@login_required
def act(campaign_id: int, action: str):
    # CSRFProtect has already checked the token of this POST, as of every POST.
    if action not in ACTIONS:
        abort(404)
    campaign = db.get_or_404(Campaign, campaign_id)
    if action == "cancel" and request.form.get("confirm") != "yes":
        flash("Tick the box to confirm: cancelling stops every unsent message for good.", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    try:
        ACTIONS[action](campaign)
    except (LifecycleError, ScheduleError, FormTextError) as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        withdrawn = _withdraw_from_sendgrid(campaign) if action in ("pause", "cancel") else ""
        db.session.commit()
        flash(f"Campaign is now {campaign.status.replace('_', ' ')}. {withdrawn}".strip(), "success")
        notify_after(action, campaign, request.form.get("comment", ""))
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


def _withdraw_from_sendgrid(campaign: Campaign) -> str:
    """Email SendGrid holds for a later send time is cancelled there too; returns what to tell the person."""
    config = current_app.config
    withdrawal = withdraw_handed_over(
        db.session, campaign, email_channel_for_request(config), current_user, datetime.now(UTC), cancel_margin(config)
    )
    return withdrawal.summary()
