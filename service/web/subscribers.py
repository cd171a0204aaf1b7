"""Marketer pages for the subscriber list: counts, pages, lookup, erasure, CSV import and export, welcome email.

Addresses never travel in URLs: the lookup is a POST that redirects to the subscriber's id, and imports are
referred to by a random id.
"""

import logging
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, StringField, TextAreaField

from service import audit
from service.extensions import db
from service.models import Subscriber
from service.models.subscribers import SUBSCRIBER_STATUSES
from service.models.users import EDITOR_ROLES
from service.subscribers import import_jobs, uploads
from service.subscribers.addresses import AddressError
from service.subscribers.audience import audience_size
from service.subscribers.csv_export import confirmed_count, csv_chunks
from service.subscribers.csv_import import COLUMNS, ImportContext, check_file, import_checked
from service.subscribers.erasure import erase_subscriber
from service.subscribers.listing import find_by_address, page_of_subscribers, status_counts
from service.subscribers.search import search_subscribers
from service.subscribers.welcome import WelcomeInputError, save_welcome, welcome_content
from service.web.auth import roles_required
from service.web.body_limits import body_limit
from service.web.forms import BoundaryForm

blueprint = Blueprint("subscribers", __name__, url_prefix="/subscribers")
log = logging.getLogger(__name__)


class SearchForm(BoundaryForm):
    email = StringField("Find by part of an address or name")


class ImportForm(BoundaryForm):
    upload = FileField("CSV file")


class WelcomeForm(BoundaryForm):
    enabled = BooleanField("Send a welcome email right after someone confirms")
    subject = StringField("Subject")
    body = TextAreaField("Body (plain text; a blank line starts a new paragraph)")


def _import_context() -> ImportContext:
    return ImportContext.from_config(current_app.config, datetime.now(UTC))


def _import_dir() -> str:
    return current_app.config["SUBSCRIBER_IMPORT_DIR"]


# --- the list -----------------------------------------------------------------------------------------------


def _render_index(
    search: SearchForm, status: int = 200, lookup_message: str | None = None, matches: list | None = None
):
    state = request.args.get("status") or None
    if state not in (None, *SUBSCRIBER_STATUSES):
        abort(404)
    before = request.args.get("before", type=int)
    page = page_of_subscribers(db.session, status=state, before=before)
    return (
        render_template(
            "subscribers/index.html",
            counts=status_counts(db.session),
            page=page,
            state=state,
            first_page=before is None,
            search=search,
            lookup_message=lookup_message,
            matches=matches,
        ),
        status,
    )


@blueprint.get("")
@roles_required(*EDITOR_ROLES)
def index():
    return _render_index(SearchForm())


@blueprint.post("/search")
@roles_required(*EDITOR_ROLES)
def search():
    """POST so the address stays out of URLs and access logs. A whole address that matches redirects to the
    subscriber's id; any other text lists the subscribers whose address or name contains it."""
    form = SearchForm()
    if not form.validate_on_submit():
        return redirect(url_for("subscribers.index"))
    text = (form.email.data or "").strip()
    try:
        lookup = find_by_address(db.session, text, current_app.config["EMAIL_HASH_KEY"])
    except AddressError:
        matches = search_subscribers(db.session, text)
        return _render_index(form, 200, None if matches else "No subscriber's address or name contains that.", matches)
    if lookup.subscriber is not None:
        return redirect(url_for("subscribers.show", subscriber_id=lookup.subscriber.id))
    if lookup.suppression_reason:
        message = (
            f"No subscriber has that address, and it is on the suppression list ({lookup.suppression_reason}): "
            "it can never be imported or mailed."
        )
        return _render_index(form, 200, message, [])
    matches = search_subscribers(db.session, text)
    return _render_index(form, 200, None if matches else "No subscriber has that address.", matches)


@blueprint.get("/<int:subscriber_id>")
@roles_required(*EDITOR_ROLES)
def show(subscriber_id: int):
    subscriber = db.get_or_404(Subscriber, subscriber_id)
    return render_template("subscribers/show.html", subscriber=subscriber, action_form=BoundaryForm())


@blueprint.post("/<int:subscriber_id>/erase")
@roles_required(*EDITOR_ROLES)
def erase(subscriber_id: int):
    subscriber = db.get_or_404(Subscriber, subscriber_id)
    if not BoundaryForm().validate_on_submit():
        abort(400)
    if not request.form.get("sure"):
        flash("Tick the box to confirm you checked who asked, then erase.", "error")
        return redirect(url_for("subscribers.show", subscriber_id=subscriber_id))
    erase_subscriber(db.session, subscriber, actor=current_user)
    db.session.commit()
    log.info("subscriber #%s erased by user #%s", subscriber_id, current_user.id)
    flash(
        f"Subscriber #{subscriber_id} is erased. Their address is kept only as a keyed hash on the suppression "
        "list, so it can never be imported or mailed again.",
        "success",
    )
    return redirect(url_for("subscribers.index"))


# --- import and export --------------------------------------------------------------------------------------


