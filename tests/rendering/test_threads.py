"""Thread splitting: every part fits, numbering is right, and no word or URL is lost or broken."""

import random
import re
import unicodedata

import pytest
from twitter_text import extract_urls

from service.rendering import threads
from service.rendering.post_length import MAX_POST_LENGTH, weighted_length
from service.rendering.threads import split_into_thread

NUMBERING = re.compile(r" (\d+)/(\d+)$")

URLS = [
    "https://example.com/ketamine/aftercare?utm_source=x&utm_campaign=spring",
    "http://test.co",
    "example.org/appointments",
    "https://example.com/" + "long-path/" * 12,
]
EMOJI = ["😷", "👨‍👩‍👧‍👦", "🙋🏽", "🇺🇸", "❤️", "✨"]
CJK_WORDS = ["日本語", "治療", "ケタミン", "相談", "予約してください"]
ABBREVIATED = ["Dr.", "e.g.", "U.S.", "i.e.", "Mrs."]
LATIN_WORDS = [
    *("the", "a", "of", "clinic", "infusion", "session", "care", "plan", "team", "patient", "support"),
    *("recovery", "calm", "evening", "question", "answer", "week", "visit", "nurse", "provider", "follow-up"),
]


# --- checks shared by every test -------------------------------------------------------------------------


def assert_valid_thread(text: str, parts: list[str], max_length: int = MAX_POST_LENGTH, numbered=True):
    assert parts, "a thread has at least one post"
    for part in parts:
        assert weighted_length(part) <= max_length, part
    bodies = assert_numbering(parts) if numbered and len(parts) > 1 else parts
    assert_words_preserved(text, bodies, max_length)
    assert_urls_intact(text, bodies)


def assert_numbering(parts: list[str]) -> list[str]:
    """Checks the " i/n" suffixes and returns the parts without them."""
    bodies = []
    for number, part in enumerate(parts, start=1):
        match = NUMBERING.search(part)
        assert match, f"part {number} has no numbering: {part!r}"
        assert (int(match[1]), int(match[2])) == (number, len(parts))
        bodies.append(part[: match.start()])
    return bodies


def assert_words_preserved(text: str, bodies: list[str], max_length: int):
    """Same characters in the same order, and parts break words only where a word cannot fit in a post."""
    input_words = text.split()
    output_words = " ".join(bodies).split()
    assert "".join(output_words) == "".join(input_words)
    input_breaks = word_break_offsets(input_words)
    extra_breaks = word_break_offsets(output_words) - input_breaks
    assert input_breaks <= word_break_offsets(output_words), "two words were merged"
    oversized_spans = [span for span, word in word_spans(input_words) if oversized(word, max_length)]
    for offset in extra_breaks:
        assert any(start < offset < end for start, end in oversized_spans), f"word broken at {offset}"


def assert_urls_intact(text: str, bodies: list[str]):
    for url in set(extract_urls(text)):
        assert sum(body.count(url) for body in bodies) == text.count(url), url


def word_break_offsets(words: list[str]) -> set[int]:
    return {end for (_, end), _ in word_spans(words)}


def word_spans(words: list[str]):
    """Each word with its (start, end) offsets in the words joined without spaces."""
    start = 0
    for word in words:
        yield (start, start + len(word)), word
        start += len(word)


def oversized(word: str, max_length: int) -> bool:
    """A word that cannot sit alone in a post with the widest numbering a test thread gets."""
    # Nothing weighs more than 2 per code point; skipping the exact count for short words keeps tests fast.
    return 2 * len(word) + 8 > max_length and weighted_length(word + " 999/999") > max_length


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(LATIN_WORDS) for _ in range(words)).capitalize() + "."


# --- texts and behaviour ---------------------------------------------------------------------------------


def test_text_that_fits_is_returned_unchanged_and_unnumbered():
    text = "Ketamine sessions now on Saturdays.\n\nBook at https://example.com/book 😷"
    assert split_into_thread(text) == [text]


def test_text_of_exactly_the_limit_is_one_post():
    text = "x" * MAX_POST_LENGTH
    assert split_into_thread(text) == [text]


def test_blank_text_is_refused():
    with pytest.raises(ValueError, match="blank"):
        split_into_thread(" \n\t ")


def test_seed_article_becomes_a_valid_thread(seed_article_text):
    parts = split_into_thread(seed_article_text)
    assert len(parts) > 9, "the article should need two-digit numbering"
    assert_valid_thread(seed_article_text, parts)


def test_seed_article_paragraphs_become_valid_threads(seed_article_text):
    for paragraph in filter(str.strip, seed_article_text.splitlines()):
        assert_valid_thread(paragraph, split_into_thread(paragraph, max_length=140), max_length=140)


