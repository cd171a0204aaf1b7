"""Address hashes are keyed with EMAIL_HASH_KEY, which never rotates: a SECRET_KEY rotation forgets no suppression."""

import hashlib
import hmac
import io
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from service.extensions import db
from service.models import Subscriber, Suppression
from service.settings import REPO_ROOT
from service.signing_keys import generate_key
from service.subscribers.csv_import import ImportContext, import_file
from service.subscribers.erasure import erase_subscriber
from tests.security.signing_in import signup_form
from tests.subscribers.helpers import path_of

HEADER = "email,first_name,topics,consent_date,consent_source\n"
BEFORE = "7393f23b4902"  # the last revision whose hashes were keyed with SECRET_KEY


def hmac_of(key: str, address: str) -> str:
    return hmac.new(key.encode(), address.encode(), hashlib.sha256).hexdigest()


def subscribe(outbox, client, address: str) -> None:
    signup_form(client, email=address)
    client.post(path_of(outbox.emails_to(address)[-1].link("/confirm/")))


def test_a_secret_key_rotation_keeps_every_suppression(app, client, marketer, outbox):
    for address in ("ana@example.org", "ben@example.org"):
        subscribe(outbox, client, address)
    unsubscribe = outbox.emails_to("ana@example.org")[-1].link("/unsubscribe/")
    client.post(path_of(unsubscribe))
    erase_subscriber(db.session, db.session.scalar(select(Subscriber).where(Subscriber.id == 2)), actor=marketer)
    db.session.commit()
    mailed_before = len(outbox.emails_to("ben@example.org"))

    app.config["SECRET_KEY"] = generate_key()  # rotated, the old key dropped altogether

    signup_form(client, email="ben@example.org")
    assert len(outbox.emails_to("ben@example.org")) == mailed_before, "an erased address is never mailed again"
    csv = HEADER + "ana@example.org,Ana,newsletter,2025-11-03,desk\nben@example.org,Ben,newsletter,2025-11-03,desk\n"
    report = import_file(
        db.session, io.StringIO(csv), ImportContext.from_config(app.config, datetime.now(UTC)), actor=marketer
    )
    assert report.new == 0 and report.skipped_count == 2
    assert db.session.scalar(select(Subscriber.status).where(Subscriber.email == "ana@example.org")) == "unsubscribed"


@pytest.fixture
def old_schema(app):
    """The database as the previous release left it; afterwards, the schema the fixtures make."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(directory=str(REPO_ROOT / "migrations"), revision=BEFORE)
    yield
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.create_all()


def insert_old_rows(app, *, subscribers: list[str], suppressed: list[tuple[str, str]]) -> None:
    old_key = app.config["SECRET_KEY"]
    with db.engine.begin() as connection:
        for address in subscribers:
            connection.execute(
                text(
                    "INSERT INTO subscribers (email, email_hash, first_name, status, created_at) "
                    "VALUES (:email, :hash, '', 'unsubscribed', CURRENT_TIMESTAMP)"
                ),
                {"email": address, "hash": hmac_of(old_key, address)},
            )
        for address, reason in suppressed:
            connection.execute(
                text("INSERT INTO suppressions (email_hash, reason, created_at) VALUES (:hash, :r, CURRENT_TIMESTAMP)"),
                {"hash": hmac_of(old_key, address), "r": reason},
            )


def test_the_migration_rekeys_subscribers_and_their_suppressions(app, old_schema):
    app.config["EMAIL_HASH_KEY"] = generate_key()
    insert_old_rows(app, subscribers=["left@example.org"], suppressed=[("left@example.org", "unsubscribed")])
    upgrade(directory=str(REPO_ROOT / "migrations"))
    new_hash = hmac_of(app.config["EMAIL_HASH_KEY"], "left@example.org")
    assert db.session.scalar(select(Subscriber.email_hash)) == new_hash
    assert db.session.scalar(select(Suppression.email_hash)) == new_hash


def test_the_migration_refuses_to_forget_an_erased_address(app, old_schema, capsys):
    app.config["EMAIL_HASH_KEY"] = generate_key()
    insert_old_rows(app, subscribers=["left@example.org"], suppressed=[("erased@example.org", "erased")])
    with pytest.raises(SystemExit):
        upgrade(directory=str(REPO_ROOT / "migrations"))
    assert "set EMAIL_HASH_KEY to the SECRET_KEY" in capsys.readouterr().err
    assert db.session.scalar(select(Suppression.email_hash)) == hmac_of(app.config["SECRET_KEY"], "erased@example.org")


def test_the_migration_keeps_hashes_when_the_hash_key_is_the_old_secret_key(app, old_schema):
    app.config["EMAIL_HASH_KEY"] = app.config["SECRET_KEY"]
    insert_old_rows(app, subscribers=["left@example.org"], suppressed=[("erased@example.org", "erased")])
    upgrade(directory=str(REPO_ROOT / "migrations"))
    assert db.session.scalar(select(Suppression.email_hash)) == hmac_of(app.config["SECRET_KEY"], "erased@example.org")
