"""Turning text too long for one X post into a thread of posts that each fit."""

import functools
import re
import unicodedata
from collections.abc import Callable

from twitter_text import extract_emojis_with_indices, extract_urls_with_indices

from service.rendering.post_length import MAX_POST_LENGTH, weighted_length

# Any whitespace except the no-break spaces: a writer types those precisely to keep two words together.
_BREAKABLE_SPACE = re.compile(r"[^\S\u00a0\u2007\u202f]+")

# Terminal punctuation, optionally followed by closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*$")

# Dotted initialisms such as "U.S.", "e.g.", "i.e.", "a.m." or an initial such as "J.".
_INITIALISM = re.compile(r"(?:[A-Za-z]\.)+")

# Titles that end in a period but almost never end a sentence. Deliberately short: a missed boundary only
# makes a part break at a word instead of a sentence, never breaks the rules.
_ABBREVIATIONS = frozenset({"dr.", "mr.", "mrs.", "ms.", "prof.", "st.", "vs.", "approx.", "jr.", "sr."})

_OPENING_PUNCTUATION = "([{\"'“‘«"

# A predicate telling whether a part's text may be posted as part number `number` (1-based).
PartFits = Callable[[str, int], bool]

# A way to count the weighted length of a part.
Measure = Callable[[str], int]


def split_into_thread(text: str, *, max_length: int = MAX_POST_LENGTH, numbered: bool = True) -> list[str]:
    """The posts of a thread carrying `text`, each at most `max_length` weighted characters.

    Text that fits in one post comes back unchanged as the only post. Longer text is broken at sentence
    boundaries and packed greedily; a sentence longer than a post is broken between words, and a word longer
    than a post between characters (never inside a URL or an emoji). Whitespace becomes single spaces, and
    when `numbered` each post ends with " i/n". Raises ValueError for blank text, or when `max_length` is too
    small to hold some URL or emoji with its numbering.
    """
    if not text.strip():
        raise ValueError("cannot make a thread from blank text")
    if weighted_length(text) <= max_length:
        return [text]
    sentences = sentences_of(text)
    parts = _split(sentences, max_length, numbered, _space_joined_length)
    if any(weighted_length(part) > max_length for part in parts):
        # Insurance: should adding word lengths up ever disagree with X's count, count every candidate.
        parts = _split(sentences, max_length, numbered, weighted_length)
    return parts


def _split(sentences: list[list[str]], max_length: int, numbered: bool, measure: Measure) -> list[str]:
    unnumbered = _pack(sentences, _fits_within(max_length, measure))
    if not numbered:
        return _keep_link_with_text(unnumbered, lambda count: _fits_within(max_length, measure))
    if len(unnumbered) == 1:
        return unnumbered
    # The suffix " i/n" depends on the count n, and a longer suffix can raise the count, so repack with each
    # new count until it stops growing. It cannot grow forever: at worst every piece gets its own part.
    total = len(unnumbered)
    while True:
        parts = _pack(sentences, _fits_within(max_length, measure, numbered_of=total))
        if len(parts) <= total:
            break
        total = len(parts)
    parts = _keep_link_with_text(parts, lambda count: _fits_within(max_length, measure, numbered_of=count))
    if len(parts) == 1:
        return parts
    # Greedy packing is optimal, so fewer parts than `total` should not happen; if it did, " i/len(parts)" is
    # no longer than " i/total", so every part would still fit.
    return [f"{part} {number}/{len(parts)}" for number, part in enumerate(parts, start=1)]


def _keep_link_with_text(parts: list[str], fits_out_of: Callable[[int], PartFits]) -> list[str]:
    """Never end a thread with a part that is only the link (and hashtags): readers take it for a stray post.

    Packing keeps the link with its hashtags and lead-in ("Read more:"), so they can land in a part of their own
    while the link alone would have fitted in the part before. Then, in order of preference: the whole tail joins
    the part before; or the last sentence of the part before moves down to the tail; or the link (with the lead-in
    and the hashtags that fit) joins the part before, and the hashtags that fit nowhere are left out: a part of
    hashtags alone would be worse. `fits_out_of(n)` tells whether a part fits in a thread of n parts.
    """
    if len(parts) < 2 or not _is_link_only(parts[-1]):
        return parts
    *head, previous, tail = parts
    shorter = fits_out_of(len(parts) - 1)
    number = len(parts) - 1  # the number `previous` has, in either count
    if shorter(f"{previous} {tail}", number):
        return [*head, f"{previous} {tail}"]
    sentences = sentences_of(previous)
    if len(sentences) > 1:
        moved = " ".join(sentences[-1])
        kept = " ".join(" ".join(words) for words in sentences[:-1])
        if fits_out_of(len(parts))(f"{moved} {tail}", len(parts)):
            return [*head, kept, f"{moved} {tail}"]
    words = tail.split(" ")
    link_end = next(index for index, word in enumerate(words) if _is_url(word)) + 1
    grown = f"{previous} {' '.join(words[:link_end])}"
    if not shorter(grown, number):
        return parts
    for word in words[link_end:]:
        if shorter(f"{grown} {word}", number):
            grown = f"{grown} {word}"
    return [*head, grown]


def _is_link_only(part: str) -> bool:
    """A part with a URL and nothing else but hashtags, mentions, or a lead-in ending in a colon before the URL."""
    words = part.split(" ")
    urls = [index for index, word in enumerate(words) if _is_url(word)]
    if not urls:
        return False
    lead_in = words[: urls[0]]
    if lead_in and (len(lead_in) > 3 or not lead_in[-1].endswith(":")):
        return False
    return all(_is_url(word) or word[:1] in "#@$" for word in words[urls[0] :])


