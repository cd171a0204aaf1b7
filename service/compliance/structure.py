"""Health claims found by sentence structure, not only by listed phrases.

A claim is a subject (the treatment, the clinic, a pronoun that refers back to one, or a reader or patient)
with an outcome (an outcome verb compared by lemma, an outcome state, a safety word), qualified by speed,
permanence, extent, comparison, mechanism or hype. Negation near the verb, hedging, direct questions and
quoted claims the sentence debunks are not claims. The word classes are data in structures.yaml.

Lemmas come from `simplemma` (a maintained, dependency-free lemmatiser whose English data ships in the
package). spaCy was considered: its official English models are not on the package registry this project
installs from, so it would need a run-time or out-of-band download; see bench/claims.py for what the rules
measure without it.
"""

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import simplemma
import yaml

STRUCTURES_PATH = Path(__file__).with_name("structures.yaml")
# Words (hyphenated ones whole), "n't" and "'s"/"'ll" apart, so "brain's" is "brain" and "doesn't" is negated.
_TOKEN = re.compile(r"[A-Za-z]+(?=n't\b)|n't\b|'[A-Za-z]+\b|[A-Za-z]+(?:-[A-Za-z]+)*|\d+(?:\.\d+)?")
_QUOTED = re.compile(r'"[^"\n]{2,}?"')
_NEGATION_WINDOW = 3
_OBJECT_WINDOW = 6


class StructureFileError(ValueError):
    """structures.yaml does not follow its schema."""


@dataclass(frozen=True)
class StructureRule:
    id: str
    severity: str
    substantiable: bool
    why: str
    suggestion: str


@dataclass(frozen=True)
class Lexicon:
    words: Mapping[str, frozenset[str]]
    phrases: Mapping[str, tuple[re.Pattern[str], ...]]

    def has(self, name: str, lemma: str) -> bool:
        return lemma in self.words[name]

    def search(self, name: str, text: str, pos: int = 0) -> re.Match[str] | None:
        matches = [m for pattern in self.phrases[name] if (m := pattern.search(text, pos))]
        return min(matches, key=lambda match: match.start()) if matches else None

    def all_matches(self, name: str, text: str) -> list[re.Match[str]]:
        return [match for pattern in self.phrases[name] for match in pattern.finditer(text)]


@dataclass(frozen=True)
class Structures:
    lexicon: Lexicon
    rules: Mapping[str, StructureRule]


@dataclass(frozen=True)
class StructuralClaim:
    """One claim found in a sentence: `start`/`end` index into the text the sentence came from."""

    rule: StructureRule
    start: int
    end: int


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    lower: str
    lemma: str


_WORD_LISTS = (
    "treatment", "clinic", "clinic_excluded_verbs", "pronoun", "experiencer", "outcome_strong", "outcome_weak",
    "health_object", "mechanism_object", "safety", "negation", "question_start", "generic_plural",
    "generic_plural_owner", "person_object_verbs", "direction", "population", "determiner",
)  # fmt: skip
_PHRASE_LISTS = (
    "treatment_phrases", "outcome_state_phrases", "safety_phrases", "speed_phrases", "permanence_phrases",
    "extent_phrases", "comparison_phrases", "rival_phrases", "implied_phrases", "hedge_phrases", "debunk_phrases",
    "attribution_phrases",
)  # fmt: skip


@functools.cache
def default_structures() -> Structures:
    with STRUCTURES_PATH.open(encoding="utf-8") as structures_file:
        return parse_structures(yaml.safe_load(structures_file))


def parse_structures(data: object) -> Structures:
    if not isinstance(data, Mapping) or not isinstance(data.get("lexicon"), Mapping):
        raise StructureFileError("structures file: needs a lexicon mapping and a findings list")
    raw = data["lexicon"]
    missing = [name for name in (*_WORD_LISTS, *_PHRASE_LISTS) if name not in raw]
    if missing:
        raise StructureFileError(f"lexicon: missing {', '.join(missing)}")
    words = {name: frozenset(str(word).lower() for word in raw[name]) for name in _WORD_LISTS}
    phrases = {}
    for name in _PHRASE_LISTS:
        try:
            phrases[name] = tuple(re.compile(pattern, re.IGNORECASE) for pattern in raw[name])
        except re.error as error:
            raise StructureFileError(f"lexicon.{name}: does not compile: {error}") from None
    rules = {}
    for entry in data.get("findings") or []:
        rule = StructureRule(
            id=entry["id"],
            severity=entry["severity"],
            substantiable=bool(entry.get("substantiable", False)),
            why=" ".join(entry["why"].split()),
            suggestion=" ".join(entry["suggestion"].split()),
        )
        if rule.severity not in ("block", "warn"):
            raise StructureFileError(f"findings ({rule.id}): severity must be block or warn")
        rules[rule.id] = rule
    return Structures(Lexicon(words, phrases), rules)


