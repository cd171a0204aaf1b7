"""The claims library pages and the review page's library actions, through the web."""

import re

import pytest
from sqlalchemy import select

from service.compliance.library import seed_library
from service.extensions import db
from service.models import AuditEntry, Campaign, FindingLink, LibraryClaim
from tests.factories import campaign_from_sections, library_claim, make_user

DAKWAR = (
    "In a randomised trial of 55 adults with cocaine use disorder, 48.2% of those given one ketamine infusion with "
    "mindfulness-based relapse prevention stayed abstinent over the last two weeks, compared with 10.7% given "
    "midazolam."
)


@pytest.fixture
def people(app):
    return {
        "marketer": make_user("mara@example.org", "marketer"),
        "reviewer": make_user("rey@example.org", "reviewer"),
        "second": make_user("sam@example.org", "reviewer"),
    }


@pytest.fixture
def log_in_as(client, auth):
    """Log the client in as `user` (after logging out whoever was), and return it."""

    def switch(user):
        auth.logout()
        auth.login(user)
        return client

    return switch


def _claim_form(**overrides) -> dict:
    return {
        "title": "Studied for alcohol",
        "wording": "Ketamine is being studied for alcohol use disorder.",
        "variants": "",
        "scope": "alcohol use disorder",
        "review_by": "2099-01-01",
        "evidence_kind": "randomised-trial",
        "evidence_title": "A trial",
        "evidence_doi": "10.1176/appi.ajp.2021.21030277",
        **overrides,
    }


def test_every_role_reads_the_library_but_only_reviewers_propose(app, people, log_in_as):
    seed_library(db.session)
    db.session.commit()
    client = log_in_as(people["marketer"])
    page = client.get("/library/").get_data(as_text=True)
    assert "Dakwar 2019" in page and "live, v1" in page and "Propose a claim" not in page
    assert client.get("/library/new").status_code == 403
    assert client.post("/library/new", data=_claim_form()).status_code == 403
    claim = db.session.scalar(select(LibraryClaim).where(LibraryClaim.title.like("Dakwar%")))
    shown = client.get(f"/library/{claim.id}").get_data(as_text=True)
    assert "doi:10.1176/appi.ajp.2019.18101123" in shown and "Retire" not in shown


def test_a_bad_claim_form_keeps_what_was_typed_and_says_what_is_missing(app, people, log_in_as):
    client = log_in_as(people["reviewer"])
    response = client.post("/library/new", data=_claim_form(evidence_doi="", scope=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "DOI, PMID or a link" in page and "What it may be said about" in page
    assert 'value="Studied for alcohol"' in page
    assert db.session.scalar(select(LibraryClaim)) is None


def test_four_eyes_on_the_library_pages(app, people, log_in_as):
    client = log_in_as(people["reviewer"])
    assert client.post("/library/new", data=_claim_form()).status_code == 302
    claim = db.session.scalar(select(LibraryClaim))
    version = claim.versions[0]
    client.post(f"/library/versions/{version.id}/approve")
    db.session.refresh(version)
    assert version.status == "proposed", "the proposer cannot approve"
    client = log_in_as(people["second"])
    client.post(f"/library/versions/{version.id}/approve")
    db.session.refresh(version)
    assert version.status == "approved"
    assert client.post(f"/library/{claim.id}/change", data=_claim_form(note="")).status_code == 422
    assert client.post(f"/library/{claim.id}/change", data=_claim_form(note="Shorter scope")).status_code == 302
    db.session.refresh(claim)
    assert [v.status for v in claim.versions] == ["approved", "proposed"]
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"library:proposed", "library:approved", "library:change-proposed"} <= actions


def test_propose_from_a_finding_starts_from_its_sentence(app, people, log_in_as):
    campaign = campaign_from_sections(app, people["marketer"], [("Research", DAKWAR)], send_post=False)
    client = log_in_as(people["reviewer"])
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    href = re.search(r'class="propose-claim" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    form = client.get(href).get_data(as_text=True)
    assert "48.2% of those given one ketamine infusion" in form
    assert f"From a finding in \u201c{campaign.name}\u201d" in form


def test_a_reviewer_links_a_finding_by_hand_and_a_marketer_cannot(app, people, log_in_as):
    claim = library_claim(people["reviewer"], people["second"], "An unrelated approved wording about sleep.")
    campaign = campaign_from_sections(app, people["marketer"], [("Research", DAKWAR)], send_post=False)
    client = log_in_as(people["marketer"])
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert "Backed by library claim" not in page and 'class="link-finding' not in page
    client = log_in_as(people["reviewer"])
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    link_form = re.search(r'class="link-finding by-hand">.*?name="finding" value="([0-9a-f]{64})"', page, re.S)
    fingerprint = link_form.group(1)
    log_in_as(people["marketer"])
    refused = client.post(f"/campaigns/{campaign.id}/review/link", data={"finding": fingerprint, "claim_id": claim.id})
    assert refused.status_code == 422 and db.session.scalar(select(FindingLink)) is None
    client = log_in_as(people["reviewer"])
    client.post(f"/campaigns/{campaign.id}/review/link", data={"finding": fingerprint, "claim_id": claim.id})
    link = db.session.scalar(select(FindingLink))
    assert link.how == "by hand" and link.linked_by_id == people["reviewer"].id
    assert "Nothing blocks" in client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)


def test_the_references_option_is_set_on_the_review_page(app, people, log_in_as):
    campaign = campaign_from_sections(app, people["marketer"], [("Visit", "Parking is free.")], send_post=False)
    client = log_in_as(people["marketer"])
    client.post(f"/campaigns/{campaign.id}/review/references", data={"show": "on"})
    assert db.session.get(Campaign, campaign.id).show_references
    assert "references:on" in set(db.session.scalars(select(AuditEntry.action)))
