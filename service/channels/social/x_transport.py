"""How the real tweepy clients reach X: always with a timeout, and in tests at another address.

Posts go through tweepy.Client (API v2). Images go through tweepy.API (v1.1): tweepy 4.17 has no v2 media upload,
so it uploads with POST upload.twitter.com/1.1/media/upload.json and sets alt text with
POST upload.twitter.com/1.1/media/metadata/create.json; the ids it gets back are attached to the v2 post.

tweepy (4.17) builds every URL from a host it hard-codes (`https://api.twitter.com`) and has no timeout setting.
Both are fixed with a `requests` transport adapter mounted on the client's own session for the API host, so the
client itself is the real one: it signs each request (OAuth 1.0a) for the public URL, then the adapter swaps the
scheme, host and port for the base URL given (a fake X server in tests) and sends it there.
"""

from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy
from requests.adapters import BaseAdapter, HTTPAdapter

# tweepy 4.17 calls api.twitter.com, and upload.twitter.com for media; the x.com names are covered too in case a
# tweepy upgrade switches to them.
TWEEPY_API_HOSTS = (
    "https://api.twitter.com",
    "https://api.x.com",
    "https://upload.twitter.com",
    "https://upload.x.com",
)
DEFAULT_TIMEOUT_SECONDS = 20.0


class XApiAdapter(HTTPAdapter):
    """Sends with a default timeout and, when `base_url` is given, to that address instead of X's.

    Path and query are kept; a path in base_url is put in front of them.
    """

    def __init__(self, *, base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        super().__init__()
        self.timeout = timeout
        self.base = urlsplit(base_url) if base_url else None
        if self.base and not (self.base.scheme in ("http", "https") and self.base.netloc):
            raise ValueError(f"base_url must look like http://host:port, got {base_url!r}")

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if timeout is None:
            timeout = self.timeout  # tweepy never passes one: without this a stalled X would stall the worker
        if self.base is not None:
            request = self._redirected(request)
            # Proxies from the environment were chosen for X's host; the base URL is reached directly.
            proxies = {}
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)

    def _redirected(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        original = urlsplit(request.url)
        redirected = request.copy()
        path = self.base.path.rstrip("/") + original.path
        redirected.url = urlunsplit((self.base.scheme, self.base.netloc, path, original.query, ""))
        return redirected


class _RefusingAdapter(BaseAdapter):
    """Fails any request to a host that was not routed, so a redirected client never reaches the internet."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def send(self, request, *args, **kwargs):
        raise requests.ConnectionError(f"{request.url} is not routed to {self.base_url}", request=request)

    def close(self) -> None:
        pass  # holds no connections


def route_client_to(
    client: tweepy.Client | tweepy.API, base_url: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> None:
    """Send every request of `client` to `base_url` (e.g. "http://127.0.0.1:5001") instead of X.

    Any other host the client might call is refused rather than reached.
    """
    _mount_api_adapter(client, XApiAdapter(base_url=base_url, timeout=timeout))
    for scheme in ("http://", "https://"):
        client.session.mount(scheme, _RefusingAdapter(base_url))


def build_x_client(
    *,
    consumer_key: str,
    consumer_secret: str,
    access_token: str,
    access_token_secret: str,
    api_base: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> tweepy.Client:
    """A tweepy.Client for one account (OAuth 1.0a user context: call its methods with user_auth=True).

    It never sleeps on a rate limit: a 429 raises tweepy.TooManyRequests, so the worker can reschedule instead
    of blocking. `api_base` sends it to another server (tests). Close it with `client.session.close()`.
    """
    client = tweepy.Client(
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        access_token=access_token,
        access_token_secret=access_token_secret,
        wait_on_rate_limit=False,
    )
    if api_base:
        route_client_to(client, api_base, timeout=timeout)
    else:
        _mount_api_adapter(client, XApiAdapter(timeout=timeout))
    return client


def build_x_media_api(
    *,
    consumer_key: str,
    consumer_secret: str,
    access_token: str,
    access_token_secret: str,
    api_base: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> tweepy.API:
    """A tweepy.API (v1.1) for one account, for media upload and alt text only; routed like `build_x_client`."""
    auth = tweepy.OAuth1UserHandler(consumer_key, consumer_secret, access_token, access_token_secret)
    api = tweepy.API(auth, timeout=timeout, wait_on_rate_limit=False)
    if api_base:
        route_client_to(api, api_base, timeout=timeout)
    else:
        _mount_api_adapter(api, XApiAdapter(timeout=timeout))
    return api


def _mount_api_adapter(client: tweepy.Client | tweepy.API, adapter: XApiAdapter) -> None:
    for host in TWEEPY_API_HOSTS:
        client.session.mount(host + "/", adapter)
