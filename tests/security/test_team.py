"""The Team page: admins invite (a single-use link valid 48 hours), change roles, deactivate and reactivate;
anyone resets a forgotten password (a single-use link valid 1 hour; the same answer for any address). Every
change is in the audit log; staff emails go through the email channel to the account's own address only."""

import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from service.accounts import two_factor
from service.accounts.links import INVITATION, PASSWORD_RESET, make_link_token
from service.extensions import db
from service.models import AuditEntry, User
from tests.factories import make_user
from tests.security.signing_in import log_in
from tests.subscribers.helpers import path_of

GOOD = "Plum tree at the far gate 7"


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", "admin")


@pytest.fixture
def admin_client(app, client, admin):
    app.config["WTF_CSRF_ENABLED"] = False
    log_in(client, admin)
    return client


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def invite(client, email="new@example.org", role="reviewer"):
    return client.post("/team/invite", data={"email": email, "name": "Nia New", "role": role})


def test_only_admins_see_the_team_page(app, marketer_client, reviewer):
    assert marketer_client.get("/team").status_code == 403
    assert marketer_client.post(f"/team/{reviewer.id}/deactivate").status_code == 403


def test_an_invited_person_sets_a_password_once_and_goes_on_to_two_factor(app, admin_client, outbox):
    assert invite(admin_client).status_code == 302
    [email] = outbox.emails_to("new@example.org")
    join = path_of(email.link("/team/join/"))
    assert "new@example.org" not in join

    newcomer = app.test_client()
    assert newcomer.post(join, data={"password": "1234567890"}).status_code == 422
    response = newcomer.post(join, data={"password": GOOD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    assert newcomer.get("/campaigns").status_code == 200

    assert app.test_client().post(join, data={"password": "Another fine phrase 42"}).status_code == 400
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role == "reviewer" and user.check_password(GOOD)
    assert {"account:invited", "account:invitation-accepted"} <= set(actions())


def token_made_ago(app, link, user, seconds):
    real = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(time.time() - seconds)
    try:
        return make_link_token(app.config["SECRET_KEY"], link, user)
    finally:
        TimestampSigner.get_timestamp = real


def test_an_invitation_expires_after_48_hours(app, admin_client):
    invite(admin_client)
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    fresh = token_made_ago(app, INVITATION, user, 47 * 3600)
    stale = token_made_ago(app, INVITATION, user, 49 * 3600)
    assert b"expired" in app.test_client().get(f"/team/join/{stale}").data
    assert app.test_client().get(f"/team/join/{fresh}").status_code == 200


def test_role_changes_deactivation_and_reactivation_are_audited(app, admin_client, marketer):
    assert admin_client.post(f"/team/{marketer.id}/role", data={"role": "reviewer"}).status_code == 302
    admin_client.post(f"/team/{marketer.id}/deactivate")
    db.session.expire_all()
    assert (marketer.role, marketer.active) == ("reviewer", False)
    assert (
        app.test_client()
        .post("/login", data={"email": marketer.email, "password": "correct-horse-battery"})
        .status_code
        == 401
    )
    admin_client.post(f"/team/{marketer.id}/reactivate")
    db.session.expire_all()
    assert marketer.active
    assert [a for a in actions() if a.startswith("account:")] == [
        "account:role-changed",
        "account:deactivated",
        "account:reactivated",
    ]
    assert all("@" not in entry for entry in db.session.scalars(select(AuditEntry.detail)))


def test_the_last_admin_cannot_be_demoted_or_deactivated(app, admin_client, admin):
    admin_client.post(f"/team/{admin.id}/role", data={"role": "marketer"})
    db.session.expire_all()
    assert admin.role == "admin"


def test_a_password_reset_answers_the_same_for_any_address_and_mails_only_accounts(app, client, marketer, outbox):
    app.config["WTF_CSRF_ENABLED"] = False
    pages = {
        client.post("/password/forgot", data={"email": email}).get_data(as_text=True)
        for email in (marketer.email, "nobody@example.org")
    }
    assert len(pages) == 1
    assert outbox.emails_to("nobody@example.org") == []
    [email] = outbox.emails
    assert email["To"] == marketer.email
    reset = path_of(email.link("/password/reset/"))

    other = app.test_client()
    log_in(other, marketer)
    assert client.post(reset, data={"password": GOOD}).status_code == 302
    with app.app_context():
        assert other.get("/campaigns").status_code == 302, "a reset ends every other session"
    assert app.test_client().post(reset, data={"password": "Another fine phrase 42"}).status_code == 400
    db.session.expire_all()
    assert marketer.check_password(GOOD)


def test_a_reset_link_expires_after_an_hour(app, marketer):
    stale = token_made_ago(app, PASSWORD_RESET, marketer, 3700)
    assert b"expired" in app.test_client().get(f"/password/reset/{stale}").data


def test_a_password_reset_does_not_skip_two_factor(app, client, marketer):
    secret = two_factor.new_secret()
    earlier = datetime.now(UTC) - timedelta(seconds=60)
    two_factor.enable(db.session, marketer, secret, pyotp.TOTP(secret).at(earlier), earlier)
    db.session.commit()
    reset = f"/password/reset/{make_link_token(app.config['SECRET_KEY'], PASSWORD_RESET, marketer)}"
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post(reset, data={"password": GOOD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    with app.app_context():
        assert client.get("/campaigns").status_code == 302
    assert client.post("/login/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    with app.app_context():
        assert client.get("/campaigns").status_code == 200
