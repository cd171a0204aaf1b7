"""The fake SendGrid, driven by the real sendgrid client (never a mock)."""

import json
import time
import urllib.error

import pytest
import requests
from python_http_client.exceptions import (
    BadRequestsError,
    InternalServerError,
    ServiceUnavailableError,
    TooManyRequestsError,
)
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Category,
    ClickTracking,
    Content,
    CustomArg,
    From,
    Header,
    Mail,
    OpenTracking,
    Personalization,
    Substitution,
    To,
    TrackingSettings,
)

from tests.fakes.sendgrid_server import FakeSendGrid
from tests.paths import SENDGRID_MAIL_SPEC

API_KEY = "SG.test-key"


@pytest.fixture
def sendgrid_client(fake_sendgrid) -> SendGridAPIClient:
    return SendGridAPIClient(API_KEY, host=fake_sendgrid.url)


def newsletter(addresses: list[str]) -> Mail:
    """A newsletter built the way the email channel builds one: one body, per-recipient personalizations."""
    mail = Mail(from_email=From("news@clinic.example", "Clinic"), subject="Spring newsletter")
    for number, address in enumerate(addresses):
        personalization = Personalization()
        personalization.add_to(To(address))
        personalization.add_substitution(Substitution("-unsubscribe-", f"https://clinic.example/u/t{number}"))
        personalization.add_custom_arg(CustomArg("delivery_id", str(number)))
        personalization.add_header(Header("List-Unsubscribe", f"<https://clinic.example/u/t{number}>"))
        # add_personalization inserts at the front unless given an index.
        mail.add_personalization(personalization, index=number)
    mail.add_content(Content("text/plain", "Hello. Unsubscribe: -unsubscribe-"))
    mail.add_content(Content("text/html", "<p>Hello.</p><a href='-unsubscribe-'>Unsubscribe</a>"))
    mail.add_header(Header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    mail.add_category(Category("newsletter"))
    mail.add_custom_arg(CustomArg("campaign_id", "7"))
    mail.tracking_settings = TrackingSettings(
        click_tracking=ClickTracking(False, False), open_tracking=OpenTracking(False)
    )
    return mail


def raw_body(addresses: list[str]) -> dict:
    return {
        "from": {"email": "news@clinic.example"},
        "subject": "Hello",
        "personalizations": [{"to": [{"email": address}]} for address in addresses],
        "content": [{"type": "text/plain", "value": "Hello."}],
    }


def error_json(error: Exception) -> dict:
    return json.loads(error.body)


def test_a_newsletter_from_the_real_client_is_accepted_and_recorded(fake_sendgrid, sendgrid_client):
    mail = newsletter(["ana@example.com", "ben@example.com"])

    response = sendgrid_client.send(mail)

    assert response.status_code == 202
    assert response.body == b""
    assert len(response.headers["X-Message-Id"]) == 22
    assert fake_sendgrid.violations == []
    [accepted] = fake_sendgrid.requests
    assert accepted.body == mail.get()
    assert accepted.headers["authorization"] == f"Bearer {API_KEY}"
    assert accepted.message_id == response.headers["X-Message-Id"]
    assert fake_sendgrid.recipients() == ["ana@example.com", "ben@example.com"]


def test_a_body_without_from_is_refused_with_sendgrids_error_and_kept_as_a_violation(fake_sendgrid, sendgrid_client):
    body = raw_body(["ana@example.com"])
    del body["from"]

    with pytest.raises(BadRequestsError) as refused:
        sendgrid_client.client.mail.send.post(request_body=body)

    [error] = error_json(refused.value)["errors"]
    assert error["field"] == "from"
    assert "'from' is a required property" in error["message"]
    assert error["help"] is None
    assert [(violation.field, violation.request_number) for violation in fake_sendgrid.violations] == [("from", 1)]
    assert fake_sendgrid.requests == []


def test_an_invalid_address_is_refused_with_its_field_path(fake_sendgrid, sendgrid_client):
    body = raw_body(["ana@example.com", "not-an-address"])

    with pytest.raises(BadRequestsError) as refused:
        sendgrid_client.client.mail.send.post(request_body=body)

    assert [error["field"] for error in error_json(refused.value)["errors"]] == ["personalizations.1.to.0.email"]


def test_top_level_custom_args_are_an_object_of_strings(fake_sendgrid, sendgrid_client):
    body = raw_body(["ana@example.com"])
    body["custom_args"] = {"campaign_id": "7"}
    assert sendgrid_client.client.mail.send.post(request_body=body).status_code == 202

    body["custom_args"] = {"campaign_id": 7}
    with pytest.raises(BadRequestsError):
        sendgrid_client.client.mail.send.post(request_body=body)
    assert [violation.field for violation in fake_sendgrid.violations] == ["custom_args.campaign_id"]


def test_a_thousand_personalizations_pass_and_one_more_is_refused(fake_sendgrid, sendgrid_client):
    addresses = [f"reader{number}@example.com" for number in range(1001)]

    assert sendgrid_client.client.mail.send.post(request_body=raw_body(addresses[:1000])).status_code == 202
    with pytest.raises(BadRequestsError) as refused:
        sendgrid_client.client.mail.send.post(request_body=raw_body(addresses))

    [error] = error_json(refused.value)["errors"]
    assert error["field"] == "personalizations"
    assert "1000" in error["message"]
    assert len(fake_sendgrid.recipients()) == 1000


def test_an_address_twice_in_one_request_is_refused_whatever_its_case(fake_sendgrid, sendgrid_client):
    body = raw_body(["ana@example.com", "ben@example.com", "Ana@Example.com"])

    with pytest.raises(BadRequestsError) as refused:
        sendgrid_client.client.mail.send.post(request_body=body)

    [error] = error_json(refused.value)["errors"]
    assert error["field"] == "personalizations.2.to"
    assert "duplicate" in error["message"]
    assert fake_sendgrid.requests == []


def test_a_mail_with_no_subject_anywhere_is_refused(fake_sendgrid, sendgrid_client):
    body = raw_body(["ana@example.com"])
    del body["subject"]

    with pytest.raises(BadRequestsError) as refused:
        sendgrid_client.client.mail.send.post(request_body=body)

    assert error_json(refused.value)["errors"][0]["field"] == "subject"


def test_a_request_without_a_bearer_key_gets_401(fake_sendgrid):
    response = requests.post(fake_sendgrid.url + "/v3/mail/send", json=raw_body(["ana@example.com"]), timeout=5)

    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "authorization required", "field": None, "help": None}]}
    assert fake_sendgrid.requests == []


