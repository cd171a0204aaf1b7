"""What every social channel offers."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

# X takes up to four images on a post.
MAX_IMAGES_PER_POST = 4


@dataclass(frozen=True)
class PublishedPost:
    id: str
    text: str


@dataclass(frozen=True)
class PostImage:
    """An image to attach to a post: the stored file's bytes, and the alt text X shows to people who cannot see it."""

    data: bytes
    filename: str
    mime_type: str
    alt_text: str


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
    @abstractmethod
    def post(self, text: str, *, in_reply_to: str | None = None, images: Sequence[PostImage] = ()) -> str:
        """Publish one post (a reply when in_reply_to is given), with up to four images and their alt text.
        Returns its id. Raises SocialPostError."""

    @abstractmethod
    def recent_posts(self, limit: int = 100) -> list[PublishedPost]:
        """The account's most recent posts, newest first (used to reconcile a post whose outcome is unknown)."""
