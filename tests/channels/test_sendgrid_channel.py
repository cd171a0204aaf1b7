"""The SendGrid channel, driven through the real `sendgrid` client against the fake SendGrid server."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from service.channels.email.base import EmailSendError, HandOver, OutgoingEmail, Recipient, SendAbandoned
from service.channels.email.retry import RetryPolicy
from service.channels.email.sendgrid import SendGridEmailChannel
from service.channels.registry import email_channel_for
from tests.ports import unused_port

API_KEY = "SG.test-key"
UNSUBSCRIBE = "-unsubscribe_url-"


class Sleeps(list):
    """Stands in for time.sleep: remembers each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def channel_for(url: str, sleeps: Sleeps | None = None, **options) -> SendGridEmailChannel:
    options.setdefault("retry", RetryPolicy(max_retries=3, base_seconds=0.5, cap_seconds=8))
    return SendGridEmailChannel(
        API_KEY,
        host=url,
        from_address="news@clinic.example",
        from_name="The Clinic",
        sleep=sleeps if sleeps is not None else Sleeps(),
        **options,
    )


def newsletter(**overrides) -> OutgoingEmail:
    values = {
        "subject": "Spring news",
        "html": f'<p>-greeting_html-</p><p>Body</p><a href="{UNSUBSCRIBE}">Unsubscribe</a>',
        "text": f"-greeting_text-\n\nBody\n\nUnsubscribe: {UNSUBSCRIBE}",
        "headers": {"List-Unsubscribe": f"<{UNSUBSCRIBE}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        "categories": ("newsletter", "spring-news"),
        "custom_args": {"message_id": "7", "batch_id": "3"},
    }
    return OutgoingEmail(**{**values, **overrides})


def recipients(count: int, domain: str = "example.org") -> list[Recipient]:
    return [
        Recipient(
            email=f"reader{number}@{domain}",
            substitutions={
                UNSUBSCRIBE: f"https://tidings.test/unsubscribe/token{number}",
                "-greeting_text-": f"Hi Reader{number},",
                "-greeting_html-": f"Hi Reader{number},",
            },
        )
        for number in range(count)
    ]


def test_one_request_carries_the_body_once_and_each_recipient_in_a_personalization(fake_sendgrid):
    provider_id = channel_for(fake_sendgrid.url).send_batch(newsletter(), recipients(3))

    assert fake_sendgrid.violations == []
    [mail] = fake_sendgrid.requests
    assert provider_id == mail.message_id
    body = mail.body
    assert [block["type"] for block in body["content"]] == ["text/plain", "text/html"]
    assert body["subject"] == "Spring news"
    assert body["from"] == {"email": "news@clinic.example", "name": "The Clinic"}
    assert body["headers"] == {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    assert body["categories"] == ["newsletter", "spring-news"]
    assert body["custom_args"] == {"message_id": "7", "batch_id": "3"}
    assert fake_sendgrid.recipients() == ["reader0@example.org", "reader1@example.org", "reader2@example.org"]
    for number, personalization in enumerate(body["personalizations"]):
        url = f"https://tidings.test/unsubscribe/token{number}"
        assert personalization["substitutions"][UNSUBSCRIBE] == url
        assert personalization["headers"] == {"List-Unsubscribe": f"<{url}>"}
    assert mail.headers["authorization"] == f"Bearer {API_KEY}"
    # The body goes out as encoded ahead (by the worker's encoding process), so the type names its charset.
    assert mail.headers["content-type"] == "application/json; charset=utf-8"


def test_a_body_encoded_ahead_carries_its_hand_over_as_a_body_built_with_it_would(fake_sendgrid):
    channel = channel_for(fake_sendgrid.url)
    send_at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    encoded = channel.batch_encoder().encode(newsletter(), recipients(2))

    batch_id = channel.new_handover_id()
    channel.send_encoded(encoded, handover=HandOver(batch_id, send_at))

    assert fake_sendgrid.violations == []
    [mail] = fake_sendgrid.requests
    assert (mail.body["batch_id"], mail.body["send_at"]) == (batch_id, int(send_at.timestamp()))
    assert {key: value for key, value in mail.body.items() if key not in ("batch_id", "send_at")} == json.loads(encoded)


def test_tracking_is_off_unless_enabled_and_sandbox_mode_only_when_asked(fake_sendgrid):
    channel_for(fake_sendgrid.url).send_batch(newsletter(), recipients(1))
    channel_for(fake_sendgrid.url, tracking=True, sandbox=True).send_batch(newsletter(), recipients(1))

    off, on = (mail.body for mail in fake_sendgrid.requests)
    assert off["tracking_settings"] == {
        "click_tracking": {"enable": False, "enable_text": False},
        "open_tracking": {"enable": False},
        "subscription_tracking": {"enable": False},
    }
    assert "mail_settings" not in off
    assert on["tracking_settings"]["click_tracking"] == {"enable": True, "enable_text": True}
    assert on["tracking_settings"]["open_tracking"] == {"enable": True}
    assert on["mail_settings"] == {"sandbox_mode": {"enable": True}}
    assert fake_sendgrid.violations == []


def test_the_registry_builds_the_channel_from_settings(fake_sendgrid):
    config = {
        "EMAIL_CHANNEL": "sendgrid",
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_HOST": fake_sendgrid.url,
        "SENDGRID_SANDBOX": True,
        "SENDGRID_TIMEOUT_SECONDS": 7,
        "MAIL_FROM_ADDRESS": "news@clinic.example",
        "MAIL_FROM_NAME": "The Clinic",
        "TRACKING_ENABLED": False,
    }
    channel = email_channel_for(config)

    assert isinstance(channel, SendGridEmailChannel)
    assert channel.client.client.timeout == 7
    channel.send_batch(newsletter(), recipients(1))
    assert fake_sendgrid.requests[0].body["mail_settings"] == {"sandbox_mode": {"enable": True}}


@pytest.mark.parametrize(
    "bad_batch, reason",
    [
        (lambda: recipients(1001), "at most 1000"),
        (lambda: recipients(2) + [Recipient("READER1@example.org ")], "twice"),
        (lambda: [], "at least one"),
    ],
)
def test_a_batch_sendgrid_would_refuse_is_never_sent(fake_sendgrid, bad_batch, reason):
    with pytest.raises(EmailSendError, match=reason) as raised:
        channel_for(fake_sendgrid.url).send_batch(newsletter(), bad_batch())

    assert raised.value.permanent
    assert fake_sendgrid.calls == []


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: victim@example.org", "Hello\nthere", "Line\u2028break"])
def test_a_subject_with_a_line_break_is_refused_before_any_request(fake_sendgrid, subject):
    with pytest.raises(EmailSendError, match="single line") as raised:
        channel_for(fake_sendgrid.url).send_batch(newsletter(subject=subject), recipients(1))

    assert raised.value.permanent
    assert fake_sendgrid.calls == []


def test_429_waits_for_the_rate_limit_reset_then_sends_once(fake_sendgrid):
    sleeps = Sleeps()
    fake_sendgrid.rate_limit_next(reset_in_seconds=5, times=2)

    channel_for(fake_sendgrid.url, sleeps, retry=RetryPolicy(max_retries=3, cap_seconds=30)).send_batch(
        newsletter(), recipients(2)
    )

    assert [call.status for call in fake_sendgrid.calls] == [429, 429, 202]
    assert len(sleeps) == 2
    # X-RateLimit-Reset is whole seconds, about 5 s ahead: the channel waits until then (plus at most 1 s jitter).
    assert all(3.5 <= wait <= 6.5 for wait in sleeps), sleeps
    assert fake_sendgrid.recipients() == ["reader0@example.org", "reader1@example.org"]


def test_429_waits_are_capped(fake_sendgrid):
    sleeps = Sleeps()
    fake_sendgrid.rate_limit_next(reset_in_seconds=3600)

    channel_for(fake_sendgrid.url, sleeps, retry=RetryPolicy(max_retries=2, cap_seconds=2)).send_batch(
        newsletter(), recipients(1)
    )

    assert sleeps == [2]


def test_a_stop_ends_the_wait_for_a_rate_limit_and_abandons_the_batch_unsent(fake_sendgrid):
    stop = threading.Event()
    fake_sendgrid.rate_limit_next(reset_in_seconds=60)
    channel = channel_for(fake_sendgrid.url, retry=RetryPolicy(max_retries=3, cap_seconds=60), stop=stop)
    # (no give_up_after: only the stop ends this wait)
    threading.Timer(0.2, stop.set).start()

    started = time.monotonic()
    with pytest.raises(SendAbandoned) as raised:
        channel.send_batch(newsletter(), recipients(2))

    assert time.monotonic() - started < 5, "the stop ended a minute's wait"
    assert not raised.value.permanent and "was not sent" in str(raised.value)
    assert [call.status for call in fake_sendgrid.calls] == [429], "no second try once stopping"
    assert fake_sendgrid.requests == []


def test_no_wait_goes_past_give_up_after_the_batch_is_abandoned_unsent_instead(fake_sendgrid):
    sleeps = Sleeps()
    fake_sendgrid.rate_limit_next(reset_in_seconds=60)
    channel = channel_for(fake_sendgrid.url, sleeps, retry=RetryPolicy(max_retries=3, cap_seconds=90), give_up_after=20)

    with pytest.raises(SendAbandoned, match="longer than this send may wait"):
        channel.send_batch(newsletter(), recipients(1))

    assert sleeps == [] and [call.status for call in fake_sendgrid.calls] == [429]


def test_5xx_is_retried_with_growing_jittered_backoff_then_succeeds(fake_sendgrid):
    sleeps = Sleeps()
    fake_sendgrid.respond_next(500)
    fake_sendgrid.respond_next(502)
    fake_sendgrid.respond_next(503)

    channel_for(fake_sendgrid.url, sleeps).send_batch(newsletter(), recipients(2))

    assert [call.status for call in fake_sendgrid.calls] == [500, 502, 503, 202]
    # base 0.5 s doubling: each wait is between half and all of its step.
    for wait, step in zip(sleeps, (0.5, 1.0, 2.0), strict=True):
        assert step / 2 <= wait <= step
    assert len(fake_sendgrid.recipients()) == 2


def test_5xx_that_does_not_clear_gives_up_after_the_bounded_retries(fake_sendgrid):
    sleeps = Sleeps()
    fake_sendgrid.respond_next(503, times=10)

    with pytest.raises(EmailSendError, match="503") as raised:
        channel_for(fake_sendgrid.url, sleeps).send_batch(newsletter(), recipients(1))

    assert not raised.value.permanent
    assert len(fake_sendgrid.calls) == 4  # one try and three retries
    assert len(sleeps) == 3


def test_other_4xx_fails_permanently_with_sendgrids_words_and_no_address(fake_sendgrid):
    fake_sendgrid.respond_next(
        400,
        body={
            "errors": [
                {"message": "The from address does not match a verified Sender Identity.", "field": "from"},
                {"message": "Invalid email [ann@example.org] in personalizations.0.to", "field": None},
            ]
        },
    )

    with pytest.raises(EmailSendError) as raised:
        channel_for(fake_sendgrid.url).send_batch(newsletter(), recipients(1))

    assert raised.value.permanent
    text = str(raised.value)
    assert "400" in text and "does not match a verified Sender Identity" in text
    assert "@" not in text
    assert len(fake_sendgrid.calls) == 1, "a permanent refusal is not retried"


def test_a_wrong_api_key_is_a_permanent_failure(fake_sendgrid):
    fake_sendgrid.api_key = "SG.the-right-one"

    with pytest.raises(EmailSendError, match="401") as raised:
        channel_for(fake_sendgrid.url).send_batch(newsletter(), recipients(1))

    assert raised.value.permanent
    assert len(fake_sendgrid.calls) == 1


def test_no_answer_in_time_is_not_retried_because_sendgrid_may_have_accepted_it(fake_sendgrid):
    fake_sendgrid.hang_next(1.0)
    sleeps = Sleeps()

    started = time.monotonic()
    with pytest.raises(EmailSendError, match="may or may not have been accepted") as raised:
        channel_for(fake_sendgrid.url, sleeps, timeout_seconds=0.3).send_batch(newsletter(), recipients(2))

    assert time.monotonic() - started < 0.9
    assert not raised.value.permanent
    assert sleeps == []
    # The slow server did accept it in the end: retrying would have sent it twice.
    deadline = time.monotonic() + 5
    while not fake_sendgrid.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(fake_sendgrid.requests) == 1
    assert fake_sendgrid.recipients() == ["reader0@example.org", "reader1@example.org"]


def test_an_unreachable_server_is_retried_then_reported():
    port = unused_port()
    sleeps = Sleeps()

    with pytest.raises(EmailSendError, match="Could not reach SendGrid") as raised:
        channel_for(f"http://127.0.0.1:{port}", sleeps).send_batch(newsletter(), recipients(1))

    assert not raised.value.permanent
    assert len(sleeps) == 3


def test_the_request_never_carries_an_address_outside_the_to_fields(fake_sendgrid):
    channel_for(fake_sendgrid.url).send_batch(newsletter(), recipients(5))

    body = dict(fake_sendgrid.requests[0].body)
    for personalization in body.pop("personalizations"):
        assert "@" not in json.dumps({key: value for key, value in personalization.items() if key != "to"})
    body.pop("from")
    assert "@" not in json.dumps(body)
