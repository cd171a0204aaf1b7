"""A CSV import does not confirm a pending signup (someone may have typed another person's address) unless the
file records that the person confirmed: consent_confirmed=yes."""

import io
from datetime import UTC, datetime

import pytest

from service.extensions import db
from service.subscribers.csv_import import ImportContext, ImportRejected, import_file
from tests.factories import add_subscriber

HEADER = "email,first_name,topics,consent_date,consent_source,consent_confirmed\n"


def run_import(app, text: str):
    report = import_file(
        db.session, io.StringIO(text), ImportContext.from_config(app.config, datetime.now(UTC)), actor=None
    )
    db.session.commit()
    return report


def test_a_pending_signup_stays_pending_without_a_recorded_confirmation(app):
    pat = add_subscriber(app, "pat@example.org", status="pending", topics=("kap",))
    run_import(app, HEADER + "pat@example.org,Pat,newsletter,2025-11-03,front desk,\n")
    db.session.expire_all()
    assert pat.status == "pending" and pat.confirmed_at is None
    assert pat.topics == ["kap", "newsletter"]


def test_a_pending_signup_is_confirmed_when_the_file_records_it(app):
    pat = add_subscriber(app, "pat@example.org", status="pending", topics=("kap",))
    run_import(app, HEADER + "pat@example.org,Pat,kap,2025-11-03,signed intake form,yes\n")
    db.session.expire_all()
    assert (pat.status, pat.consent_source, pat.consent_note) == ("confirmed", "import", "signed intake form")


def test_an_unclear_confirmation_value_is_a_row_error(app):
    with pytest.raises(ImportRejected) as caught:
        run_import(app, HEADER + "pat@example.org,Pat,kap,2025-11-03,front desk,maybe\n")
    assert "consent_confirmed: write yes" in caught.value.report.errors[0].reason
