"""How long a post is on X, counted by the official twitter-text rules."""

from twitter_text import parse_tweet
from twitter_text.config import config

MAX_POST_LENGTH = 280

# X counts with version 3 of the twitter-text rules; naming it here keeps a library default change from
# silently changing what we post.
_CURRENT_RULES = config["version3"]


def weighted_length(text: str) -> int:
    """X's weighted length of `text`: NFC-normalised first, each URL counts 23, each CJK character and each
    emoji (including multi-code-point sequences) counts 2, most other characters count 1."""
    return parse_tweet(text, _CURRENT_RULES).weightedLength
