"""Marketer pages: counts and keyset pages, lookup without addresses in URLs, erasure, import, export."""

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, insert, select

from service.extensions import db
from service.models import AuditEntry, Subscriber, SubscriberTopic, Suppression
from service.subscribers import csv_export
from service.subscribers.identity import email_hash
from tests.factories import add_subscriber

HEADER = "email,first_name,topics,consent_date,consent_source\n"


def bulk_subscribers(app, count: int, status: str = "confirmed") -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "email": f"s{i}@example.org",
            "email_hash": email_hash(f"s{i}@example.org", app.config["EMAIL_HASH_KEY"]),
            "first_name": "",
            "status": status,
            "created_at": now,
        }
        for i in range(count)
    ]
    db.session.execute(insert(Subscriber), rows)
    db.session.commit()


def test_counts_by_status_and_keyset_pages(app, marketer_client):
    bulk_subscribers(app, 110)
    add_subscriber(app, "pending@example.org", status="pending")
    add_subscriber(app, "bounced@example.org", status="bounced")
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append((args[2], args[3])))

    first = marketer_client.get("/subscribers").get_data(as_text=True)
    assert re.search(r">112</a>", first) and re.search(r">110</a>", first)
    assert first.count('href="/subscribers/') >= 50
    assert "pending@example.org" in first, "newest first"
    older = re.search(r'href="(/subscribers\?before=\d+)">Older', first).group(1)
    second = marketer_client.get(older).get_data(as_text=True)
    third = marketer_client.get(re.search(r'href="(/subscribers\?before=\d+)">Older', second).group(1))
    third_page = third.get_data(as_text=True)
    assert "Older" not in third_page and "s0@example.org" in third_page
    # SQLite always renders "LIMIT ? OFFSET ?"; the offset must stay 0: pages walk the index with id < last id.
    offsets = [params[-1] for statement, params in statements if "OFFSET" in statement.upper()]
    assert set(offsets) <= {0}, "pages never skip rows with OFFSET"
    assert sum("subscribers.id <" in statement for statement, _ in statements) == 2

    only_bounced = marketer_client.get("/subscribers?status=bounced").get_data(as_text=True)
    assert "bounced@example.org" in only_bounced and "s1@example.org" not in only_bounced
    assert marketer_client.get("/subscribers?status=nonsense").status_code == 404


def test_lookup_by_exact_address_keeps_the_address_out_of_urls(app, marketer_client):
    ana = add_subscriber(app, "ana@example.org")
    found = marketer_client.post("/subscribers/search", data={"email": " ANA@example.org "})
    assert found.status_code == 302
    assert found.headers["Location"] == f"/subscribers/{ana.id}"
    detail = marketer_client.get(found.headers["Location"]).get_data(as_text=True)
    assert "ana@example.org" in detail and "Consent record" in detail

    missing = marketer_client.post("/subscribers/search", data={"email": "nobody@example.org"})
    assert "No subscriber has that address." in missing.get_data(as_text=True)
    db.session.add(
        Suppression(email_hash=email_hash("gone@example.org", app.config["EMAIL_HASH_KEY"]), reason="erased")
    )
    db.session.commit()
    suppressed = marketer_client.post("/subscribers/search", data={"email": "gone@example.org"})
    assert "suppression list (erased)" in suppressed.get_data(as_text=True)
    partial = marketer_client.post("/subscribers/search", data={"email": "a@"})
    assert partial.status_code == 200, "partial input is a search, never a 400"


def test_search_by_part_of_an_address_or_name_ignores_case(app, marketer_client):
    alma = add_subscriber(app, "alma.reyes@example.org", first_name="Alma")
    add_subscriber(app, "zed@example.org", first_name="Zed")
    add_subscriber(app, "x_y@example.org", first_name="Almanac")

    by_address = marketer_client.post("/subscribers/search", data={"email": "REYES@"}).get_data(as_text=True)
    assert f'href="/subscribers/{alma.id}"' in by_address and "zed@example.org" not in by_address
    by_name = marketer_client.post("/subscribers/search", data={"email": "alma"})
    assert by_name.status_code == 200
    assert "alma.reyes@example.org" in by_name.get_data(as_text=True)
    assert "x_y@example.org" in by_name.get_data(as_text=True), "Almanac contains alma"
    literal = marketer_client.post("/subscribers/search", data={"email": "x_"}).get_data(as_text=True)
    assert "x_y@example.org" in literal and "zed@example.org" not in literal, "_ is matched literally"
    none = marketer_client.post("/subscribers/search", data={"email": "nobody-here"}).get_data(as_text=True)
    assert "No subscriber&#39;s address or name contains that." in none


