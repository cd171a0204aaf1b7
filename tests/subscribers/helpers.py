"""Following the links subscribers receive, as their mail client would (the emails themselves: `tests.outbox`)."""

import re
import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def token_made_days_ago(secret: str, purpose: str, subscriber_id: int, days: float) -> str:
    class EarlierSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - days * 86400)

    return URLSafeTimedSerializer(secret, salt=f"tidings-{purpose}", signer=EarlierSigner).dumps(subscriber_id)
