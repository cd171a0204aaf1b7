"""A fake X API v2 for tests: the real tweepy.Client talks to it over HTTP on 127.0.0.1.

One account, its posts, and the checks X makes that matter to us: OAuth 1.0a user context (the header's shape
and, when the secrets are known, its HMAC-SHA1 signature), duplicate content, replies to unknown posts, the
280-weighted-character limit, and rate limits. Malformed requests (401, 400) are kept in `violations`.

Media, as tweepy 4.17 uploads it (tweepy.API, v1.1 on upload.twitter.com; tweepy has no v2 media upload):
`POST /1.1/media/upload.json` (multipart, the file in `media`, optional `media_category`) and
`POST /1.1/media/metadata/create.json` (JSON `{"media_id", "alt_text": {"text"}}`); a v2 post attaches the ids
in `media.media_ids`. Uploads are decoded (JPEG, PNG, WebP or GIF; images at most 5 MB, GIFs 15 MB, as X documents).

Post lookup, as X documents it: `GET /2/tweets?ids=1,2&tweet.fields=public_metrics` takes 1 to 100 numeric ids and
answers 200 with the posts it has in `data` (each with `public_metrics` when asked for) and, for each id it has not
(deleted, or never made), an entry in `errors` ("Not Found Error", resource-not-found); with none found there is no
`data` at all. Tests set a post's totals with `set_metrics` and take a post away with `delete_post`.
"""

import email.parser
import email.policy
import hmac
import io
import itertools
import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus

from oauthlib import oauth1
from oauthlib.oauth1.rfc5849 import signature, utils
from PIL import Image
from twitter_text import parse_tweet

from tests.fakes.http_fake import FakeHTTPServer, Reply, Request

# tweepy signs for the public host, and the transport only rewrites the address afterwards, so a signature
# is checked against the URL tweepy meant to call.
SIGNED_HOSTS = ("https://api.twitter.com", "https://api.x.com", "https://upload.twitter.com", "https://upload.x.com")
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
MAX_LOOKUP_IDS = 100
POST_ID_PATTERN = "^[0-9]{1,19}$"  # X's words when an id is not one

DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
DELETED_PARENT_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you."
# X's exact wording for an over-long post was not confirmed; the status and shape match its other refusals.
TOO_LONG_DETAIL = "Your Tweet text is too long."
# X's documented simple-upload limits, and its alt text limit.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_GIF_BYTES = 15 * 1024 * 1024
MAX_ALT_TEXT = 1000
MAX_MEDIA_PER_POST = 4
_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


_NO_METRICS = {
    "retweet_count": 0,
    "reply_count": 0,
    "like_count": 0,
    "quote_count": 0,
    "bookmark_count": 0,
    "impression_count": 0,
}


@dataclass
class Post:
    id: str
    text: str
    in_reply_to: str | None
    created_at: datetime
    via_api: bool  # False for posts seeded with add_existing_post
    media_ids: list[str] = field(default_factory=list)
    # X's public_metrics of the post; impression_count is left out when None (X gives none for older posts).
    metrics: dict[str, int | None] = field(default_factory=lambda: dict(_NO_METRICS))

    def as_dict(self) -> dict:
        post = {"id": self.id, "text": self.text, "in_reply_to": self.in_reply_to}
        return {**post, "media_ids": self.media_ids} if self.media_ids else post


