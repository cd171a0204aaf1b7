"""The claims library: four eyes on every claim and change, links from findings, expiry, footer references,
and the claims that block whatever the library holds."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.compliance import check_claims, has_blocking
from service.compliance.library import (
    ClaimInput,
    EvidenceInput,
    LibraryError,
    approve_version,
    claim_library,
    live_version,
    propose_change,
    propose_claim,
    references_for,
    reject_version,
    retire_claim,
    seed_library,
)
from service.compliance.review import (
    ReviewError,
    link_finding,
    require_passing_check,
    review_with_library,
    set_references_option,
    submission_check,
)
from service.extensions import db
from service.models import AuditEntry, FindingLink, LibraryClaim
from service.outgoing.email import outgoing_email_for
from service.rendering.clinic import ClinicInfo
from service.rendering.environment import template_environment
from tests.factories import campaign_from_sections, library_claim, make_user

DAKWAR = (
    "In a randomised trial of 55 adults with cocaine use disorder, 48.2% of those given one ketamine infusion with "
    "mindfulness-based relapse prevention stayed abstinent over the last two weeks, compared with 10.7% given "
    "midazolam."
)
DAKWAR_CLOSE = (
    "In a randomized trial of 55 adults with cocaine use disorder, 48.2% of those who received one ketamine "
    "infusion with mindfulness-based relapse prevention stayed abstinent over the last two weeks, compared with "
    "10.7% given midazolam."
)


@pytest.fixture
def people(app):
    return {
        "marketer": make_user("mara@example.org", "marketer"),
        "reviewer": make_user("rey@example.org", "reviewer"),
        "second": make_user("sam@example.org", "reviewer"),
        "admin": make_user("ada@example.org", "admin"),
    }


def ctx(app):
    """The settings a review renders with."""
    return app.config


def claim_input(wording=DAKWAR, **overrides) -> ClaimInput:
    values = {
        "title": "Dakwar 2019",
        "wording": wording,
        "scope": "cocaine use disorder",
        "review_by": (datetime.now(UTC) + timedelta(days=90)).date(),
        "evidence": (
            EvidenceInput(kind="randomised-trial", title="A trial", journal="Am J Psychiatry", year=2019, pmid="1"),
        ),
        **overrides,
    }
    return ClaimInput(**values)


# --- four eyes ---------------------------------------------------------------------------------------------------


def test_a_new_claim_matches_only_after_a_second_reviewer_approves_it(app, db, people):
    version = propose_claim(db.session, claim_input(), people["reviewer"])
    db.session.commit()
    assert version.status == "proposed" and len(claim_library(db.session)) == 0
    with pytest.raises(LibraryError, match="four eyes"):
        approve_version(db.session, version, people["reviewer"])
    with pytest.raises(LibraryError, match="reviewers and admins"):
        approve_version(db.session, version, people["marketer"])
    approve_version(db.session, version, people["second"])
    db.session.commit()
    assert version.status == "approved" and len(claim_library(db.session)) == 1
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["library:proposed", "library:approved"]


def test_a_change_is_a_new_version_approved_by_someone_else(app, db, people):
    claim = library_claim(people["reviewer"], people["second"], DAKWAR, title="Dakwar 2019")
    with pytest.raises(LibraryError) as refused:
        propose_change(db.session, claim, claim_input(note=""), people["second"])
    assert "note" in refused.value.errors
    change = propose_change(db.session, claim, claim_input(wording=DAKWAR_CLOSE, note="US spelling"), people["second"])
    db.session.commit()
    assert [v.status for v in claim.versions] == ["approved", "proposed"]
    assert claim_library(db.session).entries[0].version == 1, "the approved version keeps matching meanwhile"
    with pytest.raises(LibraryError, match="already waiting"):
        propose_change(db.session, claim, claim_input(note="again"), people["admin"])
    approve_version(db.session, change, people["admin"])
    db.session.commit()
    assert [v.status for v in claim.versions] == ["superseded", "approved"]
    assert claim_library(db.session).entries[0].wording == DAKWAR_CLOSE


def test_a_rejected_proposal_needs_a_reason_and_never_matches(app, db, people):
    version = propose_claim(db.session, claim_input(), people["reviewer"])
    with pytest.raises(LibraryError):
        reject_version(db.session, version, people["second"], " ")
    reject_version(db.session, version, people["second"], "The trial was in cocaine use only; say so.")
    db.session.commit()
    assert version.status == "rejected" and len(claim_library(db.session)) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": " "}, "title"),
        ({"wording": ""}, "wording"),
        ({"scope": ""}, "scope"),
        ({"review_by": None}, "review_by"),
        ({"evidence": ()}, "evidence"),
        ({"evidence": (EvidenceInput(kind="randomised-trial", title="No link"),)}, "evidence_link"),
        ({"evidence": (EvidenceInput(kind="rumour", title="x", pmid="1"),)}, "evidence_kind"),
    ],
)
def test_a_claim_without_its_parts_is_refused(app, db, people, overrides, field):
    with pytest.raises(LibraryError) as refused:
        propose_claim(db.session, claim_input(**overrides), people["reviewer"])
    assert field in refused.value.errors
    assert db.session.scalar(select(LibraryClaim)) is None


# --- linking findings ---------------------------------------------------------------------------------------------


def test_a_sentence_close_to_a_library_claim_links_once_a_reviewer_confirms(app, db, people):
    library_claim(people["reviewer"], people["second"], DAKWAR, title="Dakwar 2019")
    campaign = campaign_from_sections(app, people["marketer"], [("Research", DAKWAR_CLOSE)], send_post=False)
    review = review_with_library(db.session, campaign, ctx(app))
    [item] = [item for item in review.blocking if item.piece.kind == "body"]
    assert item.finding.rule == "success-rate-uncited" and item.linkable
    assert item.finding.library_claim["exact"] is False and item.finding.library_claim["score"] >= 81
    assert submission_check(db.session, ctx(app))(campaign), "a close match is not enough on its own"

    with pytest.raises(ReviewError, match="reviewer"):
        link_finding(db.session, campaign, review, item.fingerprint, item_claim(item), people["marketer"], how="x")
    link_finding(db.session, campaign, review, item.fingerprint, item_claim(item), people["reviewer"], how="confirmed")
    db.session.commit()
    assert submission_check(db.session, ctx(app))(campaign) == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "finding:linked"))
    assert "Dakwar 2019 v1 (confirmed)" in entry.detail and entry.campaign_id == campaign.id


def item_claim(item) -> LibraryClaim:
    return db.session.get(LibraryClaim, item.finding.library_claim["claim_id"])


def test_the_approved_wording_itself_passes_without_a_link(app, db, people):
    library_claim(people["reviewer"], people["second"], DAKWAR)
    campaign = campaign_from_sections(app, people["marketer"], [("Research", DAKWAR)], send_post=False)
    review = review_with_library(db.session, campaign, ctx(app))
    assert any(item.finding.resolved for item in review.blocking)
    assert submission_check(db.session, ctx(app))(campaign) == []
    assert not has_blocking(check_claims(DAKWAR, library=claim_library(db.session)))
    assert has_blocking(check_claims(DAKWAR)), "without the library the figure blocks"


def test_the_same_sentence_is_flagged_again_once_the_claim_expires(app, db, people):
    claim = library_claim(people["reviewer"], people["second"], DAKWAR, title="Dakwar 2019")
    campaign = campaign_from_sections(app, people["marketer"], [("Research", DAKWAR_CLOSE)], send_post=False)
    review = review_with_library(db.session, campaign, ctx(app))
    [item] = [item for item in review.blocking if item.piece.kind == "body"]
    link_finding(db.session, campaign, review, item.fingerprint, claim, people["reviewer"], how="confirmed")
    db.session.commit()
    assert submission_check(db.session, ctx(app))(campaign) == []

    claim.approved.review_by = (datetime.now(UTC) - timedelta(days=1)).date()
    db.session.commit()
    assert live_version(claim, datetime.now(UTC).date()) is None
    problems = submission_check(db.session, ctx(app))(campaign)
    assert any("success-rate-uncited" in problem for problem in problems)
    exact = campaign_from_sections(app, people["marketer"], [("Exact", DAKWAR)], name="Exact", send_post=False)
    assert submission_check(db.session, ctx(app))(exact), "an expired wording no longer passes either"


def test_a_retired_claim_backs_nothing(app, db, people):
    claim = library_claim(people["reviewer"], people["second"], DAKWAR)
    retire_claim(db.session, claim, people["admin"], "Superseded by a larger trial.")
    db.session.commit()
    assert len(claim_library(db.session)) == 0
    assert has_blocking(check_claims(DAKWAR, library=claim_library(db.session)))


# --- never-go-out claims ----------------------------------------------------------------------------------------

NEVER_GO_OUT = [
    ("Ketamine cures depression.", "cure-or-permanent-results"),
    ("Relief is guaranteed after one infusion.", "guaranteed-results"),
    ("Ketamine is FDA-approved for depression.", "fda-approval-misstated"),
    ("Our infusions are 100% safe with no side effects.", "absolute-safety"),
    ("You can stop taking your antidepressants after a few sessions.", "discourages-other-care"),
    ("Ketamine prevents suicide.", "prevents-suicide"),
    ("Ketamine works better than antidepressants.", "superiority-claim"),
    ("Unlike SSRIs, ketamine relieves depression in days.", "claim-comparison-named"),
]


@pytest.mark.parametrize(("sentence", "rule"), NEVER_GO_OUT)
def test_every_never_go_out_claim_blocks_even_when_the_library_holds_it(app, db, people, sentence, rule):
    claim = library_claim(people["reviewer"], people["second"], sentence)
    library = claim_library(db.session)
    findings = check_claims(sentence, library=library)
    assert rule in {finding.rule for finding in findings}
    assert has_blocking(findings)
    campaign = campaign_from_sections(app, people["marketer"], [("Claim", sentence)], send_post=False)
    review = review_with_library(db.session, campaign, ctx(app))
    item = next(item for item in review.blocking if item.finding.rule == rule and item.piece.kind == "body")
    with pytest.raises(ReviewError, match="no library claim can back it"):
        link_finding(db.session, campaign, review, item.fingerprint, claim, people["reviewer"], how="by hand")
    assert submission_check(db.session, ctx(app))(campaign)


# --- references in the footer -------------------------------------------------------------------------------------


def test_references_appear_in_the_email_footer_when_the_option_is_on(app, db, people):
    library_claim(people["reviewer"], people["second"], DAKWAR, title="Dakwar 2019")
    campaign = campaign_from_sections(app, people["marketer"], [("Research", DAKWAR)], send_post=False)
    require_passing_check(db.session, campaign, ctx(app))  # as at approval: exact wordings become links
    db.session.commit()
    assert db.session.scalar(select(FindingLink)).how == "exact"
    assert references_for(campaign) == [], "off by default"

    assert set_references_option(db.session, campaign, True, people["marketer"])
    db.session.commit()
    [reference] = references_for(campaign)
    assert reference.number == 1 and "J Test. 2020" in reference.citation
    assert "doi:10.0000/test.0001" in reference.citation
    email = outgoing_email_for(campaign, campaign.issues[0], ClinicInfo.from_config(app.config))
    assert "References" in email.html and "https://doi.org/10.0000/test.0001" in email.html
    assert "doi:10.0000/test.0001" in email.html
    assert "References\n[1] Tester A, et al. A made-up trial title for tests." in email.text
    assert template_environment().get_template("email/_references.txt").render() == "", "no block without them"


def test_an_email_without_the_option_carries_no_references(app, db, people):
    library_claim(people["reviewer"], people["second"], DAKWAR, title="Dakwar 2019")
    campaign = campaign_from_sections(app, people["marketer"], [("Research", DAKWAR)], send_post=False)
    require_passing_check(db.session, campaign, ctx(app))
    db.session.commit()
    email = outgoing_email_for(campaign, campaign.issues[0], ClinicInfo.from_config(app.config))
    assert "References" not in email.html and "doi:10.0000/test.0001" not in email.text


def test_turning_references_on_returns_an_approved_campaign_to_review(app, db, people):
    campaign = campaign_from_sections(app, people["marketer"], [("Visit", "Parking is free.")], send_post=False)
    campaign.status = "approved"
    db.session.commit()
    set_references_option(db.session, campaign, True, people["marketer"])
    db.session.commit()
    assert campaign.status == "draft" and campaign.show_references


# --- seeds --------------------------------------------------------------------------------------------------------


def test_the_seed_entries_load_once_approved_with_checked_citations(app, db):
    added = seed_library(db.session)
    db.session.commit()
    assert len(added) == 3 and seed_library(db.session) == []
    library = claim_library(db.session)
    dakwar = next(entry for entry in library.entries if "Dakwar" in db.session.get(LibraryClaim, entry.claim_id).title)
    assert "doi:10.1176/appi.ajp.2019.18101123" in dakwar.reference and "PMID: 31230464" in dakwar.reference
    assert "2019;176(11):923-930" in dakwar.reference
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "library:seeded"))


def test_approval_drops_links_to_sentences_the_campaign_no_longer_sends(app, db, people):
    claim = library_claim(people["reviewer"], people["second"], DAKWAR, title="Dakwar 2019")
    campaign = campaign_from_sections(app, people["marketer"], [("Research", DAKWAR_CLOSE)], send_post=False)
    review = review_with_library(db.session, campaign, ctx(app))
    item = next(item for item in review.blocking if item.piece.kind == "body")
    link_finding(db.session, campaign, review, item.fingerprint, claim, people["reviewer"], how="confirmed")
    campaign.show_references = True
    db.session.commit()
    assert len(references_for(campaign)) == 1
    campaign.sections[0].body = "Parking is free in the lot behind the building."
    require_passing_check(db.session, campaign, ctx(app))
    db.session.commit()
    assert db.session.scalar(select(FindingLink)) is None and references_for(campaign) == []
