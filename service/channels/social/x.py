"""Posting on X with the real tweepy.Client (API v2, OAuth 1.0a user context).

What X's answers mean for us:
- 5xx, and connection failures before the request left: retried a few times with exponential backoff and jitter.
  A 5xx may still have created the post, so a duplicate-content refusal on a retry means an earlier try landed: the
  post is looked up among the account's recent posts and its id returned.
- a timeout (or a dropped connection) after the request left: the outcome is unknown. Raised as such
  (`unknown_outcome`), never retried here: the caller looks for the post later instead of posting it twice.
- 429: not retried; raised with `retry_at`, the reset time X gives in `x-rate-limit-reset`.
- 401: the account's credentials were refused. Any other 4xx (403 duplicate content included): permanent, with
  X's own words.

Images are uploaded first (tweepy's v1.1 media upload, then the alt text as X's media metadata), each at most once
per post call; a failed upload is retried like a read, since an upload no post uses simply expires at X.

A post's public metrics are read with GET /2/tweets, up to 100 ids a request; a read, so retried like one.

Each call builds its own client and closes its connections when done, so nothing stays open between sends.
"""

import io
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace

import requests
import tweepy
from urllib3.exceptions import NewConnectionError

from service.channels.social.base import (
    MAX_IMAGES_PER_POST,
    MAX_POSTS_PER_LOOKUP,
    PostImage,
    PublicMetrics,
    PublishedPost,
    SocialChannel,
    SocialPostError,
)
from service.channels.social.x_transport import DEFAULT_TIMEOUT_SECONDS, build_x_client, build_x_media_api
from service.rendering.post import same_post_text

log = logging.getLogger(__name__)

