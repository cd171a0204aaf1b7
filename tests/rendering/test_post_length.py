"""Post length against the official twitter-text conformance cases (tests/contracts/twitter-text/validate.yml)."""

import pytest
import yaml
from twitter_text import parse_tweet
from twitter_text.config import config

from service.rendering.post_length import weighted_length
from tests.paths import TWITTER_TEXT_CONFORMANCE

# tests/contracts/README.md: version 2 counting is the library's version2 configuration with
# emoji sequences not discounted.
VERSION_2_RULES = {**config["version2"], "emoji_parsing_enabled": False}


def conformance_cases(section: str) -> list:
    """The cases of one section of validate.yml, each a pytest param named by its description."""
    with TWITTER_TEXT_CONFORMANCE.open(encoding="utf-8") as file:
        cases = yaml.safe_load(file)["tests"][section]
    assert cases, f"no cases in section {section} of {TWITTER_TEXT_CONFORMANCE.name}"
    return [pytest.param(case["text"], case["expected"], id=case["description"]) for case in cases]


@pytest.mark.parametrize(("text", "expected"), conformance_cases("WeightedTweetsWithDiscountedEmojiCounterTest"))
def test_weighted_length_matches_version_3_conformance(text, expected):
    assert weighted_length(text) == expected["weightedLength"]


@pytest.mark.parametrize(("text", "expected"), conformance_cases("UnicodeDirectionalMarkerCounterTest"))
def test_weighted_length_matches_directional_marker_conformance(text, expected):
    assert weighted_length(text) == expected["weightedLength"]


@pytest.mark.parametrize(("text", "expected"), conformance_cases("WeightedTweetsCounterTest"))
def test_library_matches_version_2_conformance(text, expected):
    # Our product counts with version 3; this checks the library we rely on against the older rules too.
    assert parse_tweet(text, VERSION_2_RULES).asdict() == expected


def test_url_counts_23_whatever_its_length():
    long_url = "https://example.com/" + "a" * 200
    assert weighted_length(long_url) == 23
    assert weighted_length(f"see {long_url}") == 27


def test_cjk_and_emoji_count_two_each():
    assert weighted_length("日本語") == 6
    assert weighted_length("👨‍👩‍👧‍👦") == 2
    assert weighted_length("a😷") == 3


def test_text_is_counted_after_nfc_normalisation():
    decomposed = "e\u0301" * 10
    assert weighted_length(decomposed) == 10
