"""The copy of a text the claims check reads: NFKC, invisible characters removed, look-alike letters mapped.

"cu\u200bres" (a zero-width space), "cu\u00adres" (a soft hyphen), "ｃｕｒｅｓ" (full-width letters) and "cаres" (a
Cyrillic "а") all read as "cures" to a person, so the check must read them so too. `normalise` builds that copy
with a map from each of its characters back to the original, so findings are highlighted where the reader sees
them. Look-alike letters are mapped with `confusable-homoglyphs` (the Unicode confusables data), not a table of
our own. Invisible characters inside a word, and words that mix scripts, are reported by `hidden_spans`: nobody
types them by accident in marketing copy, and they hide words from the check and from screen readers.
"""

import functools
import unicodedata
from dataclasses import dataclass

from confusable_homoglyphs import categories, confusables

# Same-meaning punctuation the rules are written for: curly quotes, non-breaking hyphens and spaces.
_STRAIGHTEN = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u00a0": " ",
    "\u2028": "\n",
    "\u2029": "\n",
}
# Characters that draw nothing but are not Unicode "format" characters (category Cf, handled below).
_INVISIBLE_EXTRA = frozenset("\u034f\u115f\u1160\u3164\uffa0\u180e") | frozenset(chr(c) for c in range(0xFE00, 0xFE10))


@dataclass(frozen=True)
class HiddenSpan:
    start: int
    end: int
    kind: str  # "invisible" | "look-alike"


@dataclass(frozen=True)
class NormalisedText:
    original: str
    text: str
    # origins[i] is the index in `original` of the character that produced text[i].
    origins: tuple[int, ...]
    hidden: tuple[HiddenSpan, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that text[start:end] came from."""
        if not self.origins:
            return 0, 0
        if end <= start:
            position = self.origins[start] if start < len(self.origins) else len(self.original)
            return position, position
        return self.origins[start], self.origins[end - 1] + 1


def is_invisible(character: str) -> bool:
    return unicodedata.category(character) == "Cf" or character in _INVISIBLE_EXTRA


@functools.lru_cache(maxsize=4096)
def latin_look_alike(character: str) -> str | None:
    """The Latin letter `character` is made to look like ("а" -> "a"), or None when it is Latin or unlike any."""
    if character.isascii() or not character.isalpha():
        return None
    if categories.alias(character) in ("LATIN", "COMMON"):
        return None
    found = confusables.is_confusable(character, greedy=True, preferred_aliases=["latin"])
    for entry in found or ():
        for homoglyph in entry["homoglyphs"]:
            if homoglyph["c"].isascii() and homoglyph["c"].isalpha():
                return homoglyph["c"]
    return None


@functools.lru_cache(maxsize=4096)
def _compatibility_form(character: str) -> str:
    return unicodedata.normalize("NFKC", character)


def normalise(original: str) -> NormalisedText:
    if original.isascii():
        return NormalisedText(original, original, tuple(range(len(original))), ())
    pieces: list[str] = []
    origins: list[int] = []
    invisible_at: list[int] = []
    look_alike_at: list[int] = []
    for index, character in enumerate(original):
        if is_invisible(character):
            invisible_at.append(index)
            continue
        for produced in _compatibility_form(_STRAIGHTEN.get(character, character)):
            if unicodedata.category(produced) == "Mn":
                continue  # a combining accent: "cu\u0301res" reads as "cures"
            produced = _STRAIGHTEN.get(produced, produced)
            latin = latin_look_alike(produced)
            if latin is not None:
                look_alike_at.append(index)
                produced = latin
            pieces.append(produced)
            origins.append(index)
    text = "".join(pieces)
    hidden = _hidden_spans(original, text, origins, invisible_at, look_alike_at)
    return NormalisedText(original, text, tuple(origins), hidden)


def _hidden_spans(original, text, origins, invisible_at, look_alike_at) -> tuple[HiddenSpan, ...]:
    spans = []
    for index in invisible_at:
        if _inside_word(original, index):
            spans.append(HiddenSpan(*_word_around(original, index), "invisible"))
    for index in look_alike_at:
        spans.append(HiddenSpan(*_word_around(original, index), "look-alike"))
    merged: dict[tuple[int, int], HiddenSpan] = {}
    for span in spans:
        merged.setdefault((span.start, span.end), span)
    return tuple(sorted(merged.values(), key=lambda span: (span.start, span.end)))


def _inside_word(original: str, index: int) -> bool:
    before = index - 1
    while before >= 0 and is_invisible(original[before]):
        before -= 1
    after = index + 1
    while after < len(original) and is_invisible(original[after]):
        after += 1
    return before >= 0 and after < len(original) and original[before].isalnum() and original[after].isalnum()


def _word_around(original: str, index: int) -> tuple[int, int]:
    def in_word(position: int) -> bool:
        return original[position].isalnum() or is_invisible(original[position])

    start = index
    while start > 0 and in_word(start - 1):
        start -= 1
    end = index + 1
    while end < len(original) and in_word(end):
        end += 1
    return start, end
