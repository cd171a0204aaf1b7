"""The claims library pages: every role reads it; reviewers and admins propose, approve, reject and retire.

Four eyes and the audit log are the domain's (service.compliance.library); these handlers parse forms and show
the result.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from service.compliance.library import (
    EVIDENCE_KIND_LABELS,
    ClaimInput,
    EvidenceInput,
    LibraryError,
    all_claims,
    approve_version,
    clinic_today,
    format_citation,
    is_live,
    propose_change,
    propose_claim,
    reject_version,
    retire_claim,
)
from service.extensions import db
from service.models import Campaign, LibraryClaim, LibraryClaimVersion
from service.models.users import REVIEWER_ROLES
from service.web.auth import roles_required
from service.web.forms import BoundaryForm

blueprint = Blueprint("library", __name__, url_prefix="/library")


class ClaimForm(BoundaryForm):
    title = StringField("Name (how reviewers will know it)", validators=[Length(max=200)])
    wording = TextAreaField("Approved wording (the sentence as it may go out)")
    variants = TextAreaField("Accepted variants (one per line)")
    scope = StringField("What it may be said about", validators=[Length(max=300)])
    review_by = DateField("Review by", validators=[Optional()])
    note = TextAreaField("What changed, and why (for the person who approves)")
    evidence_kind = SelectField(
        "Kind of evidence",
        choices=[
            SelectChoice("", "Choose…"),
            *(SelectChoice(kind, label) for kind, label in EVIDENCE_KIND_LABELS.items()),
        ],
    )
    evidence_authors = StringField("Authors", validators=[Length(max=1000)])
    evidence_title = TextAreaField("Title of the source")
    evidence_journal = StringField("Journal or publisher", validators=[Length(max=300)])
    evidence_year = IntegerField("Year", validators=[Optional(), NumberRange(min=1900, max=2100)])
    evidence_detail = StringField("Volume(issue):pages", validators=[Length(max=100)])
    evidence_doi = StringField("DOI", validators=[Length(max=200)])
    evidence_pmid = StringField("PMID", validators=[Length(max=20)])
    evidence_url = StringField("Link", validators=[Length(max=500)])

    def to_input(self) -> ClaimInput:
        evidence = ()
        if (self.evidence_title.data or "").strip():
            evidence = (
                EvidenceInput(
                    kind=self.evidence_kind.data or "",
                    title=self.evidence_title.data or "",
                    authors=self.evidence_authors.data or "",
                    journal=self.evidence_journal.data or "",
                    year=self.evidence_year.data,
                    citation_detail=self.evidence_detail.data or "",
                    doi=self.evidence_doi.data or "",
                    pmid=self.evidence_pmid.data or "",
                    url=self.evidence_url.data or "",
                ),
            )
        return ClaimInput(
            title=self.title.data or "",
            wording=self.wording.data or "",
            variants=tuple(line for line in (self.variants.data or "").splitlines() if line.strip()),
            scope=self.scope.data or "",
            review_by=self.review_by.data,
            note=self.note.data or "",
            evidence=evidence,
        )

    def fill_from(self, version: LibraryClaimVersion) -> None:
        self.title.data = version.claim.title
        self.wording.data, self.scope.data = version.wording, version.scope
        self.variants.data = "\n".join(version.variants or [])
        self.review_by.data = version.review_by
        if version.evidence:
            evidence = version.evidence[0]
            self.evidence_kind.data, self.evidence_authors.data = evidence.kind, evidence.authors
            self.evidence_title.data, self.evidence_journal.data = evidence.title, evidence.journal
            self.evidence_year.data, self.evidence_detail.data = evidence.year, evidence.citation_detail
            self.evidence_doi.data, self.evidence_pmid.data = evidence.doi, evidence.pmid
            self.evidence_url.data = evidence.url

    def show_errors(self, error: LibraryError) -> None:
        placement = {"evidence": "evidence_title", "evidence_kind": "evidence_kind", "evidence_link": "evidence_doi"}
        for name, message in error.errors.items():
            target = getattr(self, placement.get(name, name), None) if name else None
            if target is None:
                self.form_errors.append(message)
            else:
                target.errors = [*target.errors, message]


def _render_form(form: ClaimForm, *, claim: LibraryClaim | None = None, status: int = 200, source=None):
    return render_template("library/form.html", form=form, claim=claim, source=source), status


@blueprint.get("/")
@login_required
def index():
    today = clinic_today()
    return render_template("library/index.html", claims=all_claims(db.session), today=today, is_live=is_live)


@blueprint.get("/<int:claim_id>")
@login_required
def show(claim_id: int):
    claim = db.get_or_404(LibraryClaim, claim_id)
    return render_template(
        "library/show.html",
        claim=claim,
        today=clinic_today(),
        is_live=is_live,
        format_citation=format_citation,
        kind_labels=EVIDENCE_KIND_LABELS,
    )


@blueprint.route("/new", methods=["GET", "POST"])
@roles_required(*REVIEWER_ROLES)
def new():
    form = ClaimForm()
    source = _source_campaign()
    if request.method == "GET" and request.args.get("wording"):
        # "Propose a library claim" from a finding on a review page starts from that sentence.
        form.wording.data = request.args["wording"][:2000]
    if form.validate_on_submit():
        try:
            version = propose_claim(db.session, form.to_input(), current_user)
        except LibraryError as error:
            db.session.rollback()
            form.show_errors(error)
        else:
            db.session.commit()
            flash("Claim proposed. Another reviewer must approve it before it matches any sentence.", "success")
            return redirect(url_for("library.show", claim_id=version.claim_id))
    return _render_form(form, status=422 if request.method == "POST" else 200, source=source)


def _source_campaign() -> Campaign | None:
    raw = request.args.get("campaign", "")
    return db.session.get(Campaign, int(raw)) if raw.isdigit() and len(raw) < 10 else None


@blueprint.route("/<int:claim_id>/change", methods=["GET", "POST"])
@roles_required(*REVIEWER_ROLES)
def change(claim_id: int):
    claim = db.get_or_404(LibraryClaim, claim_id)
    form = ClaimForm()
    if request.method == "GET" and (claim.approved or claim.versions):
        form.fill_from(claim.approved or claim.versions[-1])
    if form.validate_on_submit():
        try:
            propose_change(db.session, claim, form.to_input(), current_user)
        except LibraryError as error:
            db.session.rollback()
            form.show_errors(error)
        else:
            db.session.commit()
            flash("Change proposed. The approved version keeps matching until another reviewer approves.", "success")
            return redirect(url_for("library.show", claim_id=claim.id))
    return _render_form(form, claim=claim, status=422 if request.method == "POST" else 200)


@blueprint.post("/versions/<int:version_id>/approve")
@roles_required(*REVIEWER_ROLES)
def approve(version_id: int):
    version = db.get_or_404(LibraryClaimVersion, version_id)
    return _decide(version, lambda: approve_version(db.session, version, current_user, request.form.get("note", "")))


@blueprint.post("/versions/<int:version_id>/reject")
@roles_required(*REVIEWER_ROLES)
def reject(version_id: int):
    version = db.get_or_404(LibraryClaimVersion, version_id)
    return _decide(version, lambda: reject_version(db.session, version, current_user, request.form.get("note", "")))


@blueprint.post("/<int:claim_id>/retire")
@roles_required(*REVIEWER_ROLES)
def retire(claim_id: int):
    claim = db.get_or_404(LibraryClaim, claim_id)
    try:
        retire_claim(db.session, claim, current_user, request.form.get("reason", ""))
    except LibraryError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Claim retired: it no longer backs any sentence.", "success")
    return redirect(url_for("library.show", claim_id=claim.id))


def _decide(version: LibraryClaimVersion, action):
    if version.claim is None:
        abort(404)
    try:
        action()
    except LibraryError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Version {version.version} is now {version.status}.", "success")
    return redirect(url_for("library.show", claim_id=version.claim_id))
