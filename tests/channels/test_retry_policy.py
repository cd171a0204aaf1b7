"""How long the SendGrid channel waits between tries."""

from service.channels.email.retry import RetryPolicy


def policy(**values) -> RetryPolicy:
    return RetryPolicy(**{"max_retries": 4, "base_seconds": 1.0, "cap_seconds": 10.0, **values})


def test_backoff_doubles_with_jitter_between_half_and_all_of_each_step_and_is_capped():
    low, high = policy(random=lambda: 0.0), policy(random=lambda: 0.999999)

    assert [low.backoff(retry) for retry in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert [round(high.backoff(retry), 3) for retry in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]


def test_a_429_waits_until_the_rate_limit_resets():
    wait = policy(random=lambda: 0.0).rate_limit_wait({"X-RateLimit-Reset": "1007"}, 1, now=1000.5)

    assert wait == 6.5


def test_a_429_without_a_future_reset_uses_retry_after_or_else_the_backoff():
    fixed = policy(random=lambda: 0.0)

    assert fixed.rate_limit_wait({"X-RateLimit-Reset": "990", "Retry-After": "3"}, 1, now=1000) == 3
    assert fixed.rate_limit_wait({"Retry-After": "soon"}, 2, now=1000) == 1.0
    assert fixed.rate_limit_wait(None, 3, now=1000) == 2.0


def test_a_429_never_waits_longer_than_the_cap():
    assert policy().rate_limit_wait({"X-RateLimit-Reset": "5000"}, 1, now=1000) == 10.0


def test_settings_make_the_policy():
    made = RetryPolicy.from_config(
        {"SENDGRID_MAX_RETRIES": 2, "SENDGRID_BACKOFF_SECONDS": 0.25, "SENDGRID_MAX_BACKOFF_SECONDS": 5}
    )

    assert (made.max_retries, made.base_seconds, made.cap_seconds) == (2, 0.25, 5.0)
