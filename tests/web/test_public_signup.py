"""Public signup (form and JSON) through to a confirmed subscriber in the audience."""

import re

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Subscriber
from service.subscribers.audience import audience_size
from service.subscribers.identity import email_hash
from service.subscribers.suppressions import ensure_suppressed
from tests.factories import add_subscriber
from tests.subscribers.helpers import path_of, token_made_days_ago

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def signup_form(client, **fields):
    page = client.get("/subscribe").get_data(as_text=True)
    data = {"email": "", "first_name": "", "topics": ["newsletter"], "website": ""}
    data.update(fields)
    match = CSRF.search(page)
    if match:
        data["csrf_token"] = match.group(1)
    return client.post("/subscribe", data=data)


def test_signup_confirm_and_the_subscriber_is_in_the_audience(app, client, outbox):
    response = signup_form(client, email="Ana@Example.org", first_name="Ana", topics=["newsletter", "kap"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/subscribe/check-your-email"
    assert "Check your email" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert audience_size(db.session, ["newsletter"]) == 0, "nobody is in an audience before confirming"

    [email] = outbox.emails_to("ana@example.org")
    assert email["Subject"] == "Please confirm your subscription to Daytryp Health"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Hi Ana," in email.text
    assert "7 days" in email.text
    assert "123 Example Street" in email.text and "Unsubscribe" in email.html, "the standard footer"
    confirm_path = path_of(email.link("/confirm/"))

    page = client.get(confirm_path)
    assert page.status_code == 200
    assert "Yes, subscribe me" in page.get_data(as_text=True)
    assert audience_size(db.session, ["newsletter"]) == 0, "opening the link (a mail scanner might) confirms nothing"

    done = client.post(confirm_path)
    assert done.status_code == 200
    assert "You are subscribed" in done.get_data(as_text=True)
    subscriber = db.session.scalar(select(Subscriber))
    assert (subscriber.status, subscriber.consent_source) == ("confirmed", "form")
    assert subscriber.confirmed_at is not None and subscriber.consent_at <= subscriber.confirmed_at
    assert audience_size(db.session, ["newsletter"]) == 1
    assert audience_size(db.session, ["kap"]) == 1
    assert audience_size(db.session, ["events"]) == 0

    again = client.post(confirm_path)
    assert "already subscribed" in again.get_data(as_text=True), "confirming twice is harmless"


def test_an_expired_confirmation_link_gets_a_friendly_page(app, client):
    subscriber = add_subscriber(app, "ana@example.org", status="pending")
    token = token_made_days_ago(app.config["SECRET_KEY"], "confirm", subscriber.id, 7.5)
    for method in (client.get, client.post):
        response = method(f"/confirm/{token}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "This link has expired" in page and "Sign up again" in page
    assert db.session.get(Subscriber, subscriber.id).status == "pending"


@pytest.mark.parametrize("tamper", [lambda t: t[:-3] + "abc", lambda t: "Mg" + t[2:], lambda t: "nonsense"])
def test_a_tampered_confirmation_link_gets_a_friendly_page(app, client, tamper, outbox):
    signup_form(client, email="ana@example.org")
    token = path_of(outbox.emails[0].link("/confirm/")).rsplit("/", 1)[1]
    response = client.post(f"/confirm/{tamper(token)}")
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert db.session.scalar(select(Subscriber.status)) == "pending"


def test_the_confirmation_expiry_is_configurable(app, client, outbox):
    app.config["CONFIRM_TOKEN_MAX_AGE_DAYS"] = 2
    subscriber = add_subscriber(app, "ana@example.org", status="pending")
    token = token_made_days_ago(app.config["SECRET_KEY"], "confirm", subscriber.id, 3)
    assert "expired" in client.get(f"/confirm/{token}").get_data(as_text=True)
    signup_form(client, email="ben@example.org")
    assert "2 days" in outbox.emails_to("ben@example.org")[0].text


def test_the_page_says_the_same_whether_or_not_the_address_was_known(app, client, outbox):
    add_subscriber(app, "known@example.org", topics=("events",))
    add_subscriber(app, "pending@example.org", status="pending")
    ensure_suppressed(db.session, email_hash("erased@example.org", app.config["EMAIL_HASH_KEY"]), "erased")
    db.session.commit()
    pages = set()
    for address in ("new@example.org", "known@example.org", "pending@example.org", "erased@example.org"):
        response = signup_form(client, email=address)
        assert response.status_code == 302
        pages.add((response.headers["Location"], client.get(response.headers["Location"]).get_data(as_text=True)))
    assert len(pages) == 1

    assert len(outbox.emails_to("new@example.org")) == 1
    assert outbox.emails_to("erased@example.org") == [], "a suppressed address is never mailed"
    [known] = outbox.emails_to("known@example.org")
    assert known["Subject"] == "You are already subscribed to Daytryp Health"
    assert "/preferences/" in known.text and "/confirm/" not in known.text
    known_subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == "known@example.org"))
    assert known_subscriber.topics == ["events"], "a stranger cannot change someone's topics"


def test_bad_input_re_renders_the_form_with_what_was_typed(app, client, outbox):
    response = signup_form(client, email="ana@@example", first_name="Ana", topics=[])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="ana@@example"' in page and 'value="Ana"' in page
    assert "Choose at least one topic." in page
    assert 'aria-invalid="true"' in page
    assert outbox.emails == []


def test_the_honeypot_field_quietly_drops_the_signup(app, client, outbox):
    response = signup_form(client, email="bot@example.org", website="https://spam.example")
    assert response.headers["Location"] == "/subscribe/check-your-email"
    assert db.session.scalar(select(Subscriber)) is None
    assert outbox.emails == []


def test_a_public_page_keeps_its_url_to_itself(client, outbox):
    response = client.get("/subscribe")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ENABLED": True, "SIGNUP_RATE_LIMIT": "3 per minute", "WTF_CSRF_ENABLED": False}

    def test_signups_are_limited_per_client_address(self, app, client):
        for number in range(3):
            assert (
                client.post("/subscribe", data={"email": f"p{number}@example.org", "topics": "kap"}).status_code == 302
            )
        blocked = client.post("/subscribe", data={"email": "p9@example.org", "topics": "kap"})
        assert blocked.status_code == 429
        assert "Please wait a moment" in blocked.get_data(as_text=True)
        api = client.post("/api/subscribe", json={"email": "p8@example.org", "topics": ["kap"]})
        assert api.status_code == 429 and "error" in api.get_json(), "form and JSON share one limit"
        other = client.post("/subscribe", data={"email": "x@example.org"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert other.status_code != 429
        assert client.get("/subscribe").status_code == 200, "reading the form is not limited"

    def test_a_forged_forwarded_for_header_does_not_dodge_the_limit(self, app, client):
        for number in range(4):
            response = client.post(
                "/subscribe",
                data={"email": f"p{number}@example.org", "topics": "kap"},
                headers={"X-Forwarded-For": f"203.0.113.{number}"},
            )
        assert response.status_code == 429, "no proxy is trusted: the peer's address counts"


class TestRateLimitBehindAProxy:
    @pytest.fixture
    def app_config(self, app_config):
        return {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "SIGNUP_RATE_LIMIT": "2 per minute",
            "WTF_CSRF_ENABLED": False,
            "TRUSTED_PROXIES": 1,
        }

    def test_clients_behind_the_trusted_proxy_are_limited_each_by_their_own_address(self, app, client):
        def signup(email: str, client_address: str):
            return client.post(
                "/subscribe",
                data={"email": email, "topics": "kap"},
                headers={"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"},
            )

        assert [signup(f"a{n}@example.org", "198.51.100.7").status_code for n in range(3)] == [302, 302, 429]
        assert signup("b@example.org", "198.51.100.8").status_code == 302, "another client behind the same proxy"


class TestJsonSignup:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "SIGNUP_CORS_ORIGINS": ["https://www.daytryphealth.com"]}

    def test_a_signup_from_the_clinic_website(self, app, client, outbox):
        origin = {"Origin": "https://www.daytryphealth.com"}
        preflight = client.options("/api/subscribe", headers={**origin, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "https://www.daytryphealth.com"
        assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]

        response = client.post(
            "/api/subscribe", json={"email": "ana@example.org", "first_name": "Ana", "topics": ["kap"]}, headers=origin
        )
        assert response.status_code == 202
        assert response.get_json()["status"] == "accepted"
        assert response.headers["Access-Control-Allow-Origin"] == "https://www.daytryphealth.com"
        subscriber = db.session.scalar(select(Subscriber))
        assert (subscriber.status, subscriber.consent_source, subscriber.topics) == ("pending", "api", ["kap"])
        assert len(outbox.emails_to("ana@example.org")) == 1

        known = client.post("/api/subscribe", json={"email": "ana@example.org", "topics": ["kap"]}, headers=origin)
        assert (known.status_code, known.get_json()) == (response.status_code, response.get_json())

    def test_other_origins_are_refused(self, app, client):
        response = client.post(
            "/api/subscribe",
            json={"email": "ana@example.org", "topics": ["kap"]},
            headers={"Origin": "https://evil.test"},
        )
        assert response.status_code == 403
        assert "Access-Control-Allow-Origin" not in response.headers
        assert db.session.scalar(select(Subscriber)) is None

    def test_bad_json_gets_field_errors(self, app, client):
        response = client.post("/api/subscribe", json={"email": "nope", "topics": []})
        assert response.status_code == 400
        assert set(response.get_json()["errors"]) == {"email", "topics"}
        assert client.post("/api/subscribe", data="email=a").status_code == 400
        assert client.post("/api/subscribe", json={"email": ["a"], "topics": "kap"}).status_code == 400
        honeypot = client.post("/api/subscribe", json={"email": "a@example.org", "topics": ["kap"], "website": "x"})
        assert honeypot.status_code == 202 and db.session.scalar(select(Subscriber)) is None


def test_a_signup_form_without_its_csrf_token_gets_a_friendly_page(app, client):
    response = client.post("/subscribe", data={"email": "ana@example.org", "topics": "kap"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The form had expired" in page and "Daytryp Health LLC" in page
    assert db.session.scalar(select(Subscriber)) is None
