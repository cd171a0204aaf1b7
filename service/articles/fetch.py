"""Fetching a page or a feed from the clinic's site, safely: the only way Tidings reads a URL someone typed.

What a fetch refuses, each with a message for a person (FetchError):
- anything but http(s), and any host not in the allowed list (BLOG_ALLOWED_HOSTS), checked again at every redirect
  (at most MAX_REDIRECTS);
- unless the policy allows it (tests serving from 127.0.0.1), a connection to a loopback, private, link-local or
  otherwise non-public address: the address is checked on the connected socket itself, so a name that resolves to
  a public address for a check and to an internal one for the connection (DNS rebinding) is refused all the same;
- a body over the size limit (5 MB by default), a server slower than the timeout, a content type not asked for.

Written on requests rather than taken from a library: the SSRF-guarding wrappers of requests are unmaintained
(advocate's last release is from 2020) and the maintained ones build on httpx, a second HTTP client for one job.
"""

import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_REDIRECTS = 5
PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml")
USER_AGENT = "Tidings/1 (the clinic's newsletter tool, reading its own blog)"
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK_BYTES = 64 * 1024

# Why a fetch failed, for callers that sort failures: the feed page words them differently.
REFUSED, UNREACHABLE, WRONG_TYPE = "refused", "unreachable", "wrong_type"


class FetchError(Exception):
    """The URL could not be fetched. `reason` is REFUSED, UNREACHABLE or WRONG_TYPE; the message is for a person."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class FetchPolicy:
    allowed_hosts: tuple[str, ...]
    allow_private_addresses: bool = False
    timeout_seconds: float = 10.0
    max_bytes: int = 5 * 1024 * 1024

    @classmethod
    def from_config(cls, config: Mapping) -> "FetchPolicy":
        return cls(
            allowed_hosts=tuple(config["BLOG_ALLOWED_HOSTS"]),
            allow_private_addresses=bool(config["BLOG_ALLOW_PRIVATE_ADDRESSES"]),
            timeout_seconds=float(config["BLOG_FETCH_TIMEOUT_SECONDS"]),
            max_bytes=int(config["BLOG_MAX_BYTES"]),
        )


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    not_modified: bool  # the server answered 304 to a conditional request: `body` is empty
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None


def check_url(url: str, policy: FetchPolicy) -> str:
    """The URL, trimmed, if a fetch may go there (scheme and host); raises FetchError(REFUSED) otherwise."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(REFUSED, "Only http:// and https:// addresses can be fetched.")
    host = parts.hostname.lower().rstrip(".")
    if host not in policy.allowed_hosts:
        allowed = ", ".join(policy.allowed_hosts) or "none"
        raise FetchError(REFUSED, f"Tidings reads pages only from the clinic's site ({allowed}); not from {host}.")
    return url


def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    accept: tuple[str, ...],
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET `url` under `policy`, conditionally when `etag` or `last_modified` is given. Raises FetchError."""
    headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(accept) + ", */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    # One time limit for the whole fetch, redirects and body included: a person may be waiting for the page.
    deadline = time.monotonic() + policy.timeout_seconds
    with _session(policy) as session:
        response = _follow(session, check_url(url, policy), headers, policy, deadline)
        with response:
            if response.status_code == 304:
                return _fetched(response, b"", not_modified=True)
            if response.status_code != 200:
                raise FetchError(UNREACHABLE, f"{response.url} answered {_status_words(response.status_code)}.")
            _check_content_type(response, accept)
            return _fetched(response, _read_limited(response, policy, deadline), not_modified=False)


def _session(policy: FetchPolicy) -> requests.Session:
    session = requests.Session()
    # No proxy or .netrc from the environment: the address checked must be the address the page comes from.
    session.trust_env = False
    if not policy.allow_private_addresses:
        adapter = _PublicAddressesOnly()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


def _follow(
    session: requests.Session, url: str, headers: dict, policy: FetchPolicy, deadline: float
) -> requests.Response:
    for _ in range(MAX_REDIRECTS + 1):
        response = _get(session, url, headers, policy, deadline)
        if response.status_code not in _REDIRECTS or not response.headers.get("Location"):
            return response
        response.close()
        url = check_url(urljoin(url, response.headers["Location"]), policy)
    raise FetchError(UNREACHABLE, f"The address redirects more than {MAX_REDIRECTS} times.")


def _get(session: requests.Session, url: str, headers: dict, policy: FetchPolicy, deadline: float) -> requests.Response:
    host = urlsplit(url).hostname
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(UNREACHABLE, f"{host} did not answer within {policy.timeout_seconds:g} seconds.")
    try:
        return session.get(url, headers=headers, timeout=remaining, allow_redirects=False, stream=True)
    except _NonPublicAddress as error:
        raise FetchError(
            REFUSED,
            f"{host} is at a private or local network address ({error.address}); Tidings does not fetch from those.",
        ) from None
    except requests.Timeout:
        raise FetchError(UNREACHABLE, f"{host} did not answer within {policy.timeout_seconds:g} seconds.") from None
    except requests.RequestException as error:
        raise FetchError(UNREACHABLE, f"Could not reach {host} ({_short_reason(error)}).") from None


def _check_content_type(response: requests.Response, accept: tuple[str, ...]) -> None:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in accept:
        wanted = "a web page (HTML)" if accept == PAGE_TYPES else "a feed (RSS or Atom XML)"
        raise FetchError(WRONG_TYPE, f"{response.url} is not {wanted}: it is {content_type or 'of no stated type'}.")


def _read_limited(response: requests.Response, policy: FetchPolicy, deadline: float) -> bytes:
    too_large = FetchError(UNREACHABLE, f"The page is larger than {policy.max_bytes / 1024 / 1024:g} MB.")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise too_large
    # The timeout bounds each read; the deadline the whole body, so a server dripping bytes cannot hold a worker.
    body = bytearray()
    try:
        for chunk in response.iter_content(_CHUNK_BYTES):
            body.extend(chunk)
            if len(body) > policy.max_bytes:
                raise too_large
            if time.monotonic() > deadline:
                raise FetchError(UNREACHABLE, f"The page took longer than {policy.timeout_seconds:g} s to arrive.")
    except requests.RequestException as error:
        raise FetchError(UNREACHABLE, f"The page could not be read to the end ({_short_reason(error)}).") from None
    return bytes(body)


def _fetched(response: requests.Response, body: bytes, *, not_modified: bool) -> Fetched:
    return Fetched(
        url=response.url,
        not_modified=not_modified,
        body=body,
        content_type=response.headers.get("Content-Type", ""),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def _status_words(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _short_reason(error: Exception) -> str:
    text = str(error)
    for words in ("Connection refused", "Name or service not known", "No address associated", "certificate"):
        if words.lower() in text.lower():
            return words.lower()
    return type(error).__name__


# ---------------------------------------------------------------------------------------------------------
# The address check on the connected socket.


class _NonPublicAddress(Exception):
    # Not an OSError: urllib3 would take it for a network failure, retry and wrap it.
    def __init__(self, address: str):
        super().__init__(address)
        self.address = address


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PublicPeerOnly:
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        address = sock.getpeername()[0]
        if not is_public_address(address):
            sock.close()
            raise _NonPublicAddress(address)
        return sock


class _PublicHTTPConnection(_PublicPeerOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicPeerOnly, HTTPSConnection):
    pass


class _PublicHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicAddressesOnly(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPConnectionPool,
            "https": _PublicHTTPSConnectionPool,
        }