@blueprint.route("/import", methods=["GET", "POST"])
@body_limit("SUBSCRIBER_IMPORT_MAX_BYTES")
@roles_required(*EDITOR_ROLES)
def import_upload():
    """Step 1: upload and check. Nothing is stored in the list; the report decides whether step 2 is offered.
    A file over SUBSCRIBER_IMPORT_INLINE_MAX_BYTES is checked by the worker, with a progress bar on its page."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.upload.data
        if not upload or not upload.filename:
            form.upload.errors = ["Choose a CSV file."]
        else:
            folder = _import_dir()
            upload_id = uploads.save_upload(folder, upload.stream)
            if uploads.size_of(folder, upload_id) > current_app.config["SUBSCRIBER_IMPORT_INLINE_MAX_BYTES"]:
                import_jobs.queue_check(db.session, upload_id, upload.filename, folder, current_user)
                db.session.commit()
                return redirect(url_for("subscribers.import_status", upload_id=upload_id))
            return _check_now(folder, upload_id, upload.filename)
    return render_template("subscribers/import.html", form=form, columns=COLUMNS)


def _check_now(folder: str, upload_id: str, filename: str):
    try:
        with (
            uploads.open_upload(folder, upload_id) as stream,
            uploads.open_checked(folder, upload_id, "w") as keep,
        ):
            report = check_file(db.session, stream, _import_context(), keep=keep)
    finally:
        db.session.rollback()
        uploads.discard_original(folder, upload_id)
    if not report.ok:
        uploads.discard_upload(folder, upload_id)
    return _report_page(report, upload_id if report.ok else None, filename)


def _report_page(report, upload_id: str | None, filename: str):
    return render_template(
        "subscribers/import_report.html", report=report, upload_id=upload_id, filename=filename, form=BoundaryForm()
    )


@blueprint.post("/import/<upload_id>")
@roles_required(*EDITOR_ROLES)
def import_commit(upload_id: str):
    """Step 2: write the rows the check validated, in one transaction (all or nothing); the worker's job for a
    large file."""
    if not BoundaryForm().validate_on_submit():
        abort(400)
    job = import_jobs.job_for(db.session, upload_id)
    if job is not None:
        if import_jobs.queue_import(db.session, job, datetime.now(UTC)):
            db.session.commit()
        return redirect(url_for("subscribers.import_status", upload_id=upload_id))
    try:
        stream = uploads.open_checked(_import_dir(), upload_id)
    except uploads.UploadNotFound:
        flash("That upload is no longer waiting (already imported, or older than an hour). Upload it again.", "error")
        return redirect(url_for("subscribers.import_upload"))
    try:
        with stream:
            report = import_checked(db.session, stream, _import_context(), actor=current_user)
        db.session.commit()
    except IntegrityError:
        # Someone signed up with an address from the file while it was importing; the file can simply go again.
        db.session.rollback()
        flash("The list changed while importing, so nothing was imported. Please confirm the import again.", "error")
        return redirect(url_for("subscribers.import_upload"))
    uploads.discard_upload(_import_dir(), upload_id)
    log.info("subscriber import by user #%s: %s", current_user.id, report.summary())
    flash(f"Imported: {report.summary()}.", "success")
    return redirect(url_for("subscribers.index"))


@blueprint.get("/imports/<upload_id>")
@roles_required(*EDITOR_ROLES)
def import_status(upload_id: str):
    """A large file's import: a progress bar while the worker checks or imports it, then its report."""
    job = import_jobs.job_for(db.session, upload_id) or abort(404)
    if job.status == "checked":
        report = import_jobs.report_of(job)
        return _report_page(report, upload_id if report.ok else None, job.filename)
    if job.status == "imported":
        flash(f"Imported: {import_jobs.report_of(job).summary()}.", "success")
        return redirect(url_for("subscribers.index"))
    return render_template("subscribers/import_progress.html", job=job)


@blueprint.get("/imports/<upload_id>/progress")
@roles_required(*EDITOR_ROLES)
def import_progress(upload_id: str):
    job = import_jobs.job_for(db.session, upload_id) or abort(404)
    return jsonify(status=job.status, done=job.bytes_done, total=job.bytes_total)


@blueprint.get("/export.csv")
@roles_required(*EDITOR_ROLES)
def export():
    count = confirmed_count(db.session)
    audit.record(db.session, "subscribers:exported", actor=current_user, detail=f"{count} confirmed subscribers")
    db.session.commit()
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        stream_with_context(csv_chunks(db.session)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="subscribers-confirmed-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


# --- the welcome email --------------------------------------------------------------------------------------


@blueprint.route("/welcome-email", methods=["GET", "POST"])
@roles_required(*EDITOR_ROLES)
def welcome():
    config = current_app.config
    content = welcome_content(
        db.session, clinic_name=config["CLINIC_NAME"], default_enabled=config["WELCOME_EMAIL_ENABLED"]
    )
    form = WelcomeForm(data={"enabled": content.enabled, "subject": content.subject, "body": content.body})
    findings = []
    if form.validate_on_submit():
        try:
            findings = save_welcome(
                db.session,
                subject=form.subject.data or "",
                body=form.body.data or "",
                enabled=bool(form.enabled.data),
                actor=current_user,
            )
        except WelcomeInputError as error:
            db.session.rollback()
            findings = error.findings
            for name, message in error.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        else:
            db.session.commit()
            flash("Welcome email saved." if form.enabled.data else "Saved; the welcome email is turned off.", "success")
            if not findings:
                return redirect(url_for("subscribers.welcome"))
    return render_template("subscribers/welcome.html", form=form, findings=findings, customised=content.customised)


# --- for the campaign form ----------------------------------------------------------------------------------


@blueprint.get("/audience-size")
@login_required
def audience_size_json():
    """{"size": n}: confirmed, unsuppressed subscribers of any of the `topics` query values."""
    topics = [topic for topic in request.args.getlist("topics") if topic in current_app.config["SUBSCRIBER_TOPICS"]]
    return jsonify(size=audience_size(db.session, topics), topics=topics)
