"""Two-factor sign-in: a TOTP code after the password for any account that set it up (admins must, in production),
each code accepted once, and ten single-use recovery codes kept only as hashes."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from service.accounts import two_factor
from service.extensions import db
from service.models import AuditEntry, RecoveryCode
from tests.factories import make_user

PASSWORD = "correct-horse-battery"


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", "admin")


def password_step(client, user):
    return client.post("/login", data={"email": user.email, "password": PASSWORD})


def set_up(user) -> tuple[str, list[str]]:
    secret = two_factor.new_secret()
    earlier = datetime.now(UTC) - timedelta(seconds=60)
    codes = two_factor.enable(db.session, user, secret, pyotp.TOTP(secret).at(earlier), earlier)
    db.session.commit()
    return secret, codes


def signed_in(client) -> bool:
    with client.application.app_context():
        return client.get("/campaigns").status_code == 200


@pytest.fixture
def no_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = False


def test_the_password_alone_does_not_sign_in_an_account_with_two_factor(app, client, marketer, no_csrf):
    secret, _ = set_up(marketer)
    assert password_step(client, marketer).headers["Location"].endswith("/login/code")
    assert not signed_in(client)
    assert client.post("/login/code", data={"code": "000000"}).status_code == 401
    refused = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "login:failed")).all()
    assert refused == [
        f"login refused for account #{marketer.id} from 127.0.0.1: two-factor code: That code is not valid."
    ]
    code = pyotp.TOTP(secret).now()
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert signed_in(client)


def test_a_code_signs_in_once(app, client, marketer, no_csrf):
    secret, _ = set_up(marketer)
    code = pyotp.TOTP(secret).now()
    password_step(client, marketer)
    client.post("/login/code", data={"code": code})
    other = app.test_client()
    password_step(other, marketer)
    response = other.post("/login/code", data={"code": code})
    assert response.status_code == 401 and b"used already" in response.data


def test_ten_recovery_codes_each_sign_in_once_and_are_stored_hashed(app, client, marketer, no_csrf):
    _, codes = set_up(marketer)
    assert len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == marketer.id)).all()
    assert len(stored) == 10 and not {code.replace("-", "") for code in codes} & set(stored)
    assert not any(code in hashed or code.replace("-", "") in hashed for code in codes for hashed in stored)
    password_step(client, marketer)
    assert client.post("/login/code", data={"code": codes[3].upper()}).status_code == 302
    again = app.test_client()
    password_step(again, marketer)
    assert again.post("/login/code", data={"code": codes[3]}).status_code == 401


def test_admins_must_set_up_two_factor_in_production_with_a_qr_code(app, client, admin, no_csrf):
    app.config["ADMIN_TOTP_REQUIRED"] = True
    password_step(client, admin)
    response = client.get("/campaigns")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and "<script>" not in page and " onload=" not in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert (
        done.status_code == 200 and len(re.findall(r"<li><code>[0-9a-f]{8}-[0-9a-f]{8}</code></li>", done.text)) == 10
    )
    assert client.get("/campaigns").status_code == 200


def test_a_wrong_setup_code_turns_nothing_on(app, client, admin, no_csrf):
    password_step(client, admin)
    client.get("/account/two-factor")
    response = client.post("/account/two-factor", data={"code": "123456"})
    assert response.status_code == 422 and b"does not match" in response.data
    db.session.expire_all()
    assert not admin.has_totp


def test_in_development_the_seed_admin_signs_in_with_a_password_only(app, client, admin, no_csrf):
    assert app.config["ADMIN_TOTP_REQUIRED"] is False
    password_step(client, admin)
    assert signed_in(client)