@functools.lru_cache(maxsize=20000)
def lemma_of(word: str) -> str:
    lower = word.lower()
    if "-" in lower or not lower.isalpha():
        return lower
    return simplemma.lemmatize(lower, lang="en").lower()


def tokens_of(text: str, start: int, end: int) -> list[_Token]:
    return [
        _Token(match.start(), match.end(), match.group().lower(), lemma_of(match.group()))
        for match in _TOKEN.finditer(text, start, end)
    ]


def structural_claims(
    text: str, sentences: list[tuple[int, int]], structures: Structures | None = None
) -> list[StructuralClaim]:
    """The structural claims of each sentence of `text` (sentences as `check.sentence_spans` gives them)."""
    structures = structures or default_structures()
    claims = []
    previous_named_treatment = False
    for start, end in sentences:
        analysis = _SentenceAnalysis(text, start, end, structures, previous_named_treatment)
        claim = analysis.claim()
        if claim is not None:
            claims.append(claim)
        previous_named_treatment = analysis.names_treatment
    return claims


def quoted_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(match.start(), match.end()) for match in _QUOTED.finditer(text, start, end)]


def debunks_quotation(text: str, sentence: tuple[int, int], inner: tuple[int, int], structures=None) -> bool:
    """True when the span `inner` lies inside quotation marks that the rest of the sentence calls a myth."""
    structures = structures or default_structures()
    for quote_start, quote_end in quoted_spans(text, *sentence):
        if quote_start <= inner[0] and inner[1] <= quote_end:
            outside = text[sentence[0] : quote_start] + " " + text[quote_end : sentence[1]]
            return structures.lexicon.search("debunk_phrases", outside) is not None
    return False


