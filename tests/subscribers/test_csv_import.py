"""CSV import: all or nothing, every bad row reported by line, duplicates merged, the departed never brought back."""

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import AuditEntry, Subscriber, SubscriberTopic
from service.subscribers.csv_import import ImportContext, ImportRejected, check_file, import_checked, import_file
from service.subscribers.erasure import erase_subscriber
from service.subscribers.unsubscribe import unsubscribe
from tests.factories import add_subscriber

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
HEADER = "email,first_name,topics,consent_date,consent_source\n"


def context(app) -> ImportContext:
    return ImportContext(
        known_topics=tuple(app.config["SUBSCRIBER_TOPICS"]),
        hash_key=app.config["EMAIL_HASH_KEY"],
        tz_name=app.config["CLINIC_TIMEZONE"],
        now=NOW,
    )


def run_import(app, text: str, actor=None):
    report = import_file(db.session, io.StringIO(text), context(app), actor=actor)
    db.session.commit()
    return report


def subscriber_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Subscriber))


def test_a_clean_file_imports_confirmed_subscribers_with_their_consent_record(app):
    text = HEADER + (
        "ana@example.org,Ana,newsletter kap,2025-11-03,paper form at the front desk\n"
        'Ben@Example.org,,"events;newsletter",11/4/2025,website form (old system)\n'
    )
    check = check_file(db.session, io.StringIO(text), context(app))
    assert check.ok and (check.rows, check.new) == (2, 2)
    assert subscriber_count() == 0, "checking stores nothing"

    report = run_import(app, text)
    assert (report.new, report.updated, report.duplicates, report.skipped_count) == (2, 0, 0, 0)
    ana, ben = db.session.scalars(select(Subscriber).order_by(Subscriber.email)).all()
    assert (ana.status, ana.first_name, ana.topics) == ("confirmed", "Ana", ["kap", "newsletter"])
    assert (ana.consent_source, ana.consent_note, ana.confirmed_at) == ("import", "paper form at the front desk", NOW)
    # Midnight in Phoenix (UTC-7, no daylight saving time).
    assert ana.consent_at == datetime(2025, 11, 3, 7, 0, tzinfo=UTC)
    assert ben.email == "ben@example.org" and ben.topics == ["events", "newsletter"]
    assert ben.consent_at == datetime(2025, 11, 4, 7, 0, tzinfo=UTC)


def test_one_bad_row_imports_nothing_and_the_report_names_every_bad_line(app):
    text = HEADER + (
        "ana@example.org,Ana,newsletter,2025-11-03,front desk\n"
        "not-an-address,Bo,newsletter,2025-11-03,front desk\n"
        "cy@example.org,Cy,astrology,2025-11-03,front desk\n"
        "\n"
        'dee@example.org,"Dee\nSmith",kap,2099-01-01,front desk\n'
        "eve@example.org,Eve,kap,yesterday,\n"
        "fay@example.org,Fay,kap\n"
    )
    with pytest.raises(ImportRejected) as caught:
        run_import(app, text)
    db.session.rollback()
    assert subscriber_count() == 0
    report = caught.value.report
    by_line = {problem.line: problem.reason for problem in report.errors}
    assert sorted(by_line) == [3, 4, 6, 8, 9], "blank lines are skipped; a quoted line break keeps its first line"
    assert by_line[3].startswith("email:")
    assert "not-an-address" not in by_line[3]
    assert "unknown astrology" in by_line[4]
    assert "in the future" in by_line[6]
    assert "not a date" in by_line[8] and "consent_source: empty" in by_line[8]
    assert by_line[9] == "Expected 5 columns, found 3."
    assert report.error_count == 5 and report.rows == 6


def test_missing_columns_are_reported_on_line_one(app):
    report = check_file(db.session, io.StringIO("email,topics\nana@example.org,kap\n"), context(app))
    assert [(p.line, p.reason.split(".")[0]) for p in report.errors] == [
        (1, "Missing column(s): consent_date, consent_source")
    ]
    assert check_file(db.session, io.StringIO(""), context(app)).errors[0].reason == "The file is empty."


