"""The webhook's signature check at a fixed clock: the five-minute window is exact on both sides."""

import pytest

from service.channels.email.sendgrid_webhook import WebhookRefused, verify_request
from tests.fakes.sendgrid_event_signer import EventSigner

NOW = 1_800_000_000
BODY = b'[{"event": "delivered"}]'


@pytest.fixture(scope="module")
def signer():
    return EventSigner()


def verify(signer, signed_at: int) -> None:
    verify_request(
        BODY, signer.headers(BODY, timestamp=signed_at), public_key=signer.public_key, now=NOW, max_age_seconds=300
    )


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_a_timestamp_within_five_minutes_either_way_is_accepted(signer, offset):
    verify(signer, NOW + offset)


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_one_second_outside_the_window_is_refused(signer, offset):
    with pytest.raises(WebhookRefused, match="from now"):
        verify(signer, NOW + offset)
