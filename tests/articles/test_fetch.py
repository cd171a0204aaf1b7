"""Fetching pages safely: only http(s), only the clinic's hosts, no private addresses unless a test allows them,
redirects checked again, size, time and content type limited."""

import pytest

from service.articles.fetch import (
    FEED_TYPES,
    PAGE_TYPES,
    REFUSED,
    UNREACHABLE,
    WRONG_TYPE,
    FetchError,
    FetchPolicy,
    fetch,
    is_public_address,
)
from tests.ports import unused_port

LOCAL_HOSTS = ("127.0.0.1", "localhost")


def test_policy(**overrides) -> FetchPolicy:
    values = {"allowed_hosts": LOCAL_HOSTS, "allow_private_addresses": True, "timeout_seconds": 2.0}
    return FetchPolicy(**{**values, **overrides})


test_policy.__test__ = False  # a helper, not a test


def refused(url: str, policy: FetchPolicy, accept=PAGE_TYPES) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, policy, accept=accept)
    return caught.value


def test_a_page_of_an_allowed_host_is_fetched(fake_blog):
    fake_blog.publish("first-session")
    page = fetch(fake_blog.post_url("first-session"), test_policy(), accept=PAGE_TYPES)
    assert b"Your first ketamine-assisted therapy session" in page.body
    assert not page.not_modified


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/feed", "file:///etc/passwd", "javascript:alert(1)", "//127.0.0.1/"])
def test_only_http_and_https_are_fetched(url):
    error = refused(url, test_policy())
    assert error.reason == REFUSED
    assert "http://" in error.message


def test_a_host_not_allowed_is_refused_before_any_request(fake_blog):
    error = refused(fake_blog.post_url("first-session"), test_policy(allowed_hosts=("www.daytryphealth.com",)))
    assert error.reason == REFUSED
    assert "www.daytryphealth.com" in error.message and "127.0.0.1" in error.message
    assert fake_blog.calls == []


@pytest.mark.parametrize("host", LOCAL_HOSTS)
def test_loopback_is_refused_unless_the_policy_allows_it(fake_blog, host):
    fake_blog.publish("first-session")
    url = fake_blog.post_url("first-session").replace("127.0.0.1", host)
    error = refused(url, test_policy(allow_private_addresses=False))
    assert error.reason == REFUSED
    assert "private or local network address (127.0.0.1)" in error.message
    assert fake_blog.calls == []  # refused on connecting, before a request was sent


def test_a_redirect_is_followed_and_checked_again(fake_blog):
    fake_blog.publish("first-session")
    fake_blog.redirects["/old-post"] = "/blog/first-session/"
    page = fetch(fake_blog.url + "/old-post", test_policy(), accept=PAGE_TYPES)
    assert page.url == fake_blog.post_url("first-session")
    fake_blog.redirects["/elsewhere"] = "http://metadata.example.internal/latest/"
    error = refused(fake_blog.url + "/elsewhere", test_policy())
    assert error.reason == REFUSED and "metadata.example.internal" in error.message


def test_more_than_five_redirects_are_refused(fake_blog):
    for hop in range(7):
        fake_blog.redirects[f"/hop{hop}"] = f"/hop{hop + 1}"
    error = refused(fake_blog.url + "/hop0", test_policy())
    assert error.reason == UNREACHABLE and "more than 5 times" in error.message
    assert len(fake_blog.calls) == 6


def test_a_page_over_the_size_limit_is_refused(fake_blog):
    fake_blog.publish("first-session")
    error = refused(fake_blog.post_url("first-session"), test_policy(max_bytes=2000))
    assert "larger than" in error.message


def test_the_content_type_must_be_the_one_asked_for(fake_blog):
    error = refused(fake_blog.url + "/media/lounge-chair.jpg", test_policy())
    assert error.reason == WRONG_TYPE and "image/jpeg" in error.message
    fake_blog.publish("first-session")
    error = refused(fake_blog.post_url("first-session"), test_policy(), accept=FEED_TYPES)
    assert error.reason == WRONG_TYPE and "not a feed" in error.message


def test_a_slow_server_times_out(fake_blog):
    fake_blog.publish("first-session")
    fake_blog.hang_next(5)
    error = refused(fake_blog.post_url("first-session"), test_policy(timeout_seconds=0.3))
    assert error.reason == UNREACHABLE and "did not answer within 0.3 seconds" in error.message


def test_nobody_listening_is_unreachable():
    error = refused(f"http://127.0.0.1:{unused_port()}/blog/feed/", test_policy())
    assert error.reason == UNREACHABLE and "Could not reach 127.0.0.1" in error.message


def test_an_error_status_is_reported_in_words(fake_blog):
    error = refused(fake_blog.url + "/blog/no-such-post/", test_policy())
    assert error.reason == UNREACHABLE and "404 Not Found" in error.message


def test_a_conditional_request_can_be_answered_not_modified(fake_blog):
    fake_blog.publish("first-session")
    first = fetch(fake_blog.rss_url, test_policy(), accept=FEED_TYPES)
    again = fetch(fake_blog.rss_url, test_policy(), accept=FEED_TYPES, etag=first.etag)
    assert again.not_modified and again.body == b""
    by_date = fetch(fake_blog.rss_url, test_policy(), accept=FEED_TYPES, last_modified=first.last_modified)
    assert by_date.not_modified


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::6810:85e5", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_which_addresses_are_public(address, public):
    assert is_public_address(address) is public


def test_one_time_limit_covers_the_redirects_too(fake_blog):
    fake_blog.publish("first-session")
    for hop in range(3):
        fake_blog.redirects[f"/slow{hop}"] = f"/slow{hop + 1}"
    fake_blog.redirects["/slow3"] = "/blog/first-session/"
    fake_blog.hang_next(0.25, times=5)  # each hop well within the limit, all of them not
    error = refused(fake_blog.url + "/slow0", test_policy(timeout_seconds=0.8))
    assert error.reason == UNREACHABLE and "within 0.8 seconds" in error.message