@dataclass
class UploadedMedia:
    """What the fake got in one media upload, and the alt text set on it afterwards."""

    id: str
    image_type: str
    size: int
    width: int
    height: int
    media_category: str | None
    data: bytes
    alt_text: str | None = None


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
    """POST /2/tweets, GET /2/tweets (lookup), GET /2/users/me, GET /2/users/:id/tweets for one account.

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
        self._media_ids = itertools.count(_FIRST_POST_ID + 7, 1_000)
        self._media: dict[str, UploadedMedia] = {}
        # The ids of each post lookup (GET /2/tweets) the fake answered, in order.
        self.lookups: list[list[str]] = []
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

    @property
    def media(self) -> list[UploadedMedia]:
        """Every upload the fake accepted, in order, with the alt text set on it (None if none was)."""
        with self._lock:
            return list(self._media.values())

    def add_existing_post(self, text: str, *, in_reply_to: str | None = None) -> str:
        """Put a post on the account as if made earlier (e.g. before a crash). Returns its id."""
        with self._post_lock:
            return self._append_post(text, in_reply_to, via_api=False).id

    def set_metrics(self, post_id: str, **counts: int | None) -> None:
        """Set some of a post's public_metrics, by X's names: like_count=3, impression_count=None (X gives none)."""
        unknown = set(counts) - set(_NO_METRICS)
        if unknown:
            raise ValueError(f"X has no public metric {', '.join(sorted(unknown))}")
        with self._lock:
            self._post(post_id).metrics.update(counts)

    def delete_post(self, post_id: str) -> None:
        """Delete a post, as its author would on X: lookups no longer find it."""
        with self._lock:
            self._timeline.remove(self._post(post_id))

    def _post(self, post_id: str) -> Post:
        """Call with _lock held."""
        return next(post for post in self._timeline if post.id == str(post_id))

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
        if request.method == "POST" and request.path == "/1.1/media/upload.json":
            return self._upload_media(request)
        if request.method == "POST" and request.path == "/1.1/media/metadata/create.json":
            return self._create_media_metadata(request)
        if request.method == "GET" and request.path == "/2/tweets":
            return self._look_up_posts(request)
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
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if not isinstance(media_ids, list) or len(media_ids) > MAX_MEDIA_PER_POST:
            return self._invalid(request, f"$.media.media_ids: at most {MAX_MEDIA_PER_POST} ids")
        with self._lock:
            unknown = [media_id for media_id in media_ids if str(media_id) not in self._media]
        if unknown:
            return self._invalid(request, f"Your media IDs are invalid: {', '.join(map(str, unknown))}")
        with self._post_lock:
            refusal = self._refuse_post(text, parent)
            if refusal:
                return Reply(403, _problem(403, refusal))
            post = self._append_post(text, parent, via_api=True, media_ids=[str(m) for m in media_ids])
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

    def _append_post(self, text: str, parent: str | None, *, via_api: bool, media_ids: list[str] = ()) -> Post:
        post = Post(
            id=str(next(self._ids)),
            text=text,
            in_reply_to=None if parent is None else str(parent),
            created_at=datetime.now(UTC),
            via_api=via_api,
            media_ids=list(media_ids),
        )
        with self._lock:
            self._timeline.append(post)
        return post

    # -- media (v1.1, as tweepy.API calls it) ---------------------------------------------------------------------

    def _media_error(self, request: Request, code: int, message: str) -> Reply:
        """X's v1.1 error shape, kept in `violations` like any malformed request."""
        with self._lock:
            self.violations.append(XViolation(request.number, 400, message))
        return Reply(400, {"errors": [{"code": code, "message": message}]})

    def _upload_media(self, request: Request) -> Reply:
        fields = _multipart_fields(request)
        if fields is None or "media" not in fields:
            return self._media_error(request, 38, "media parameter is missing.")
        data = fields["media"]
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image_type = _IMAGE_TYPES.get(image.format)
                width, height = image.size
        except Exception:  # whatever Pillow's reason, X's answer is the same
            image_type = None
        if image_type is None:
            return self._media_error(request, 324, "Unsupported media type or media is corrupt.")
        limit = MAX_GIF_BYTES if image_type == "image/gif" else MAX_IMAGE_BYTES
        if len(data) > limit:
            return self._media_error(request, 324, f"File size exceeds {limit} bytes.")
        category = fields.get("media_category", b"").decode() or None
        media = UploadedMedia(str(next(self._media_ids)), image_type, len(data), width, height, category, data)
        with self._lock:
            self._media[media.id] = media
        body = {
            "media_id": int(media.id),
            "media_id_string": media.id,
            "size": media.size,
            "expires_after_secs": 86400,
            "image": {"image_type": image_type, "w": width, "h": height},
        }
        return Reply(200, body)

    def _create_media_metadata(self, request: Request) -> Reply:
        try:
            body = json.loads(request.body)
            media_id = str(body["media_id"])
            alt_text = body["alt_text"]["text"]
        except (ValueError, KeyError, TypeError):
            return self._media_error(request, 38, "media_id and alt_text.text are required.")
        if not isinstance(alt_text, str) or len(alt_text) > MAX_ALT_TEXT:
            return self._media_error(request, 44, f"alt_text.text must be text of at most {MAX_ALT_TEXT} characters.")
        with self._lock:
            media = self._media.get(media_id)
            if media is not None:
                media.alt_text = alt_text
        if media is None:
            return self._media_error(request, 324, "Invalid media id.")
        return Reply(200)

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

    def _look_up_posts(self, request: Request) -> Reply:
        ids = [value for value in request.query.get("ids", "").split(",") if value]
        if not 1 <= len(ids) <= MAX_LOOKUP_IDS:
            return self._invalid(
                request, f"The number of values in the `ids` query parameter list [{len(ids)}] is not between 1 and 100"
            )
        malformed = [value for value in ids if not re.fullmatch(POST_ID_PATTERN, value)]
        if malformed:
            return self._invalid(
                request, f"The `ids` query parameter value [{malformed[0]}] does not match {POST_ID_PATTERN}"
            )
        with self._lock:
            by_id = {post.id: post for post in self._timeline}
            self.lookups.append(ids)
        fields = set(filter(None, request.query.get("tweet.fields", "").split(",")))
        found = [_post_json(by_id[value], fields) for value in ids if value in by_id]
        body: dict = {"data": found} if found else {}
        missing = [value for value in ids if value not in by_id]
        if missing:
            body["errors"] = [_not_found(value) for value in missing]
        return Reply(200, body)

    @staticmethod
    def _page_start(posts: list[Post], token: str | None) -> int | None:
        if not token:
            return 0
        # Our tokens name the first post of the next page; X's are opaque, so callers only pass them back.
        return next((index for index, post in enumerate(posts) if f"next_{post.id}" == token), None)


def _multipart_fields(request: Request) -> dict[str, bytes] | None:
    """The fields of a multipart/form-data body by name (files as their bytes), or None if it is not one."""
    content_type = request.header("content-type") or ""
    if not content_type.startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    if not message.is_multipart():
        return None
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.iter_parts()
    }


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
    if "public_metrics" in fields:
        data["public_metrics"] = {name: count for name, count in post.metrics.items() if count is not None}
    return data


def _not_found(post_id: str) -> dict:
    """X's partial error, inside a 200 answer, for a post id it cannot show."""
    return {
        "value": post_id,
        "detail": f"Could not find tweet with ids: [{post_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "ids",
        "resource_id": post_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def _problem(status: int, detail: str) -> dict:
    """X's v2 error shape for refusals that are not parameter errors."""
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found Error", 429: "Too Many Requests"}
    return {
        "detail": detail,
        "type": "about:blank",
        "title": titles.get(status, HTTPStatus(status).phrase),
        "status": status,
    }