def test_duplicates_are_merged_within_the_file_and_with_the_list(app):
    existing = add_subscriber(app, "ana@example.org", topics=("events",), first_name="")
    pending = add_subscriber(app, "pat@example.org", status="pending", topics=("kap",))
    text = HEADER + (
        "ana@example.org,Ana,newsletter,2025-11-03,front desk\n"
        "pat@example.org,Pat,kap,2025-11-03,front desk\n"
        "new@example.org,,newsletter,2025-11-05,event sign-up sheet\n"
        "NEW@example.org,Nia,kap,2025-11-01,clinic intake form\n"
    )
    report = run_import(app, text)
    assert (report.new, report.updated, report.duplicates) == (1, 2, 1)
    db.session.expire_all()
    assert existing.topics == ["events", "newsletter"] and existing.first_name == "Ana"
    assert existing.consent_source == "test", "an existing subscriber's own consent record is kept"
    assert (pending.status, pending.consent_source, pending.consent_note) == ("confirmed", "import", "front desk")
    new = db.session.scalar(select(Subscriber).where(Subscriber.email == "new@example.org"))
    assert (new.first_name, new.topics, new.consent_note) == ("Nia", ["kap", "newsletter"], "clinic intake form")
    assert new.consent_at == datetime(2025, 11, 1, 7, 0, tzinfo=UTC), "the earliest consent is kept"


def test_repeats_further_apart_than_one_chunk_are_merged_too(app, monkeypatch):
    monkeypatch.setattr("service.subscribers.csv_import.CHUNK_SIZE", 2)
    rows = [f"p{i}@example.org,,newsletter,2025-11-03,front desk\n" for i in range(5)]
    text = HEADER + "".join(rows) + "p0@example.org,Pia,kap,2025-11-03,front desk\n"
    check = check_file(db.session, io.StringIO(text), context(app))
    assert (check.new, check.duplicates) == (5, 1)
    report = run_import(app, text)
    assert (report.new, report.duplicates) == (5, 1)
    first = db.session.scalar(select(Subscriber).where(Subscriber.email == "p0@example.org"))
    assert (first.first_name, first.topics) == ("Pia", ["kap", "newsletter"])
    assert db.session.scalar(select(func.count()).select_from(SubscriberTopic)) == 6


def test_an_unsubscribed_or_erased_address_is_never_brought_back(app, marketer):
    left = add_subscriber(app, "left@example.org")
    unsubscribe(db.session, left, NOW)
    erase_subscriber(db.session, add_subscriber(app, "erased@example.org"), actor=marketer)
    add_subscriber(app, "bounced@example.org", status="bounced")
    db.session.commit()
    text = HEADER + (
        "left@example.org,Lee,newsletter,2025-11-03,front desk\n"
        "ERASED@example.org,Ed,newsletter,2025-11-03,front desk\n"
        "bounced@example.org,,newsletter,2025-11-03,front desk\n"
        "ok@example.org,,newsletter,2025-11-03,front desk\n"
    )
    report = run_import(app, text, actor=marketer)
    assert (report.new, report.skipped_count) == (1, 3)
    assert [problem.line for problem in report.skipped] == [2, 3, 4]
    db.session.expire_all()
    assert left.status == "unsubscribed"
    emails = set(db.session.scalars(select(Subscriber.email)))
    assert emails == {"left@example.org", "bounced@example.org", "ok@example.org"}
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscribers:imported")).one()
    assert "1 new" in audit.detail and "@" not in audit.detail


def test_spreadsheet_exports_are_understood(app):
    text = "Email, First Name ,Topics,Consent Date,Consent Source,Notes\r\n"
    text += "ana@example.org,Ana,KAP | Events,2025-11-03T09:30:00-07:00,front desk,likes mornings\r\n"
    report = check_file(db.session, io.StringIO(text), context(app))
    assert report.ok, report.errors
    assert report.ignored_columns == ["Notes"]


def test_rows_kept_by_the_check_import_without_a_second_validation(app, monkeypatch):
    text = HEADER + (
        "ana@example.org,Ana,kap,2025-11-03,front desk\n"
        "ANA@example.org,,events,2025-10-01,intake form\n"
        "ben@example.org,Ben,newsletter,2025-11-03T08:15:00Z,event sheet\n"
    )
    keep = io.StringIO()
    report = check_file(db.session, io.StringIO(text), context(app), keep=keep)
    assert report.ok and (report.new, report.duplicates) == (2, 1)
    keep.seek(0)

    def no_validation(raw):
        raise AssertionError("kept rows were validated already")

    monkeypatch.setattr("service.subscribers.csv_import.parse_address", no_validation)
    imported = import_checked(db.session, keep, context(app), actor=None)
    db.session.commit()
    assert (imported.new, imported.duplicates, imported.rows) == (2, 1, 3)
    ana, ben = db.session.scalars(select(Subscriber).order_by(Subscriber.email)).all()
    assert (ana.first_name, ana.topics, ana.consent_note) == ("Ana", ["events", "kap"], "intake form")
    assert ana.consent_at == datetime(2025, 10, 1, 7, 0, tzinfo=UTC)
    assert ben.consent_at == datetime(2025, 11, 3, 8, 15, tzinfo=UTC)