def test_seed_article_parts_end_at_sentence_boundaries(seed_article_text):
    bodies = assert_numbering(split_into_thread(seed_article_text))
    # The article has no sentence longer than a post, so every part ends a sentence or a heading line.
    line_ends = {line.split()[-1] for line in seed_article_text.splitlines() if line.strip()}
    for body in bodies:
        last_word = body.split()[-1]
        assert re.search(r"[.!?][\"'”’)]*$", last_word) or last_word in line_ends, body


def test_urls_are_never_broken():
    rng = random.Random(7)
    text = " ".join(f"{sentence(rng, 12)} Read more at {URLS[i % len(URLS)]} today." for i in range(12))
    assert_valid_thread(text, split_into_thread(text))


def test_emoji_text_becomes_a_valid_thread():
    rng = random.Random(11)
    text = " ".join(f"{sentence(rng, 8)} {rng.choice(EMOJI)}{rng.choice(EMOJI)}" for _ in range(20))
    assert_valid_thread(text, split_into_thread(text))


def test_cjk_text_with_spaces_becomes_a_valid_thread():
    rng = random.Random(13)
    text = " ".join("".join(rng.choices(CJK_WORDS, k=6)) + "。" for _ in range(30))
    parts = split_into_thread(text)
    assert_valid_thread(text, parts)
    # CJK counts 2, so a part holds far fewer characters than 280.
    assert all(len(part) < MAX_POST_LENGTH for part in parts)


def test_cjk_text_without_spaces_is_split_between_characters():
    text = "ケタミン治療について相談してください。" * 30
    assert_valid_thread(text, split_into_thread(text))


def test_long_sentence_is_split_between_words():
    rng = random.Random(17)
    long_sentence = " ".join(rng.choice(LATIN_WORDS) for _ in range(200))[:600].rsplit(" ", 1)[0] + "."
    assert len(long_sentence) > 550
    text = f"Short opener. {long_sentence} Short closer."
    parts = split_into_thread(text)
    assert len(parts) >= 3
    assert_valid_thread(text, parts)


def test_unbroken_token_is_hard_split_and_kept_in_order():
    token = "".join(random.Random(19).choices("abcdefghij", k=400))
    text = f"Before the token. {token} After the token."
    parts = split_into_thread(text)
    assert_valid_thread(text, parts)
    bodies = assert_numbering(parts)
    assert token in "".join(bodies).replace(" ", "")


def test_url_inside_an_unbroken_token_stays_whole():
    url = URLS[0]
    # Angle brackets, because X's URL rules take a closing parenthesis and what follows as part of the URL.
    token = "x" * 200 + f"<{url}>" + "y" * 200
    assert extract_urls(token) == [url]
    for max_length in (60, 100, 140, 280):
        parts = split_into_thread(token, max_length=max_length)
        assert_valid_thread(token, parts, max_length)


def test_emoji_sequence_inside_an_unbroken_token_stays_whole():
    family = "👨‍👩‍👧‍👦"
    token = family * 200
    parts = split_into_thread(token, numbered=False)
    assert all(part.replace(family, "") == "" for part in parts)
    assert_valid_thread(token, parts, numbered=False)


@pytest.mark.parametrize("abbreviation", ABBREVIATED)
def test_abbreviations_do_not_end_a_part(abbreviation):
    # Each sentence fits a part alone but not both in one. Were the abbreviation taken for a sentence end,
    # the words before it would fit after the opener, and the first part would end with it.
    opener = "Calm " + "calm " * 18 + "evening."
    second = "Care " + "care " * 11 + f"{abbreviation} " + "plan " * 16 + "done."
    parts = split_into_thread(f"{opener} {second}", max_length=200)
    assert assert_numbering(parts) == [opener, second]


def test_unnumbered_thread_has_no_suffixes():
    rng = random.Random(29)
    text = " ".join(sentence(rng, 15) for _ in range(10))
    parts = split_into_thread(text, numbered=False)
    assert len(parts) > 1
    assert not any(NUMBERING.search(part) for part in parts)
    assert_valid_thread(text, parts, numbered=False)


def test_numbering_is_right_as_the_count_crosses_nine_and_ninety_nine():
    rng = random.Random(31)
    sentences = [sentence(rng, rng.randint(5, 25)) for _ in range(300)]
    counts = set()
    for sentence_count in [*range(2, 25), *range(85, 140, 3)]:
        text = " ".join(sentences[:sentence_count])
        parts = split_into_thread(text, max_length=140)
        assert_valid_thread(text, parts, max_length=140)
        counts.add(len(parts))
    assert {9, 10, 99, 100} & counts, "the texts should reach the counts where numbering gets wider"
    assert min(counts) < 10 and max(counts) > 99


