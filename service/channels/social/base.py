"""What every social channel offers."""

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# X takes up to four images on a post.
MAX_IMAGES_PER_POST = 4
# X's post lookup (GET /2/tweets) takes at most 100 ids a request.
MAX_POSTS_PER_LOOKUP = 100


@dataclass(frozen=True)
class PublishedPost:
    id: str
    text: str


@dataclass(frozen=True)
class PublicMetrics:
    """A post's public totals as X counts them now. `impressions` is None when X does not give it (older posts)."""

    likes: int
    reposts: int
    replies: int
    quotes: int
    impressions: int | None = None


@dataclass(frozen=True)
class PostImage:
    """An image to attach to a post: the stored file's bytes, and the alt text X shows to people who cannot see it.
    `media_id`: the provider's id for it once uploaded ahead of the post (`SocialChannel.upload_images`)."""

    data: bytes
    filename: str
    mime_type: str
    alt_text: str
    media_id: str | None = None


class SocialPostError(Exception):
    """A post was refused or could not be made.

    `permanent`: do not retry (duplicate content, bad request). `retry_at`: epoch seconds to try again (rate limit).
    `credentials`: the account's keys were refused (shown as a credentials problem).
    `unknown_outcome`: the request went out but no answer came back (a timeout): the post may or may not exist, so
    it must be looked for among the account's posts, never simply posted again.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_at: float | None = None,
        credentials: bool = False,
        unknown_outcome: bool = False,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.retry_at = retry_at
        self.credentials = credentials
        self.unknown_outcome = unknown_outcome


class SocialChannel(ABC):
    # Whether `public_metrics` asks a provider that counts (X): the outbox counts nothing, which says nothing of
    # whether its posts still exist.
    keeps_public_metrics: bool = False

    @abstractmethod
    def post(self, text: str, *, in_reply_to: str | None = None, images: Sequence[PostImage] = ()) -> str:
        """Publish one post (a reply when in_reply_to is given), with up to four images and their alt text.
        Returns its id. Raises SocialPostError."""

    def upload_images(self, images: Sequence[PostImage]) -> list[PostImage]:
        """Make a post's images ready at the provider before the post is made, so that a worker stopped meanwhile
        leaves no post that may exist: an upload makes none. Returns the images to give `post`. Raises
        SocialPostError. A channel that takes images with the post itself has nothing to do ahead."""
        return list(images)

    @abstractmethod
    def recent_posts(self, limit: int = 100) -> list[PublishedPost]:
        """The account's most recent posts, newest first (used to reconcile a post whose outcome is unknown)."""

    def public_metrics(self, post_ids: Sequence[str]) -> Mapping[str, PublicMetrics]:
        """The public totals of each of `post_ids` (at most MAX_POSTS_PER_LOOKUP) the provider still shows; a post
        it does not know (deleted, or never made there) is left out. Raises SocialPostError.

        A channel that counts nothing (`keeps_public_metrics` false: the outbox) returns no totals."""
        return {}
