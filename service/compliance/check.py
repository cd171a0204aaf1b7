"""The claims check: health-marketing rules run on what will actually go out.

Run it after templates have rendered: on each email subject (`context="subject"`), on the HTML body as a
reader sees it (`html_to_text`, then `context="body"`), on each post (`context="post"`), on the HTML's links
(`check_links`), and on the whole rendered email for the elements every email must carry
(`check_required_elements`). Text is expected unwrapped (one paragraph per line): a line break ends a
sentence, and rules match within one sentence.
"""

import bisect
import re
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from service.compliance.normalise import NormalisedText, normalise
from service.compliance.rules import CONTEXTS, RequiredElement, Rule, RuleSet, default_rules
from service.compliance.structure import debunks_quotation, default_structures, structural_claims

if TYPE_CHECKING:
    from service.compliance.library_match import ClaimLibrary

SEVERITY_ORDER = {"block": 0, "warn": 1}

# Same-length replacements, so offsets found in the straightened text are offsets into the original.
_STRAIGHTEN = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-", "\u2011": "-", "\u00a0": " "}
)
_SENTENCE_END = re.compile(r"""[.!?]+["')\]]*(?=\s|$)|\n""")
_HREF = re.compile(r"""\bhref\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
# A full stop after these does not end a sentence ("e.g. ketamine", "Smith et al. 2021").
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|dr|mr|mrs|ms|st|vs|no|approx|al|fig|ref|u\.s|a\.m|p\.m)\.$", re.I)
_HIDDEN_RULES = {"invisible": "invisible-characters", "look-alike": "look-alike-letters"}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # "block" | "warn"
    start: int
    end: int
    text: str
    why: str
    suggestion: str
    # True when an approved claims-library claim can back the words (see rules.yaml `substantiable`).
    substantiable: bool = False
    # The library claim the finding's sentence matches, when a library was given (see library_match.py).
    library_claim: dict | None = None

    @property
    def resolved(self) -> bool:
        """Backed by the library without a person's confirmation: its sentence is an approved claim's wording."""
        return self.library_claim is not None and bool(self.library_claim.get("exact"))

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("substantiable")
        if data["library_claim"] is None:
            data.pop("library_claim")
        return data


@dataclass(frozen=True)
class ClinicIdentity:
    legal_name: str
    postal_address: str
    # The sample address shipped in .env.example; a clinic still using it has not configured its own.
    placeholder_address: str


def has_blocking(findings) -> bool:
    """Whether any finding blocks; a finding the library backs exactly does not."""
    return any(finding.severity == "block" and not finding.resolved for finding in findings)


# --- claims ---------------------------------------------------------------------------------------------


def check_claims(
    text: str,
    *,
    context: str = "body",
    rule_set: RuleSet | None = None,
    written: str | None = None,
    library: "ClaimLibrary | None" = None,
) -> list[Finding]:
    """Findings for `text`, sorted by start; `start`/`end` index into `text` and `text[start:end]` is the match.

    context: "subject", "body", "post", or "link" (a single URL); rules say which contexts they apply to.
    written: the part of `text` the marketer wrote, when `text` also holds fixed template copy (an email's footer
    says "Individual results vary" for every email): a disclosure counts only there, beside what it discloses.
    library: approved claims; a substantiable finding whose sentence matches one carries it in `library_claim`.

    The rules read a normalised copy (see normalise.py: NFKC, invisible characters removed, look-alike letters
    mapped); offsets are mapped back to `text`, and hidden characters inside words are findings of their own.
    """
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {', '.join(CONTEXTS)}, not {context!r}")
    rule_set = rule_set or default_rules()
    normalised = normalise(text)
    matchable = normalised.text
    disclosable = matchable if written is None else normalise(written).text
    sentences = sentence_spans(matchable)
    spans: list[tuple[str, str, str, str, bool, int, int]] = []
    for rule in rule_set.rules:
        if context in rule.contexts and not _any_match(rule.unless_in_text, disclosable):
            spans.extend(
                (rule.id, rule.severity, rule.why, rule.suggestion, rule.substantiable, start, end)
                for start, end in _rule_spans(rule, matchable, sentences)
            )
    if context != "link":
        spans.extend(_structural_spans(matchable, sentences, spans))
    spans = [span for span in spans if not _debunked(matchable, sentences, span)]
    findings = [_finding_from(span, text, normalised) for span in spans]
    findings.extend(_hidden_findings(text, normalised))
    if library is not None:
        findings = [_linked(finding, matchable, sentences, normalised, library) for finding in findings]
    return sorted(findings, key=_reading_order)


def _structural_spans(matchable: str, sentences, rule_spans) -> list[tuple]:
    """Structural claims in sentences no rule already flagged at the same or a higher severity."""
    found = []
    for claim in structural_claims(matchable, sentences):
        sentence = _sentence_of(sentences, claim.start, claim.end)
        in_sentence = [span for span in rule_spans if sentence[0] <= span[5] < sentence[1]]
        if claim.rule.severity == "block" and not claim.rule.substantiable:
            # A never-go-out claim must stay, unless one already blocks the sentence: a library link that backs
            # the sentence's other finding ("within days") must not let "unlike SSRIs" through.
            redundant = any(span[1] == "block" and not span[4] for span in in_sentence)
        else:
            redundant = any(span[1] == "block" for span in in_sentence) or (
                claim.rule.severity == "warn" and bool(in_sentence)
            )
        if redundant:
            continue
        rule = claim.rule
        found.append((rule.id, rule.severity, rule.why, rule.suggestion, rule.substantiable, claim.start, claim.end))
    return found


def _debunked(matchable: str, sentences, span: tuple) -> bool:
    # 'Be wary of any clinic that calls ketamine "a cure"': the quoted words are what the sentence warns about.
    start, end = span[5], span[6]
    return debunks_quotation(matchable, _sentence_of(sentences, start, end), (start, end))


def _sentence_of(sentences: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    for sentence_start, sentence_end in sentences:
        if sentence_start <= start < sentence_end or (start == end == sentence_start):
            return sentence_start, sentence_end
    return start, end


def _finding_from(span: tuple, text: str, normalised: NormalisedText) -> Finding:
    rule_id, severity, why, suggestion, substantiable, start, end = span
    start, end = normalised.original_span(start, end)
    return Finding(rule_id, severity, start, end, text[start:end], why, suggestion, substantiable)


def _hidden_findings(text: str, normalised: NormalisedText) -> list[Finding]:
    structures = default_structures()
    findings = []
    for hidden in normalised.hidden:
        rule = structures.rules[_HIDDEN_RULES[hidden.kind]]
        findings.append(
            Finding(rule.id, rule.severity, hidden.start, hidden.end, text[hidden.start : hidden.end], rule.why,
                    rule.suggestion)
        )  # fmt: skip
    return findings


def _linked(finding: Finding, matchable: str, sentences, normalised: NormalisedText, library) -> Finding:
    if not finding.substantiable:
        return finding
    # Find the sentence in the normalised copy: library wordings are compared with what the reader reads.
    position = _normalised_position(normalised, finding.start)
    sentence = _sentence_of(sentences, position, position + 1)
    match = library.match(matchable[sentence[0] : sentence[1]])
    return finding if match is None else replace(finding, library_claim=match.to_dict())


def _normalised_position(normalised: NormalisedText, original_offset: int) -> int:
    return bisect.bisect_left(normalised.origins, original_offset)


def check_links(html: str, *, rule_set: RuleSet | None = None) -> list[Finding]:
    """Run the link rules (personal data in URLs) on every href in `html`; offsets index into `html`."""
    findings = []
    for href in _HREF.finditer(html):
        offset = href.start(2)
        for finding in check_claims(href.group(2), context="link", rule_set=rule_set):
            findings.append(replace(finding, start=finding.start + offset, end=finding.end + offset))
    return sorted(findings, key=_reading_order)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, without surrounding whitespace; a line break always ends one."""
    spans: list[tuple[int, int]] = []
    start = 0
    for mark in _SENTENCE_END.finditer(text):
        if mark.group() == "." and _ABBREVIATION.search(text, start, mark.end()):
            continue
        _append_trimmed(spans, text, start, mark.end())
        start = mark.end()
    _append_trimmed(spans, text, start, len(text))
    return spans


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    trimmed_start = start + len(chunk) - len(chunk.lstrip())
    trimmed_end = start + len(chunk.rstrip())
    if trimmed_end > trimmed_start:
        spans.append((trimmed_start, trimmed_end))


def _rule_spans(rule: Rule, matchable: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = []
    for start, end in sentences:
        sentence = matchable[start:end]
        matches = [match for pattern in rule.patterns for match in pattern.finditer(sentence)]
        if matches and _rule_applies_to(rule, sentence):
            spans.extend(
                (start + match.start(), start + match.end()) for match in matches if match.end() > match.start()
            )
    return _merge_overlaps(spans)


def _rule_applies_to(rule: Rule, sentence: str) -> bool:
    if rule.requires and not _any_match(rule.requires, sentence):
        return False
    return not _any_match(rule.unless, sentence)


def _any_match(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)


def _merge_overlaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One finding per stretch of text, however many of a rule's patterns matched it."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _reading_order(finding: Finding) -> tuple:
    return (finding.start, finding.end, SEVERITY_ORDER[finding.severity], finding.rule)


# --- HTML as a reader sees it ----------------------------------------------------------------------------

_INVISIBLE_TAGS = ["head", "script", "style", "template", "title"]
_BLOCK_TAGS = [
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
    "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
]  # fmt: skip


def html_to_text(html: str) -> str:
    """The text of an HTML email as a reader sees it: one line per block element, whitespace collapsed.

    Image alt text is kept because mail clients show it when images are blocked.
    """
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup.find_all(_INVISIBLE_TAGS):
        hidden.decompose()
    for markup in soup.find_all(string=lambda string: isinstance(string, PreformattedString)):
        markup.extract()  # comments, doctype, CDATA: never displayed
    _collapse_whitespace(soup)
    for image in soup.find_all("img"):
        image.replace_with(image.get("alt") or "")
    for line_break in soup.find_all("br"):
        line_break.replace_with("\n")
    for block in soup.find_all(_BLOCK_TAGS):
        block.insert_before("\n")
        block.insert_after("\n")
    return _tidy_lines(soup.get_text())


def _collapse_whitespace(soup: BeautifulSoup) -> None:
    # Browsers render runs of whitespace (source line breaks included) as one space, except inside <pre>.
    for string in soup.find_all(string=True):
        if isinstance(string, NavigableString) and not string.find_parent("pre"):
            collapsed = re.sub(r"\s+", " ", str(string))
            if collapsed != string:
                string.replace_with(collapsed)


def _tidy_lines(text: str) -> str:
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# --- required elements -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RenderedEmail:
    text: str
    html: str | None
    clinic: ClinicIdentity
    list_unsubscribe_url: str | None


def check_required_elements(
    rendered_text: str,
    *,
    html: str | None,
    clinic: ClinicIdentity,
    list_unsubscribe_url: str | None,
    rule_set: RuleSet | None = None,
) -> list[Finding]:
    """A block finding (rule "required-<id>", empty span) for each element the rendered email lacks.

    rendered_text: the plain-text email (subject, body and footer). html: the HTML part, where the
    unsubscribe and privacy links are looked for (<a href> whose text or URL names them); without it they are
    looked for in the text as a keyword and a URL on the same line. The accepted footer phrases are listed in
    rules.yaml under `required_elements`.
    """
    rule_set = rule_set or default_rules()
    email = _RenderedEmail(rendered_text.translate(_STRAIGHTEN), html, clinic, list_unsubscribe_url)
    findings = []
    for element in rule_set.required_elements:
        problem = _PROBLEM_FINDERS[element.check](element, email)
        if problem:
            findings.append(_missing_element(element, problem))
    return findings


def _missing_element(element: RequiredElement, problem: str) -> Finding:
    return Finding(
        rule=f"required-{element.id}",
        severity="block",
        start=0,
        end=0,
        text="",
        why=element.why_for(problem),
        suggestion=element.suggestion,
    )


def _text_problem(element: RequiredElement, email: _RenderedEmail) -> str | None:
    if element.when and not _any_match(element.when, email.text):
        return None
    return None if _any_match(element.patterns, email.text) else "missing"


def _link_problem(element: RequiredElement, email: _RenderedEmail) -> str | None:
    if email.html is None:
        found = any(_line_links(element, line) for line in email.text.splitlines())
    else:
        anchors = BeautifulSoup(email.html, "html.parser").find_all("a", href=True)
        found = any(_anchor_links(element, anchor) for anchor in anchors)
    return None if found else "missing"


# A URL, a mailto: address, or a per-recipient placeholder the provider fills in ("{{unsubscribe_url}}").
_LINK_TARGET = re.compile(r"https?://\S+|mailto:\S+|\{\{[^}]+\}\}", re.IGNORECASE)


def _line_links(element: RequiredElement, line: str) -> bool:
    return _any_match(element.patterns, line) and bool(_LINK_TARGET.search(line))


def _anchor_links(element: RequiredElement, anchor: Tag) -> bool:
    href = anchor["href"].strip()
    # "#" and javascript: links lead nowhere from an email.
    usable = bool(href) and not href.startswith("#") and not href.lower().startswith("javascript:")
    return usable and (_any_match(element.patterns, anchor.get_text()) or _any_match(element.patterns, href))


def _legal_name_problem(element: RequiredElement, email: _RenderedEmail) -> str | None:
    name = email.clinic.legal_name
    if not _words(name):
        return "not_configured"
    return None if _contains_words(email.text, name) else "missing"


_ZIP_CODE = re.compile(r"\b\d{5}(?:-\d{4})?\b")


def _postal_address_problem(element: RequiredElement, email: _RenderedEmail) -> str | None:
    address = email.clinic.postal_address
    if not _words(address):
        return "not_configured"
    if _words(email.clinic.placeholder_address) and _words(address) == _words(email.clinic.placeholder_address):
        return "placeholder"
    if not _ZIP_CODE.search(address):
        return "not_postal"
    return None if _contains_words(email.text, address) else "missing"


def _list_unsubscribe_problem(element: RequiredElement, email: _RenderedEmail) -> str | None:
    url = (email.list_unsubscribe_url or "").strip()
    if not url:
        return "missing"
    return None if url.lower().startswith("https://") else "not_https"


_PROBLEM_FINDERS = {
    "text": _text_problem,
    "link": _link_problem,
    "legal_name": _legal_name_problem,
    "postal_address": _postal_address_problem,
    "list_unsubscribe": _list_unsubscribe_problem,
}


def _words(text: str) -> str:
    """Lower-case words joined by single spaces: punctuation and line breaks don't matter for a match."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _contains_words(haystack: str, needle: str) -> bool:
    return f" {_words(needle)} " in f" {_words(haystack)} "