def _is_url(word: str) -> bool:
    urls = extract_urls_with_indices(word)
    return bool(urls) and urls[0]["indices"] == [0, len(word)]


def _fits_within(max_length: int, measure: Measure, numbered_of: int | None = None) -> PartFits:
    """Whether a part fits in `max_length`, counting its " i/n" suffix when numbered out of n."""

    def fits(part: str, number: int) -> bool:
        suffix = f" {number}/{numbered_of}" if numbered_of else ""
        return measure(part + suffix) <= max_length

    return fits


def _space_joined_length(text: str) -> int:
    """`weighted_length` of text made of words joined by single spaces, added up from cached word lengths.

    Adding up is exact because nothing X counts as one (a URL, an emoji sequence, an NFC composition) spans
    a space; it matters because counting is slow (milliseconds for a full post) and packing counts often.
    """
    words = text.split(" ")
    return sum(map(_word_length, words)) + len(words) - 1


@functools.lru_cache(maxsize=8192)
def _word_length(word: str) -> int:
    return weighted_length(word)


def _pack(sentences: list[list[str]], fits: PartFits) -> list[str]:
    builder = _ThreadBuilder(fits)
    for words in sentences:
        builder.add_sentence(words)
    return builder.finish()


def sentences_of(text: str) -> list[list[str]]:
    """The words of `text` grouped into sentences; a line break always ends one (headings have no period)."""
    sentences = []
    for line in text.splitlines():
        sentence: list[str] = []
        for word in _BREAKABLE_SPACE.split(line):
            if not word:
                continue
            sentence.append(word)
            if _ends_sentence(word):
                sentences.append(sentence)
                sentence = []
        if sentence:
            sentences.append(sentence)
    return sentences


def _ends_sentence(word: str) -> bool:
    if not _SENTENCE_END.search(word):
        return False
    bare = word.lstrip(_OPENING_PUNCTUATION)
    return bare.lower() not in _ABBREVIATIONS and not _INITIALISM.fullmatch(bare)


class _ThreadBuilder:
    """Packs sentences into parts greedily, asking `fits` before anything grows a part."""

    def __init__(self, fits: PartFits) -> None:
        self._fits = fits
        self._parts: list[str] = []
        self._current = ""

    def add_sentence(self, words: list[str]) -> None:
        sentence = " ".join(words)
        if self._extend(sentence) or self._start_part_with(sentence):
            return
        for word in words:
            self._add_word(word)

    def finish(self) -> list[str]:
        return [*self._parts, self._current] if self._current else list(self._parts)

    def _add_word(self, word: str) -> None:
        if self._extend(word) or self._start_part_with(word):
            return
        self._add_oversized_word(word)

    def _add_oversized_word(self, word: str) -> None:
        pieces = _unbreakable_pieces(word)
        separator = " "
        while pieces:
            count = self._count_pieces_that_fit(pieces, separator)
            if count:
                self._extend("".join(pieces[:count]), separator)
                pieces = pieces[count:]
                separator = ""
            elif self._current:
                self._parts.append(self._current)
                self._current = ""
            else:
                raise ValueError(f"max_length is too small to hold {pieces[0]!r} in one post")

    def _count_pieces_that_fit(self, pieces: list[str], separator: str) -> int:
        """How many of `pieces`, glued together, still fit in the current part. A binary search, because a
        glued chunk is a new word whose length must be counted the slow way."""

        def fits(count: int) -> bool:
            return self._fits(self._grown_by("".join(pieces[:count]), separator), len(self._parts) + 1)

        if fits(len(pieces)):
            return len(pieces)
        # Invariant: `low` pieces fit (zero trivially), `high` pieces do not. URL detection makes length not
        # quite monotonic in the count, so this may stop short of the longest fit, but what it returns fits.
        low, high = 0, len(pieces)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if fits(middle) else (low, middle)
        return low

    def _grown_by(self, text: str, separator: str = " ") -> str:
        return f"{self._current}{separator}{text}" if self._current else text

    def _extend(self, text: str, separator: str = " ") -> bool:
        candidate = self._grown_by(text, separator)
        if not self._fits(candidate, len(self._parts) + 1):
            return False
        self._current = candidate
        return True

    def _start_part_with(self, text: str) -> bool:
        """Closes the current part and opens the next with `text`, if `text` fits there alone."""
        # With no current part, `_extend` has just tried `text` alone in this very position.
        if not self._current or not self._fits(text, len(self._parts) + 2):
            return False
        self._parts.append(self._current)
        self._current = text
        return True


def _unbreakable_pieces(word: str) -> list[str]:
    """`word` cut into the smallest pieces a hard split may separate: each URL and each emoji sequence stays
    whole, and a character keeps the combining marks that follow it."""
    entity_ends = _entity_ends_by_start(word)
    pieces = []
    start = 0
    while start < len(word):
        end = entity_ends.get(start, start + 1)
        while end < len(word) and _joins_previous(word[end]):
            end += 1
        pieces.append(word[start:end])
        start = end
    return pieces


def _entity_ends_by_start(word: str) -> dict[int, int]:
    # URLs last, so a URL wins should an emoji match start at the same place.
    entities = extract_emojis_with_indices(word) + extract_urls_with_indices(word)
    return {entity["indices"][0]: entity["indices"][1] for entity in entities}


def _joins_previous(char: str) -> bool:
    return unicodedata.category(char) in {"Mn", "Mc", "Me"} or char == "\u200d"