CREDENTIAL_SETTINGS = ("X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
CREDENTIALS_REFUSED = (
    "X rejected the account's credentials (401): check the X_* settings (" + ", ".join(CREDENTIAL_SETTINGS) + ")."
)
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
# X's rate-limit windows are 15 minutes: the wait when a 429 comes without its reset header.
DEFAULT_RATE_LIMIT_WAIT_SECONDS = 15 * 60
MAX_TIMELINE_PAGE = 100


class XSocialChannel(SocialChannel):
    keeps_public_metrics = True

    def __init__(
        self,
        *,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        api_base: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = {
            "consumer_key": consumer_key,
            "consumer_secret": consumer_secret,
            "access_token": access_token,
            "access_token_secret": access_token_secret,
        }
        self.api_base = api_base
        self.timeout = timeout
        self.max_attempts = 1 + max(0, max_retries)
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._now = now
        self._user_id: str | None = None

    @classmethod
    def from_config(cls, config: Mapping) -> "XSocialChannel":
        return cls(
            consumer_key=config["X_CONSUMER_KEY"],
            consumer_secret=config["X_CONSUMER_SECRET"],
            access_token=config["X_ACCESS_TOKEN"],
            access_token_secret=config["X_ACCESS_TOKEN_SECRET"],
            api_base=config.get("X_API_BASE") or None,
            timeout=float(config.get("X_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)),
            max_retries=int(config.get("X_MAX_RETRIES", DEFAULT_MAX_RETRIES)),
            backoff_seconds=float(config.get("X_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS)),
        )

    @contextmanager
    def _client(self) -> Iterator[tweepy.Client]:
        client = build_x_client(**self._credentials, api_base=self.api_base, timeout=self.timeout)
        try:
            yield client
        finally:
            client.session.close()

    # -- posting ----------------------------------------------------------------------------------------------

    def post(self, text: str, *, in_reply_to: str | None = None, images: Sequence[PostImage] = ()) -> str:
        media_ids = [image.media_id for image in self.upload_images(images)] or None
        with self._client() as client:
            failure = ""
            for attempt in range(1, self.max_attempts + 1):
                if attempt > 1:
                    self._sleep(self._backoff(attempt - 1))
                try:
                    response = client.create_tweet(
                        text=text, in_reply_to_tweet_id=in_reply_to, media_ids=media_ids, user_auth=True
                    )
                    return str(response.data["id"])
                except tweepy.TwitterServerError as error:
                    failure = _x_words(error)
                except requests.RequestException as error:
                    if not _never_sent(error):
                        raise SocialPostError(
                            f"No answer from X ({type(error).__name__}): the post may or may not have been made",
                            permanent=False,
                            unknown_outcome=True,
                        ) from error
                    failure = f"X could not be reached ({type(error).__name__})"
                except tweepy.Forbidden as error:
                    if attempt > 1 and _is_duplicate(error):
                        # An earlier try that X answered with a 5xx did create the post.
                        found = self._find(client, text, has_images=bool(media_ids))
                        if found is not None:
                            return found
                    raise self._refusal(error) from error
                except tweepy.HTTPException as error:
                    raise self._refusal(error) from error
                log.warning("posting on X failed (attempt %s of %s): %s", attempt, self.max_attempts, failure)
        raise SocialPostError(f"{failure}; gave up after {self.max_attempts} tries", permanent=False)

    def _backoff(self, retry: int) -> float:
        """Exponential backoff with full jitter on top, so workers that failed together do not retry together."""
        base = min(self.backoff_seconds * 2 ** (retry - 1), MAX_BACKOFF_SECONDS)
        return base + random.uniform(0, self.backoff_seconds)

    # -- images ---------------------------------------------------------------------------------------------------

    def upload_images(self, images: Sequence[PostImage]) -> list[PostImage]:
        """Upload each image not yet uploaded and set its alt text; returns them with X's media ids, in order."""
        if len(images) > MAX_IMAGES_PER_POST:
            raise SocialPostError(f"X takes at most {MAX_IMAGES_PER_POST} images on a post", permanent=True)
        if all(image.media_id for image in images):
            return list(images)
        api = build_x_media_api(**self._credentials, api_base=self.api_base, timeout=self.timeout)
        try:
            ready = []
            for image in images:
                if image.media_id:
                    ready.append(image)
                    continue
                category = "tweet_gif" if image.mime_type == "image/gif" else "tweet_image"
                uploaded = self._read(
                    lambda image=image, category=category: api.simple_upload(
                        image.filename, file=io.BytesIO(image.data), media_category=category
                    ),
                    "uploading an image to X",
                    "an image",
                )
                media_id = str(uploaded.media_id_string)
                self._read(
                    lambda media_id=media_id, image=image: api.create_media_metadata(media_id, image.alt_text),
                    "setting an image's alt text on X",
                    "an image's alt text",
                )
                ready.append(replace(image, media_id=media_id))
            return ready
        finally:
            api.session.close()

    # -- reading the account's posts ------------------------------------------------------------------------------

    def recent_posts(self, limit: int = 100) -> list[PublishedPost]:
        with self._client() as client:
            return self._recent(client, limit)

    def _find(self, client: tweepy.Client, text: str, *, has_images: bool = False) -> str | None:
        recent = self._recent(client)
        return next((post.id for post in recent if same_post_text(text, post.text, has_images=has_images)), None)

    def _recent(self, client: tweepy.Client, limit: int = MAX_TIMELINE_PAGE) -> list[PublishedPost]:
        if self._user_id is None:
            me = self._read(lambda: client.get_me(user_auth=True))
            self._user_id = str(me.data.id)
        page = max(5, min(limit, MAX_TIMELINE_PAGE))  # X accepts 5 to 100
        response = self._read(lambda: client.get_users_tweets(self._user_id, max_results=page, user_auth=True))
        return [PublishedPost(str(tweet.id), tweet.text) for tweet in (response.data or [])][:limit]

    # -- public metrics -------------------------------------------------------------------------------------------

    def public_metrics(self, post_ids: Sequence[str]) -> dict[str, PublicMetrics]:
        """GET /2/tweets?ids=…&tweet.fields=public_metrics. X answers 200 for ids it cannot show (deleted, or not
        visible to us), naming them in the body's `errors`: they are simply left out."""
        if len(post_ids) > MAX_POSTS_PER_LOOKUP:
            raise ValueError(f"X looks up at most {MAX_POSTS_PER_LOOKUP} posts a request")
        if not post_ids:
            return {}
        with self._client() as client:
            response = self._read(
                lambda: client.get_tweets(list(post_ids), tweet_fields=["public_metrics"], user_auth=True),
                "reading posts' metrics on X",
                "the metrics lookup",
            )
        return {str(tweet.id): _metrics_of(tweet.public_metrics or {}) for tweet in (response.data or [])}

    def _read(self, call: Callable[[], object], what: str = "reading posts on X", refused: str = "the post") -> object:
        """A read (or an upload) is safe to repeat: retried on 5xx and on any network failure."""
        failure = ""
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self._sleep(self._backoff(attempt - 1))
            try:
                return call()
            except tweepy.TwitterServerError as error:
                failure = _x_words(error)
            except requests.RequestException as error:
                failure = f"X could not be reached ({type(error).__name__})"
            except tweepy.HTTPException as error:
                raise self._refusal(error, refused) from error
            except tweepy.TweepyException as error:
                # tweepy.API (media upload) wraps a network failure in its own exception.
                failure = f"X could not be reached ({type(error.__context__).__name__})"
            log.warning("%s failed (attempt %s of %s): %s", what, attempt, self.max_attempts, failure)
        raise SocialPostError(f"{failure}; gave up after {self.max_attempts} tries", permanent=False)

    # -- X's refusals -----------------------------------------------------------------------------------------

    def _refusal(self, error: tweepy.HTTPException, refused: str = "the post") -> SocialPostError:
        if isinstance(error, tweepy.TooManyRequests):
            retry_at = float(error.reset_time) if error.reset_time else self._now() + DEFAULT_RATE_LIMIT_WAIT_SECONDS
            return SocialPostError(f"Rate-limited by X: {_x_words(error)}", permanent=False, retry_at=retry_at)
        if isinstance(error, tweepy.Unauthorized):
            return SocialPostError(f"{CREDENTIALS_REFUSED} {_x_words(error)}", permanent=True, credentials=True)
        return SocialPostError(f"X refused {refused}: {_x_words(error)}", permanent=True)


def _metrics_of(counts: Mapping) -> PublicMetrics:
    impressions = counts.get("impression_count")
    return PublicMetrics(
        likes=int(counts.get("like_count", 0)),
        reposts=int(counts.get("retweet_count", 0)),
        replies=int(counts.get("reply_count", 0)),
        quotes=int(counts.get("quote_count", 0)),
        impressions=None if impressions is None else int(impressions),
    )


def _x_words(error: tweepy.HTTPException) -> str:
    """X's own words: the status and the messages of its error body, e.g. "403 Forbidden: You are not allowed…"."""
    status = f"{error.response.status_code} {error.response.reason}".strip()
    messages = "; ".join(message for message in error.api_messages if message)
    return f"{status}: {messages}" if messages else status


def _is_duplicate(error: tweepy.HTTPException) -> bool:
    return any("duplicate" in message.lower() for message in error.api_messages if isinstance(message, str))


def _never_sent(error: requests.RequestException) -> bool:
    """True when the request surely never reached X (no connection was made), so sending it again is safe."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)