def test_a_body_that_is_not_json_by_its_content_type_gets_415(fake_sendgrid):
    body = json.dumps(raw_body(["ana@example.com"]))
    headers = {"Authorization": f"Bearer {API_KEY}"}

    as_text = requests.post(
        fake_sendgrid.url + "/v3/mail/send", data=body, headers={**headers, "Content-Type": "text/plain"}, timeout=5
    )
    as_json = requests.post(
        fake_sendgrid.url + "/v3/mail/send",
        data=body,
        headers={**headers, "Content-Type": "application/json; charset=utf-8"},
        timeout=5,
    )

    assert as_text.status_code == 415 and as_json.status_code == 202
    assert len(fake_sendgrid.requests) == 1


def test_a_429_carries_rate_limit_headers_the_client_can_read(fake_sendgrid, sendgrid_client):
    fake_sendgrid.rate_limit_next(reset_in_seconds=60)

    with pytest.raises(TooManyRequestsError) as limited:
        sendgrid_client.send(newsletter(["ana@example.com"]))

    headers = limited.value.headers
    assert headers["X-RateLimit-Remaining"] == "0"
    assert 55 <= int(headers["X-RateLimit-Reset"]) - time.time() <= 61
    assert sendgrid_client.send(newsletter(["ana@example.com"])).status_code == 202
    assert [call.status for call in fake_sendgrid.calls] == [429, 202]


def test_planned_failures_hit_the_requests_they_name(fake_sendgrid, sendgrid_client):
    fake_sendgrid.respond_next(500)
    fake_sendgrid.fail_on_request(3, 503)

    with pytest.raises(InternalServerError):
        sendgrid_client.send(newsletter(["ana@example.com"]))
    sendgrid_client.send(newsletter(["ana@example.com"]))
    with pytest.raises(ServiceUnavailableError):
        sendgrid_client.send(newsletter(["ben@example.com"]))
    sendgrid_client.send(newsletter(["ben@example.com"]))

    assert [call.status for call in fake_sendgrid.calls] == [500, 202, 503, 202]
    assert fake_sendgrid.recipients() == ["ana@example.com", "ben@example.com"]


def test_a_planned_400_returns_the_given_error_text(fake_sendgrid, sendgrid_client):
    message = "The from address does not match a verified Sender Identity."
    fake_sendgrid.respond_next(400, body={"errors": [{"message": message, "field": "from", "help": None}]})

    with pytest.raises(BadRequestsError) as refused:
        sendgrid_client.send(newsletter(["ana@example.com"]))

    assert error_json(refused.value)["errors"][0]["message"] == message
    assert fake_sendgrid.violations == []


def test_a_hang_times_the_client_out_yet_the_mail_is_accepted_like_a_slow_provider(fake_sendgrid):
    # SendGridAPIClient takes no timeout; its python_http_client does, per client or per call.
    client = SendGridAPIClient(API_KEY, host=fake_sendgrid.url)
    client.client.timeout = 0.2
    fake_sendgrid.hang_next(0.6)

    with pytest.raises((TimeoutError, urllib.error.URLError)):
        client.send(newsletter(["ana@example.com"]))

    wait_until(lambda: fake_sendgrid.requests)
    assert fake_sendgrid.recipients() == ["ana@example.com"]


def test_a_per_call_timeout_also_applies(fake_sendgrid, sendgrid_client):
    fake_sendgrid.hang_next(0.6)

    with pytest.raises((TimeoutError, urllib.error.URLError)):
        sendgrid_client.client.mail.send.post(request_body=raw_body(["ana@example.com"]), timeout=0.2)


def test_keep_alive_connections_serve_several_requests(fake_sendgrid):
    with requests.Session() as session:
        statuses = [
            session.post(
                fake_sendgrid.url + "/v3/mail/send",
                json=raw_body([f"reader{number}@example.com"]),
                headers={"Authorization": f"Bearer {API_KEY}"},
                timeout=5,
            ).status_code
            for number in range(3)
        ]

    assert statuses == [202, 202, 202]


def test_the_benchmark_mode_keeps_counts_only():
    with FakeSendGrid(SENDGRID_MAIL_SPEC, validate=False, record_bodies=False) as fake:
        client = SendGridAPIClient(API_KEY, host=fake.url)
        body = raw_body(["ana@example.com", "ben@example.com"])
        del body["from"]  # not checked in this mode
        client.client.mail.send.post(request_body=body)

        assert fake.accepted_personalizations == 2
        assert fake.requests[0].body is None
        with pytest.raises(RuntimeError):
            fake.recipients()


def test_other_paths_are_not_found(fake_sendgrid):
    response = requests.get(fake_sendgrid.url + "/v3/templates", timeout=5)

    assert response.status_code == 404


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
