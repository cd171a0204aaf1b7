"""Matching a sentence to the claims library: exact, close (a reviewer confirms), or none.

Pure Python on plain values: the caller loads the live library claims (approved, not past their review-by date)
from the database (service/compliance/library.py) and passes them in as `LibraryEntry`s.

Scoring uses rapidfuzz's `token_sort_ratio` on lower-cased words without punctuation, so word order and
punctuation changes ("In one trial, 48.2% ..." / "48.2% ... in one trial") score high, while a changed
condition or outcome scores low. A close match must also keep every number of the approved wording and add
none: "48% of patients" must never pass as "48.2% of participants", nor "90%" as "48.2%".

MATCH_THRESHOLD was measured by bench/claims.py on tests/compliance/corpus/library_pairs.tsv (paraphrases that
should match and near misses that must not); the bench prints the scores on both sides and the margin.
"""

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from service.compliance.structure import default_structures, tokens_of

MATCH_THRESHOLD = 81.0
_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)\s*(%|percent)?")
_NUMBER_CONTEXT = 8  # words after a number in which to find what it counts


@dataclass(frozen=True)
class LibraryEntry:
    """One live library claim, as a finding carries it."""

    claim_id: int
    version: int
    wording: str
    variants: tuple[str, ...]
    scope: str
    reference: str  # the formatted citation of its main evidence

    @property
    def wordings(self) -> tuple[str, ...]:
        return (self.wording, *self.variants)


@dataclass(frozen=True)
class LibraryMatch:
    entry: LibraryEntry
    score: float
    matched_wording: str
    # The same words in the same order as an approved wording (case and punctuation aside): no one need confirm.
    exact: bool

    def to_dict(self) -> dict:
        return {
            "claim_id": self.entry.claim_id,
            "version": self.entry.version,
            "wording": self.entry.wording,
            "scope": self.entry.scope,
            "reference": self.entry.reference,
            "score": round(self.score, 1),
            "exact": self.exact,
        }


def comparable(text: str) -> str:
    return utils.default_process(text)


def similarity(sentence: str, wording: str) -> float:
    """The score `match` compares with MATCH_THRESHOLD (0-100); 0 when a number or a key term differs."""
    if not same_substance(sentence, wording):
        return 0.0
    return fuzz.token_sort_ratio(comparable(sentence), comparable(wording))


def same_substance(sentence: str, wording: str) -> bool:
    """Same numbers and the same key terms (treatments, conditions, outcomes, negations) in both.

    One changed word can change a claim ("cocaine" for "alcohol", "48%" for "48.2%", "teenagers" for "adults")
    while the fuzzy score hardly moves, so those words must agree exactly; the score judges only the rest.
    """
    return _numbers(sentence) == _numbers(wording) and _key_terms(sentence) == _key_terms(wording)


def _numbers(text: str) -> list[tuple[str, str, str]]:
    """Each number with its percent sign and the first key term after it: what it counts.

    "48.2% of those given ketamine ... 10.7% given midazolam" is not "10.7% of those given ketamine ... 48.2%
    given midazolam", though it has the same numbers and words.
    """
    found = []
    for match in _NUMBER.finditer(text):
        following = tokens_of(text, match.end(), len(text))[:_NUMBER_CONTEXT]
        counted = next((token.lemma for token in following if _is_key(token)), "")
        found.append((match.group(1).replace(",", "."), "%" if match.group(2) else "", counted))
    return sorted(found)


_KEY_CLASSES = ("treatment", "health_object", "negation", "direction", "population")


def _is_key(token) -> bool:
    lexicon = default_structures().lexicon
    return any(lexicon.has(name, token.lemma) or lexicon.has(name, token.lower) for name in _KEY_CLASSES)


def _key_terms(text: str) -> frozenset[str]:
    return frozenset(token.lemma for token in tokens_of(text, 0, len(text)) if _is_key(token))


class ClaimLibrary:
    """The live claims, ready to match sentences against."""

    def __init__(self, entries: list[LibraryEntry], threshold: float = MATCH_THRESHOLD):
        self.entries = list(entries)
        self.threshold = threshold
        self._choices = [(comparable(wording), wording, entry) for entry in self.entries for wording in entry.wordings]

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, sentence: str) -> LibraryMatch | None:
        """The best live claim for `sentence` scoring at least the threshold, or None."""
        if not self._choices:
            return None
        processed = comparable(sentence)
        candidates = process.extract(
            processed,
            [choice[0] for choice in self._choices],
            scorer=fuzz.token_sort_ratio,
            score_cutoff=self.threshold,
            limit=5,
        )
        for _, score, index in candidates:
            compared, wording, entry = self._choices[index]
            if same_substance(sentence, wording):
                return LibraryMatch(entry, float(score), wording, exact=processed == compared)
        return None

    def entry(self, claim_id: int) -> LibraryEntry | None:
        return next((entry for entry in self.entries if entry.claim_id == claim_id), None)
