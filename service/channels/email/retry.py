"""How long the SendGrid channel waits before trying a request again.

Exponential backoff with jitter for 5xx answers and unreachable servers; after a 429, until the rate limit resets
(SendGrid's X-RateLimit-Reset, or a Retry-After), never longer than the cap. Retries are bounded by `max_retries`.
"""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    base_seconds: float = 1.0
    cap_seconds: float = 60.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    @classmethod
    def from_config(cls, config: Mapping) -> "RetryPolicy":
        return cls(
            max_retries=int(config.get("SENDGRID_MAX_RETRIES", 4)),
            base_seconds=float(config.get("SENDGRID_BACKOFF_SECONDS", 1.0)),
            cap_seconds=float(config.get("SENDGRID_MAX_BACKOFF_SECONDS", 60.0)),
        )

    def backoff(self, retry: int) -> float:
        """Seconds before retry number `retry` (1-based): between half and all of base * 2^(retry-1), capped.

        Half fixed and half random ("equal jitter"), so workers that failed together do not retry in step, yet each
        waits at least half the exponential step.
        """
        step = min(self.cap_seconds, self.base_seconds * 2 ** (retry - 1))
        return step / 2 + self.random() * step / 2

    def rate_limit_wait(self, headers: Mapping[str, str] | None, retry: int, now: float) -> float:
        """Seconds to wait after a 429 answered with these headers (`now`: Unix time), capped like any backoff."""
        reset = _number(headers, "X-RateLimit-Reset")
        if reset is not None and reset > now:
            # The reset is whole seconds; a little jitter keeps workers from all returning in the same instant.
            wait = reset - now + self.random() * min(1.0, self.base_seconds)
        else:
            retry_after = _number(headers, "Retry-After")
            wait = retry_after if retry_after is not None and retry_after > 0 else self.backoff(retry)
        return min(self.cap_seconds, wait)


def _number(headers: Mapping[str, str] | None, name: str) -> float | None:
    value = headers.get(name) if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
