"""A fake X API v2 for tests: the real tweepy.Client talks to it over HTTP on 127.0.0.1.

One account, its posts, and the checks X makes that matter to us: OAuth 1.0a user context (the header's shape
and, when the secrets are known, its HMAC-SHA1 signature), duplicate content, replies to unknown posts, the
280-weighted-character limit, and rate limits. Malformed requests (401, 400) are kept in `violations`.
"""

import hmac
import itertools
import json
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http import HTTPStatus

from oauthlib import oauth1
from oauthlib.oauth1.rfc5849 import signature, utils
from twitter_text import parse_tweet

from tests.fakes.http_fake import FakeHTTPServer, Reply, Request

# tweepy signs for the public host, and the transport only rewrites the address afterwards, so a signature
# is checked against the URL tweepy meant to call.
SIGNED_HOSTS = ("https://api.twitter.com", "https://api.x.com")
REQUIRED_OAUTH_PARAMS = (
    "oauth_consumer_key",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_token",
    "oauth_version",
)
MAX_WEIGHTED_LENGTH = 280
_FIRST_POST_ID = 1_860_000_000_000_000_000  # snowflake-sized, so ids look and sort like X's

DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
DELETED_PARENT_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you."
# X's exact wording for an over-long post was not confirmed; the status and shape match its other refusals.
TOO_LONG_DETAIL = "Your Tweet text is too long."


@dataclass
class Post:
    id: str
    text: str
    in_reply_to: str | None
    created_at: datetime
    via_api: bool  # False for posts seeded with add_existing_post

    def as_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "in_reply_to": self.in_reply_to}


@dataclass(frozen=True)
class XCredentials:
    consumer_key: str = "fake-consumer-key"
    consumer_secret: str = "fake-consumer-secret"
    access_token: str = "1500000000000000001-fake-access-token"
    access_token_secret: str = "fake-access-token-secret"

    def as_kwargs(self) -> dict[str, str]:
        return dict(vars(self))


@dataclass(frozen=True)
class XViolation:
    request_number: int
    status: int
    message: str


@dataclass(frozen=True)
class Account:
    id: str = "1500000000000000001"
    name: str = "Tidings Clinic"
    username: str = "tidings_clinic"