class _SentenceAnalysis:
    def __init__(self, text: str, start: int, end: int, structures: Structures, context_treatment: bool):
        self.text, self.start, self.end = text, start, end
        self.sentence = text[start:end]
        self.structures, self.lexicon = structures, structures.lexicon
        self.tokens = tokens_of(text, start, end)
        self.treatment_at = [i for i, t in enumerate(self.tokens) if self._names_our_treatment(i, t)]
        phrase = self.lexicon.search("treatment_phrases", self.sentence)
        self.names_treatment = bool(self.treatment_at) or phrase is not None
        self.clinic_at = [i for i, t in enumerate(self.tokens) if self.lexicon.has("clinic", t.lower)]
        pronouns = [i for i, t in enumerate(self.tokens) if self.lexicon.has("pronoun", t.lower)]
        self.subject_at = sorted({*self.treatment_at, *(pronouns if context_treatment else [])})
        if phrase is not None:
            self.subject_at = sorted({*self.subject_at, self._token_at(phrase.start())})
        self.experiencer_at = [i for i, t in enumerate(self.tokens) if self.lexicon.has("experiencer", t.lemma)]
        self.treatment_named = self.names_treatment or bool(self.subject_at)

    def _names_our_treatment(self, index: int, token: _Token) -> bool:
        if not self.lexicon.has("treatment", token.lemma):
            return False
        # "Treatments help" speaks of treatment in general; "our treatments", "ketamine infusions" of ours.
        if token.lower in self.lexicon.words["generic_plural"]:
            return index > 0 and self.lexicon.has("generic_plural_owner", self.tokens[index - 1].lower)
        return True

    def _token_at(self, offset_in_sentence: int) -> int:
        absolute = self.start + offset_in_sentence
        for index, token in enumerate(self.tokens):
            if token.end > absolute:
                return index
        return max(len(self.tokens) - 1, 0)

    def _negated_before(self, index: int) -> bool:
        window = self.tokens[max(0, index - _NEGATION_WINDOW) : index]
        return any(self.lexicon.has("negation", token.lower) for token in window)

    def _is_direct_question(self) -> bool:
        return (
            self.sentence.rstrip().endswith("?")
            and bool(self.tokens)
            and self.lexicon.has("question_start", self.tokens[0].lower)
        )

    def _health_object_near(self, index: int) -> int | None:
        for other in range(max(0, index - _OBJECT_WINDOW), min(len(self.tokens), index + _OBJECT_WINDOW + 1)):
            if other != index and self.lexicon.has("health_object", self.tokens[other].lemma):
                return other
        return None

    def _outcome(self) -> tuple[int, int] | None:
        """(verb token, last token of the claim) of the first un-negated outcome verb with a subject before it."""
        subjects = sorted({*self.subject_at, *self.clinic_at})
        # "Clients say the fog lifts after a session": a reader or patient is a subject when a treatment is named.
        if self.treatment_named:
            subjects = sorted({*subjects, *self.experiencer_at})
        for index, token in enumerate(self.tokens):
            strong = self.lexicon.has("outcome_strong", token.lemma)
            if not strong and not self.lexicon.has("outcome_weak", token.lemma):
                continue
            if index > 0 and self.lexicon.has("determiner", self.tokens[index - 1].lower):
                continue  # "the work", "a fix", "your help": a noun, not the verb
            own_subjects = [i for i in subjects if i < index or self._passive_agent(i, index)]
            if not own_subjects or self._negated_before(index):
                continue
            only_clinic = all(i in self.clinic_at for i in own_subjects)
            if only_clinic and self.lexicon.has("clinic_excluded_verbs", token.lemma):
                continue
            target = self._health_object_near(index)
            if strong or target is not None:
                return min(own_subjects[0], index), max(index, target or index)
            treatments = [i for i in own_subjects if i in self.subject_at]
            if treatments and self._person_object(index, token):
                return min(treatments[0], index), index
        return None

    def _person_object(self, index: int, token: _Token) -> bool:
        # "Ketamine can help." / "Infusions benefit most adults": the outcome is the person's, not named.
        if not self.lexicon.has("person_object_verbs", token.lemma):
            return False
        following = range(index + 1, min(len(self.tokens), index + _OBJECT_WINDOW))
        return token.lemma == "help" or any(i in self.experiencer_at for i in following)

    def _passive_agent(self, subject: int, verb: int) -> bool:
        # "Cravings were reduced by ketamine": the treatment named right after the verb.
        return verb < subject <= verb + 3 and any(self.tokens[i].lower in ("by", "with") for i in range(verb, subject))

    def _phrase(self, name: str) -> re.Match[str] | None:
        return self.lexicon.search(name, self.sentence)

    def _unnegated(self, match: re.Match[str] | None) -> re.Match[str] | None:
        if match is None:
            return None
        if match.group().lower().startswith("never"):
            return match
        return None if self._negated_before(self._token_at(match.start())) else match

    def claim(self) -> StructuralClaim | None:
        if not self.tokens or self._is_direct_question() or self._phrase("hedge_phrases"):
            return None
        has_health = any(self.lexicon.has("health_object", token.lemma) for token in self.tokens)
        outcome = self._outcome()
        state = self._unnegated(self._phrase("outcome_state_phrases"))
        safety = self._safety()
        core = outcome is not None or state is not None
        span = self._span(outcome, state, safety)
        kind = None
        comparison = self._unnegated(self._phrase("comparison_phrases"))
        if comparison and (core or safety) and self.lexicon.search("rival_phrases", self.sentence, comparison.end()):
            kind, span = "claim-comparison-named", self._widen(span, comparison)
        elif (permanence := self._unnegated(self._phrase("permanence_phrases"))) and (
            core or has_health or self.treatment_named
        ):
            kind, span = "claim-permanence", self._widen(span, permanence)
        elif (speed := self._unnegated(self._phrase("speed_phrases"))) and (core or has_health or self._acts()):
            kind, span = "claim-speed", self._widen(span, speed)
        elif comparison and (core or (self.names_treatment and has_health)):
            kind, span = "claim-comparison", self._widen(span, comparison)
        elif (extent := self._phrase("extent_phrases")) and core:
            kind, span = "claim-extent", self._widen(span, extent)
        elif outcome is not None and self._mechanism(outcome):
            kind = "claim-mechanism"
        elif safety is not None:
            kind = "claim-safety"
        elif (implied := self._phrase("implied_phrases")) and (self.names_treatment or has_health):
            kind, span = "claim-implied", self._widen(span, implied)
        elif core:
            kind = "claim-efficacy"
        if kind is None or span is None:
            return None
        absolute = (self.start + span[0], self.start + span[1])
        if self._inside_quotes(absolute):
            if debunks_quotation(self.text, (self.start, self.end), absolute, self.structures):
                return None
            if self.lexicon.search("attribution_phrases", self.sentence) and kind != "claim-comparison-named":
                kind = "testimonial-quoted"
        return StructuralClaim(self.structures.rules[kind], *absolute)

    def _acts(self) -> bool:
        # "Ketamine acts fast", "it kicks in within the hour": speed said of the treatment itself.
        return bool(self.subject_at) and any(t.lemma in ("work", "act", "kick") for t in self.tokens)

    def _safety(self) -> re.Match[str] | None:
        if not (self.subject_at or self.clinic_at):
            return None
        return self._unnegated(self._phrase("safety_phrases"))

    def _mechanism(self, outcome: tuple[int, int]) -> bool:
        first, last = outcome
        return any(self.lexicon.has("mechanism_object", t.lemma) for t in self.tokens[first : last + 1])

    def _span(self, outcome, state, safety) -> tuple[int, int] | None:
        """The claim's words, as offsets into the sentence."""
        if outcome is not None:
            first, last = outcome
            return self.tokens[first].start - self.start, self.tokens[last].end - self.start
        match = state or safety
        return (match.start(), match.end()) if match else None

    @staticmethod
    def _widen(span: tuple[int, int] | None, match: re.Match[str]) -> tuple[int, int]:
        if span is None:
            return match.start(), match.end()
        return min(span[0], match.start()), max(span[1], match.end())

    def _inside_quotes(self, absolute: tuple[int, int]) -> bool:
        quotes = quoted_spans(self.text, self.start, self.end)
        return any(start <= absolute[0] and absolute[1] <= end for start, end in quotes)