def test_erasing_a_subscriber_keeps_only_a_keyed_hash_and_an_audit_line(app, client, marketer_client, outbox):
    ana = add_subscriber(app, "ana@example.org", first_name="Ana", topics=("kap", "events"))
    ana_id, ana_hash = ana.id, ana.email_hash
    refused = marketer_client.post(f"/subscribers/{ana_id}/erase")
    assert refused.status_code == 302 and db.session.get(Subscriber, ana_id) is not None

    response = marketer_client.post(f"/subscribers/{ana_id}/erase", data={"sure": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Subscriber, ana_id) is None
    assert db.session.scalar(select(func.count()).select_from(SubscriberTopic)) == 0
    assert db.session.scalar(select(Suppression.reason).where(Suppression.email_hash == ana_hash)) == "erased"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscriber:erased")).one()
    assert f"#{ana_id}" in entry.detail and "ana" not in entry.detail.lower().replace("personal", "")
    assert entry.actor_label == "Marketer"

    # The address can never come back: not by import, not by signup.
    upload = HEADER + "ana@example.org,Ana,kap,2025-11-03,front desk\n"
    report = marketer_client.post("/subscribers/import", data={"upload": (io.BytesIO(upload.encode()), "list.csv")})
    commit = re.search(r'action="(/subscribers/import/[^"]+)"', report.get_data(as_text=True)).group(1)
    marketer_client.post(commit)
    client.post("/api/subscribe", json={"email": "ana@example.org", "topics": ["kap"]})
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0
    assert outbox.emails == []


def test_a_file_with_a_bad_row_is_reported_and_nothing_is_offered_for_import(app, marketer_client):
    upload = HEADER + "ana@example.org,Ana,kap,2025-11-03,front desk\nbroken,,kap,2025-11-03,front desk\n"
    response = marketer_client.post("/subscribers/import", data={"upload": (io.BytesIO(upload.encode()), "x.csv")})
    page = response.get_data(as_text=True)
    assert "1 bad row: nothing will be imported" in page
    assert re.search(r"<td>3</td><td>email: ", page)
    assert "Confirm import" not in page
    assert list(Path(app.config["SUBSCRIBER_IMPORT_DIR"]).glob("*.csv")) == [], "a rejected upload is not kept"
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_import_is_checked_first_then_confirmed(app, marketer_client):
    upload = ("\ufeff" + HEADER + "ana@example.org,Ana,kap,2025-11-03,front desk\n").encode()
    response = marketer_client.post("/subscribers/import", data={"upload": (io.BytesIO(upload), "list.csv")})
    page = response.get_data(as_text=True)
    assert "The file is clean. Nothing has been imported yet." in page
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0
    commit = re.search(r'action="(/subscribers/import/[^"]+)"', page).group(1)
    # The confirm URL names the upload by a random id: never by the address or the file's name.
    assert "@" not in commit and "%40" not in commit and "list.csv" not in commit

    done = marketer_client.post(commit)
    assert done.status_code == 302
    assert db.session.scalar(select(Subscriber.status)) == "confirmed"
    assert list(Path(app.config["SUBSCRIBER_IMPORT_DIR"]).glob("*.csv")) == [], "the upload is deleted"
    again = marketer_client.post(commit, follow_redirects=True)
    assert "no longer waiting" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 1


def test_export_holds_confirmed_subscribers_only(app, marketer_client):
    add_subscriber(app, "ana@example.org", first_name="=HYPERLINK(1)", topics=("kap", "newsletter"))
    add_subscriber(app, "pending@example.org", status="pending")
    add_subscriber(app, "left@example.org", status="unsubscribed")
    response = marketer_client.get("/subscribers/export.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["email"] for row in rows] == ["ana@example.org"]
    assert rows[0]["first_name"] == "'=HYPERLINK(1)", "a name never runs as a spreadsheet formula"
    assert rows[0]["topics"] == "kap newsletter"
    assert rows[0]["consent_channel"] == "test" and rows[0]["consent_date"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscribers:exported")).one()
    assert entry.detail == "1 confirmed subscribers"


def test_export_streams_every_confirmed_subscriber_once_across_chunks(app, marketer_client, monkeypatch):
    monkeypatch.setattr(csv_export, "CHUNK_SIZE", 2)
    consented = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    for number in range(5):
        subscriber = add_subscriber(app, f"p{number}@example.org", topics=("newsletter", "kap")[: 1 + number % 2])
        subscriber.consent_at = consented
        subscriber.confirmed_at = consented if number % 2 else None
        subscriber.consent_note = "Clinic event sign-up sheet" if number == 3 else None
    add_subscriber(app, "left@example.org", status="unsubscribed")
    db.session.commit()
    response = marketer_client.get("/subscribers/export.csv")
    assert len(response.get_data(as_text=True).splitlines()) == 6, "a header and one line per subscriber"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["email"] for row in rows] == [f"p{number}@example.org" for number in range(5)]
    assert [row["topics"] for row in rows] == ["newsletter", "kap newsletter"] * 2 + ["newsletter"]
    assert {row["consent_date"] for row in rows} == {"2026-03-04T05:06:07+00:00"}, "UTC, to the second"
    assert [row["confirmed_at"] for row in rows] == ["", "2026-03-04T05:06:07+00:00"] * 2 + [""]
    assert [row["consent_source"] for row in rows] == ["test"] * 3 + ["Clinic event sign-up sheet", "test"]
    assert {row["consent_channel"] for row in rows} == {"test"}


def test_audience_size_for_the_campaign_form(app, marketer_client):
    add_subscriber(app, "a@example.org", topics=("kap",))
    add_subscriber(app, "b@example.org", topics=("kap", "events"))
    add_subscriber(app, "c@example.org", topics=("events",), status="pending")
    assert marketer_client.get("/subscribers/audience-size?topics=kap").get_json()["size"] == 2
    assert marketer_client.get("/subscribers/audience-size?topics=events").get_json()["size"] == 1
    assert marketer_client.get("/subscribers/audience-size?topics=events&topics=kap").get_json()["size"] == 2
    assert marketer_client.get("/subscribers/audience-size").get_json()["size"] == 0
    form = marketer_client.get("/campaigns/new").get_data(as_text=True)
    assert 'data-url="/subscribers/audience-size"' in form and "audience-size.js" in form


@pytest.mark.parametrize("path", ["/subscribers", "/subscribers/export.csv", "/subscribers/import"])
def test_reviewers_do_not_see_the_list(client, as_user, path):
    as_user("reviewer")
    assert client.get(path).status_code == 403