def test_max_length_too_small_for_a_url_is_refused():
    with pytest.raises(ValueError, match="too small"):
        split_into_thread(" ".join([URLS[0]] * 3) + " " + "x" * 30, max_length=25)


def random_word(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.05:
        return rng.choice(URLS)
    if kind < 0.10:
        return rng.choice(EMOJI)
    if kind < 0.15:
        return rng.choice(CJK_WORDS)
    if kind < 0.18:
        return rng.choice(ABBREVIATED)
    if kind < 0.20:
        return "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(20, 500)))
    word = rng.choice(LATIN_WORDS)
    return word + rng.choice(["", "", "", "", ".", ",", "!", "?", ".”", ")."])


def random_text(rng: random.Random) -> str:
    text = ""
    for _ in range(rng.randint(1, 300)):
        text += random_word(rng) + rng.choice([" ", " ", " ", "  ", "\n", "\n\n", "\t"])
    return text


@pytest.mark.parametrize("seed", range(40))
def test_random_texts_become_valid_threads(seed):
    rng = random.Random(seed)
    text = random_text(rng)
    max_length = rng.choice([60, 100, 140, 200, MAX_POST_LENGTH])
    numbered = rng.random() < 0.8
    parts = split_into_thread(text, max_length=max_length, numbered=numbered)
    assert_valid_thread(text, parts, max_length, numbered=numbered)


def test_exact_counting_takes_over_if_adding_up_word_lengths_ever_undercounts(monkeypatch):
    monkeypatch.setattr(threads, "_space_joined_length", lambda part: 0)
    rng = random.Random(37)
    text = " ".join(sentence(rng, 15) for _ in range(10))
    assert_valid_thread(text, split_into_thread(text))


def test_hard_split_keeps_combining_marks_with_their_letter():
    # No precomposed character exists for q with an acute, so the mark counts 1 on its own.
    q_acute = "q\u0301"
    token = "x" + q_acute * 200  # the odd "x" puts the part budget between a letter and its mark
    parts = split_into_thread(token)
    assert_valid_thread(token, parts)
    assert all(not unicodedata.combining(part[0]) for part in parts)


@pytest.mark.parametrize("seed", range(10))
def test_adding_up_word_lengths_matches_counting_the_whole_part(seed):
    # The splitter relies on this to avoid counting every candidate part from scratch.
    rng = random.Random(seed)
    words = [random_word(rng) for _ in range(rng.randint(1, 60))] + ["e\u0301", "\u0301x", "\ufeff"]
    rng.shuffle(words)
    part = " ".join(words)
    assert threads._space_joined_length(part) == weighted_length(part)


# --- the link stays with the text ------------------------------------------------------------------------

LONG_LINK = "https://www.daytryphealth.com/blog/ketamine?utm_source=x&utm_medium=social&utm_campaign=kap"


def _bodies(parts: list[str]) -> list[str]:
    return assert_numbering(parts) if len(parts) > 1 else parts


def test_a_thread_never_ends_with_the_link_alone_when_it_fits_in_the_part_before():
    # One sentence that leaves room for the link (23) but not for the link and all its hashtags.
    sentence = "Ketamine works on the glutamate system of the brain, " * 4 + "x" * 30 + "."
    text = f"{sentence} {LONG_LINK} #KAP #Ketamine #MentalHealth #Recovery #Therapy"
    assert weighted_length(f"{sentence} {LONG_LINK}") <= MAX_POST_LENGTH < weighted_length(text)

    parts = split_into_thread(text)

    assert parts == [f"{sentence} {LONG_LINK} #KAP"], "the link and the hashtags that fit join the text"


def test_a_full_last_part_hands_its_last_sentence_down_to_the_link():
    sentences = [f"Sentence number {n} says something useful about aftercare and rest." for n in range(12)]
    text = " ".join(sentences) + f" {LONG_LINK}"
    parts = split_into_thread(text)
    bodies = _bodies(parts)
    assert bodies[-1].endswith(LONG_LINK) and not threads._is_link_only(bodies[-1]), parts
    assert_valid_thread(text, parts)


def test_link_only_means_a_link_with_at_most_hashtags_and_a_lead_in():
    assert threads._is_link_only(f"{LONG_LINK} #KAP")
    assert threads._is_link_only(f"Read more: {LONG_LINK}")
    assert not threads._is_link_only(f"Book a visit today at {LONG_LINK}")
    assert not threads._is_link_only("#KAP #Ketamine")