class FakeX(FakeHTTPServer):
    """POST /2/tweets, GET /2/users/me, GET /2/users/:id/tweets for one account.

    `credentials`: the keys the fake expects; with `verify_signatures` (the default) it checks the consumer key,
    the token and the HMAC-SHA1 signature like X does. Build the client with
    `build_x_client(**fake.credentials.as_kwargs(), api_base=fake.url)`.
    """

    def __init__(
        self,
        *,
        credentials: XCredentials | None = None,
        account: Account | None = None,
        verify_signatures: bool = True,
        max_weighted_length: int | None = MAX_WEIGHTED_LENGTH,
    ) -> None:
        super().__init__()
        self.credentials = credentials or XCredentials()
        self.account = account or Account()
        self.verify_signatures = verify_signatures
        self.max_weighted_length = max_weighted_length
        self.violations: list[XViolation] = []
        self._timeline: list[Post] = []
        self._ids = itertools.count(_FIRST_POST_ID, 1_000)
        self._nonces: set[str] = set()
        self._post_lock = threading.Lock()  # makes the duplicate check and the append one step

    # -- what tests read and set up ----------------------------------------------------------------------------

    @property
    def posts(self) -> list[dict]:
        """Posts created through the API, in order: dicts with id, text, in_reply_to."""
        with self._lock:
            return [post.as_dict() for post in self._timeline if post.via_api]

    @property
    def all_posts(self) -> list[dict]:
        """Seeded and created posts, oldest first."""
        with self._lock:
            return [post.as_dict() for post in self._timeline]

    def add_existing_post(self, text: str, *, in_reply_to: str | None = None) -> str:
        """Put a post on the account as if made earlier (e.g. before a crash). Returns its id."""
        with self._post_lock:
            return self._append_post(text, in_reply_to, via_api=False).id

    def chain_from(self, root_id: str) -> list[str]:
        """The texts of the thread starting at root_id, following replies. Fails if the thread forked."""
        posts = self.all_posts
        by_parent: dict[str | None, list[dict]] = {}
        for post in posts:
            by_parent.setdefault(post["in_reply_to"], []).append(post)
        current = next(post for post in posts if post["id"] == root_id)
        chain = [current["text"]]
        while replies := by_parent.get(current["id"]):
            if len(replies) > 1:
                raise AssertionError(f"post {current['id']} has {len(replies)} replies: the thread forked")
            current = replies[0]
            chain.append(current["text"])
        return chain

    def thread_chains(self) -> list[list[str]]:
        """Every thread (a post that replies to nothing, and its replies), oldest root first."""
        return [self.chain_from(post["id"]) for post in self.all_posts if post["in_reply_to"] is None]

    def rate_limit_next(self, reset_in_seconds: float, times: int = 1, *, limit: int = 200) -> None:
        """Answer the next `times` requests with 429 and X's x-rate-limit-* headers (reset in epoch seconds)."""
        headers = {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(time.time() + reset_in_seconds)),
        }
        self.respond_next(429, headers=headers, times=times)

    # -- the provider -----------------------------------------------------------------------------------------

    def error_body(self, status: int, message: str) -> dict:
        return _problem(status, message)

    def answer(self, request: Request) -> Reply:
        refusal = self._refuse_credentials(request)
        if refusal:
            return self._violation(request, 401, refusal, _problem(401, "Unauthorized"))
        route = request.path.split("/")
        if request.method == "POST" and request.path == "/2/tweets":
            return self._create_post(request)
        if request.method == "GET" and request.path == "/2/users/me":
            return Reply(200, {"data": asdict(self.account)})
        if request.method == "GET" and len(route) == 5 and route[1:3] == ["2", "users"] and route[4] == "tweets":
            return self._user_posts(request, user_id=route[3])
        return Reply(404, _problem(404, f"No route for {request.method} {request.path}"))

    def _violation(self, request: Request, status: int, message: str, body: dict) -> Reply:
        with self._lock:
            self.violations.append(XViolation(request.number, status, message))
        return Reply(status, body)

    def _invalid(self, request: Request, message: str) -> Reply:
        body = {
            "errors": [{"message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        }
        return self._violation(request, 400, message, body)

    # -- OAuth 1.0a ---------------------------------------------------------------------------------------------

    def _refuse_credentials(self, request: Request) -> str | None:
        header = request.header("authorization") or ""
        if not header.startswith("OAuth "):
            return "no OAuth 1.0a Authorization header"
        params = {name: utils.unescape(value) for name, value in utils.parse_authorization_header(header)}
        missing = [name for name in REQUIRED_OAUTH_PARAMS if not params.get(name)]
        if missing:
            return f"OAuth header lacks {', '.join(missing)}"
        if params["oauth_version"] != "1.0" or params["oauth_signature_method"] != "HMAC-SHA1":
            return "OAuth header must use version 1.0 and HMAC-SHA1"
        if self.verify_signatures:
            return self._refuse_signature(request, params)
        return None

    def _refuse_signature(self, request: Request, params: dict[str, str]) -> str | None:
        if params["oauth_consumer_key"] != self.credentials.consumer_key:
            return "unknown consumer key"
        if params["oauth_token"] != self.credentials.access_token:
            return "unknown access token"
        if not any(
            hmac.compare_digest(self._expected_signature(request, host), params["oauth_signature"])
            for host in SIGNED_HOSTS
        ):
            return "OAuth signature does not match"
        with self._lock:
            replayed = params["oauth_nonce"] in self._nonces
            self._nonces.add(params["oauth_nonce"])
        return "OAuth nonce used twice" if replayed else None

    def _expected_signature(self, request: Request, host: str) -> str:
        # tweepy sends JSON bodies, which OAuth 1.0a leaves out of the signature.
        oauth_params = signature.collect_parameters(
            uri_query=request.raw_query, headers={"Authorization": request.header("authorization")}
        )
        base_string = signature.signature_base_string(
            request.method,
            signature.base_string_uri(host + request.path),
            signature.normalize_parameters(oauth_params),
        )
        signer = oauth1.Client(
            self.credentials.consumer_key,
            client_secret=self.credentials.consumer_secret,
            resource_owner_secret=self.credentials.access_token_secret,
        )
        return signature.sign_hmac_sha1_with_client(base_string, signer)

    # -- posts ----------------------------------------------------------------------------------------------

    def _create_post(self, request: Request) -> Reply:
        try:
            body = json.loads(request.body)
        except ValueError:
            return self._invalid(request, "The request body is not valid JSON.")
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return self._invalid(request, "$.text: a non-empty text is required")
        parent = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        with self._post_lock:
            refusal = self._refuse_post(text, parent)
            if refusal:
                return Reply(403, _problem(403, refusal))
            post = self._append_post(text, parent, via_api=True)
        data = {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}
        return Reply(201, {"data": data})

    def _refuse_post(self, text: str, parent: str | None) -> str | None:
        """Why X would refuse this post (403), or None. Call with _post_lock held."""
        with self._lock:
            timeline = list(self._timeline)
        if any(post.text == text for post in timeline):
            return DUPLICATE_DETAIL
        if parent is not None and all(post.id != str(parent) for post in timeline):
            return DELETED_PARENT_DETAIL
        if self.max_weighted_length and parse_tweet(text).weightedLength > self.max_weighted_length:
            return TOO_LONG_DETAIL
        return None

    def _append_post(self, text: str, parent: str | None, *, via_api: bool) -> Post:
        post = Post(
            id=str(next(self._ids)),
            text=text,
            in_reply_to=None if parent is None else str(parent),
            created_at=datetime.now(UTC),
            via_api=via_api,
        )
        with self._lock:
            self._timeline.append(post)
        return post

    def _user_posts(self, request: Request, *, user_id: str) -> Reply:
        try:
            max_results = int(request.query.get("max_results", "10"))
        except ValueError:
            return self._invalid(request, "The `max_results` query parameter value is not a number")
        if not 5 <= max_results <= 100:
            return self._invalid(request, "The `max_results` query parameter value must be between 5 and 100")
        with self._lock:
            # One account lives here; any other user has no posts.
            newest_first = list(reversed(self._timeline)) if user_id == self.account.id else []
        since_id = request.query.get("since_id")
        if since_id:
            newest_first = [post for post in newest_first if int(post.id) > int(since_id)]
        start = self._page_start(newest_first, request.query.get("pagination_token"))
        if start is None:
            return self._invalid(request, "The `pagination_token` query parameter value is not valid")
        page = newest_first[start : start + max_results]
        fields = set(filter(None, request.query.get("tweet.fields", "").split(",")))
        return Reply(200, _page_body(page, fields, more=newest_first[start + max_results :]))

    @staticmethod
    def _page_start(posts: list[Post], token: str | None) -> int | None:
        if not token:
            return 0
        # Our tokens name the first post of the next page; X's are opaque, so callers only pass them back.
        return next((index for index, post in enumerate(posts) if f"next_{post.id}" == token), None)


def _page_body(page: list[Post], fields: set[str], *, more: list[Post]) -> dict:
    meta: dict = {"result_count": len(page)}
    if page:
        meta.update(newest_id=page[0].id, oldest_id=page[-1].id)
    if more:
        meta["next_token"] = f"next_{more[0].id}"
    body: dict = {"meta": meta}
    if page:
        body["data"] = [_post_json(post, fields) for post in page]
    return body


def _post_json(post: Post, fields: set[str]) -> dict:
    data = {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}
    if "created_at" in fields:
        data["created_at"] = post.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if "referenced_tweets" in fields and post.in_reply_to:
        data["referenced_tweets"] = [{"type": "replied_to", "id": post.in_reply_to}]
    return data


def _problem(status: int, detail: str) -> dict:
    """X's v2 error shape for refusals that are not parameter errors."""
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found Error", 429: "Too Many Requests"}
    return {
        "detail": detail,
        "type": "about:blank",
        "title": titles.get(status, HTTPStatus(status).phrase),
        "status": status,
    }
