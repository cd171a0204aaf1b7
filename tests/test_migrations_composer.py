"""The composer's migration keeps planned messages working: every old snippet of a campaign becomes a section, and
each planned message sends the issue (or, on X, the section) made from its snippet."""

from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import text

from service.extensions import db
from service.models import Campaign, Message
from service.outgoing.email import outgoing_email_for
from service.rendering.clinic import ClinicInfo
from service.settings import REPO_ROOT
from tests.schema import drop_every_table

BEFORE_THE_COMPOSER = "8e1f2a7c4b90"
MIGRATIONS = str(REPO_ROOT / "migrations")


def _old_campaign(connection, campaign_id: int, name: str, kind: str, snippet_ids: list[int]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    connection.execute(
        text(
            "INSERT INTO campaigns (id, name, slug, status, send_email, send_post, email_subject, topics, hashtags,"
            " link_url, post_template, schedule_kind, created_at, updated_at) VALUES (:id, :name, :name, 'scheduled',"
            " true, true, 'Old subject', '[\"newsletter\"]', '', '', 'post.txt', :kind, :now, :now)"
        ),
        {"id": campaign_id, "name": name, "kind": kind, "now": now},
    )
    for position, snippet_id in enumerate(snippet_ids):
        connection.execute(
            text("INSERT INTO campaign_snippets (campaign_id, snippet_id, position) VALUES (:c, :s, :p)"),
            {"c": campaign_id, "s": snippet_id, "p": position},
        )


def _old_message(connection, campaign_id: int, snippet_id: int, channel: str, days: int) -> None:
    connection.execute(
        text(
            "INSERT INTO messages (campaign_id, snippet_id, channel, send_at, status, audience_cursor, sent_count)"
            " VALUES (:c, :s, :channel, :at, 'planned', 0, 0)"
        ),
        {"c": campaign_id, "s": snippet_id, "channel": channel, "at": datetime(2027, 1, 1) + timedelta(days=days)},
    )


def test_planned_messages_of_old_campaigns_send_what_they_would_have(app):
    drop_every_table(db.engine)
    upgrade(directory=MIGRATIONS, revision=BEFORE_THE_COMPOSER)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO articles (id, title, source_format, raw_text, fingerprint, imported_at)"
                " VALUES (1, 'Notes', 'markdown', 'x', 'f1', :now)"
            ),
            {"now": datetime(2026, 11, 1)},
        )
        for snippet_id, heading in ((1, "Arrival"), (2, "Aftercare"), (3, "Parking")):
            connection.execute(
                text("INSERT INTO snippets (id, article_id, position, heading, body) VALUES (:id, 1, :p, :h, :b)"),
                {"id": snippet_id, "p": snippet_id - 1, "h": heading, "b": f"About {heading.lower()}."},
            )
        # A one-off scheduled the old way (one email per snippet), and a one-off draft with nothing planned yet.
        _old_campaign(connection, 1, "planned", "once", [1, 2])
        for snippet_id in (1, 2):
            _old_message(connection, 1, snippet_id, "email", 0)
            _old_message(connection, 1, snippet_id, "x", 0)
        _old_campaign(connection, 2, "draft", "once", [2, 3])

    upgrade(directory=MIGRATIONS)

    planned, draft = db.session.get(Campaign, 1), db.session.get(Campaign, 2)
    assert [[s.heading for s in issue.sections] for issue in planned.issues] == [["Arrival"], ["Aftercare"]]
    assert [[s.heading for s in issue.sections] for issue in draft.issues] == [["Aftercare", "Parking"]]
    assert all(issue.subject == "Old subject" for issue in planned.issues + draft.issues)
    assert [s.source_snippet_id for s in planned.sections] == [1, 2] and all(
        s.source_fingerprint for s in planned.sections
    )
    clinic = ClinicInfo.from_config(app.config)
    messages = db.session.query(Message).filter_by(campaign_id=1).order_by(Message.id).all()
    assert [(m.channel, m.heading) for m in messages] == [
        ("email", "Arrival"), ("x", "Arrival"), ("email", "Aftercare"), ("x", "Aftercare")
    ]  # fmt: skip
    for message in messages:
        if message.channel == "email":
            email = outgoing_email_for(message.campaign, message.issue, clinic)
            assert message.heading in email.html and "About" in email.text
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
