"""Link tokens carry a random public id, never the sequential row id; the preferences link handed out after
unsubscribing expires like a confirmation link; existing subscribers get public ids from the migration."""

import base64
import json
import logging
import re
from contextlib import contextmanager

from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from service.extensions import db
from service.rendering.clinic import ClinicInfo
from service.settings import REPO_ROOT
from service.subscribers import links
from service.subscribers.tokens import make_token
from tests.factories import add_subscriber
from tests.schema import drop_every_table
from tests.subscribers.helpers import ONE_CLICK_BODY, path_of, token_made_days_ago


def payload_of(token: str):
    data = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def test_emailed_links_carry_a_random_public_id_not_the_row_id(app, client, outbox):
    for number in range(3):
        assert client.post("/api/subscribe", json={"email": f"p{number}@example.org", "topics": ["kap"]}).status_code
    payloads = []
    for number in range(3):
        confirmation = outbox.emails_to(f"p{number}@example.org")[0]
        for path in ("/confirm/", "/unsubscribe/"):
            payloads.append(payload_of(path_of(confirmation.link(path)).rsplit("/", 1)[1]))
    assert all(isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{22}", value) for value in payloads)
    assert len(set(payloads)) == 3  # one public id per subscriber, shared by its links


def test_the_preferences_link_from_the_unsubscribe_page_expires(app, client):
    ana = add_subscriber(app, "ana@example.org")
    secret, max_days = app.config["SECRET_KEY"], app.config["CONFIRM_TOKEN_MAX_AGE_DAYS"]
    page = client.post(f"/unsubscribe/{make_token(secret, 'unsubscribe', ana.public_id)}").get_data(as_text=True)
    fresh = re.search(r'href="https://tidings\.test(/preferences/[^"]+)"', page).group(1)
    assert client.get(fresh).status_code == 200
    old = token_made_days_ago(secret, "preferences", ana.public_id, max_days + 1)
    expired = client.get(f"/preferences/{old}")
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)


def test_links_sent_before_public_ids_still_unsubscribe(app, client):
    """Emails already delivered carry the row id: their unsubscribe links must keep working (one click included)."""
    ana = add_subscriber(app, "ana@example.org")
    legacy = make_token(app.config["SECRET_KEY"], "unsubscribe", ana.id)
    assert client.post(f"/unsubscribe/{legacy}", data=ONE_CLICK_BODY).status_code == 200
    db.session.refresh(ana)
    assert ana.status == "unsubscribed"


def test_a_token_naming_another_subscribers_guessable_id_finds_nobody(app):
    ana = add_subscriber(app, "ana@example.org")
    secret = app.config["SECRET_KEY"]
    clinic = ClinicInfo.from_config(app.config)
    token = path_of(links.preferences_url(clinic, secret, ana.public_id)).rsplit("/", 1)[1]
    assert payload_of(token) == ana.public_id != ana.id
    assert links.subscriber_for(db.session, secret, "preferences", make_token(secret, "preferences", "0" * 22)) is None


PUBLIC_IDS_REVISION = "7f3c9a1d2b64"


@contextmanager
def logging_left_as_it_was():
    """Alembic's env.py runs logging.config.fileConfig: it replaces the root handlers and disables every logger that
    exists (werkzeug's, urllib3's...), which later tests reading the logs would miss. Put them back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    disabled = {logger.name: logger.disabled for logger in loggers}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for logger in logging.root.manager.loggerDict.values():
            if isinstance(logger, logging.Logger):
                logger.disabled = disabled.get(logger.name, False)


def test_the_migration_gives_existing_subscribers_distinct_public_ids(app):
    with logging_left_as_it_was():
        _migrate_and_check()


def _migrate_and_check() -> None:
    directory = str(REPO_ROOT / "migrations")
    drop_every_table(db.engine)
    before = ScriptDirectory(directory).get_revision(PUBLIC_IDS_REVISION).down_revision
    upgrade(directory=directory, revision=before)
    with db.engine.begin() as connection:
        for number in range(3):
            connection.execute(
                text(
                    "INSERT INTO subscribers (email, email_hash, first_name, status, created_at) "
                    "VALUES (:email, :hash, '', 'confirmed', CURRENT_TIMESTAMP)"
                ),
                {"email": f"old{number}@example.org", "hash": f"{number:064d}"},
            )
    upgrade(directory=directory, revision=PUBLIC_IDS_REVISION)
    with db.engine.connect() as connection:
        ids = connection.execute(text("SELECT public_id FROM subscribers")).scalars().all()
    assert len(ids) == 3 and len(set(ids)) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) for i in ids)
    downgrade(directory=directory, revision=before)
    drop_every_table(db.engine)
    db.create_all()
