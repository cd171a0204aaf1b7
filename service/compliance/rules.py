"""The claims-check rule set: read from rules.yaml, validated, compiled once and cached.

A malformed file raises `RuleFileError` naming the entry and the field, so a bad edit fails at the first
check (and in the test suite) rather than silently dropping a rule.
"""

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

RULES_PATH = Path(__file__).with_name("rules.yaml")
SEVERITIES = ("block", "warn")
# "link" is one URL taken from an href; the others are the rendered text of a subject, an email body or a post.
CONTEXTS = ("subject", "body", "post", "link")
DEFAULT_CONTEXTS = ("subject", "body", "post")
# How a required element is proved present; see check.py for what each one looks at.
REQUIRED_CHECKS = ("text", "link", "legal_name", "postal_address", "list_unsubscribe")
PROBLEM_CODES = ("missing", "not_configured", "placeholder", "not_postal", "not_https")

_TERM_REFERENCE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_RULE_FIELDS = {"id", "severity", "patterns", "why", "suggestion"}
_RULE_OPTIONAL = {"contexts", "requires", "unless", "unless_in_text", "substantiable"}
_ELEMENT_FIELDS = {"id", "check", "why", "suggestion"}
_ELEMENT_OPTIONAL = {"patterns", "when", "problems"}
_TOP_LEVEL = {"version", "terms", "rules", "required_elements"}


class RuleFileError(ValueError):
    """rules.yaml does not follow its schema."""


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    patterns: tuple[re.Pattern[str], ...]
    why: str
    suggestion: str
    contexts: frozenset[str]
    # A finding needs one of `requires` in the same sentence, and none of `unless` there.
    requires: tuple[re.Pattern[str], ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()
    # A disclosure anywhere in the checked text suppresses the rule (testimonials + "results vary").
    unless_in_text: tuple[re.Pattern[str], ...] = ()
    # A library claim with its evidence can back a finding of this rule; the others never go out as written.
    substantiable: bool = False


@dataclass(frozen=True)
class RequiredElement:
    id: str
    check: str
    why: str
    suggestion: str
    patterns: tuple[re.Pattern[str], ...] = ()
    # When set, the element is required only if one of these matches the email's text.
    when: tuple[re.Pattern[str], ...] = ()
    # Extra explanations keyed by problem code, put in front of `why`.
    problems: tuple[tuple[str, str], ...] = ()

    def why_for(self, problem: str) -> str:
        detail = dict(self.problems).get(problem)
        return f"{detail} {self.why}" if detail else self.why


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    required_elements: tuple[RequiredElement, ...]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@functools.cache
def default_rules() -> RuleSet:
    """The shipped rules.yaml, parsed once per process."""
    return load_rules(RULES_PATH)


def load_rules(path: Path) -> RuleSet:
    with path.open(encoding="utf-8") as rules_file:
        return parse_rule_set(yaml.safe_load(rules_file))


def parse_rule_set(data: object) -> RuleSet:
    """Validate the YAML document's data and compile it; raises RuleFileError."""
    _check_fields(data, "rules file", required={"rules", "required_elements"}, optional=_TOP_LEVEL)
    terms = _parse_terms(data.get("terms") or {})
    rules = tuple(_parse_rule(entry, index, terms) for index, entry in enumerate(_entries(data, "rules")))
    elements = tuple(
        _parse_element(entry, index, terms) for index, entry in enumerate(_entries(data, "required_elements"))
    )
    _check_unique_ids(rules, "rules")
    _check_unique_ids(elements, "required_elements")
    return RuleSet(rules=rules, required_elements=elements)


def _entries(data: Mapping, key: str) -> list:
    entries = data[key]
    if not isinstance(entries, list) or not entries:
        raise RuleFileError(f"{key}: must be a non-empty list")
    return entries


def _parse_terms(raw: object) -> dict[str, str]:
    """Named regex fragments, written {{name}} in patterns; a term may use the terms defined before it."""
    if not isinstance(raw, Mapping):
        raise RuleFileError("terms: must be a mapping of name to pattern or list of alternatives")
    terms: dict[str, str] = {}
    for name, value in raw.items():
        alternatives = value if isinstance(value, list) else [value]
        if not alternatives or not all(isinstance(item, str) and item.strip() for item in alternatives):
            raise RuleFileError(f"terms.{name}: must be a non-empty string or list of strings")
        terms[name] = _expand_terms("|".join(alternatives), terms, f"terms.{name}")
        _compile(terms[name], f"terms.{name}")
    return terms


def _parse_rule(entry: object, index: int, terms: dict[str, str]) -> Rule:
    where = _where("rules", index, entry)
    _check_fields(entry, where, required=_RULE_FIELDS, optional=_RULE_OPTIONAL)
    return Rule(
        id=_text(entry, "id", where),
        severity=_choice(entry, "severity", where, SEVERITIES),
        patterns=_patterns(entry, "patterns", where, terms),
        why=_text(entry, "why", where),
        suggestion=_text(entry, "suggestion", where),
        contexts=_contexts(entry, where),
        requires=_patterns(entry, "requires", where, terms, optional=True),
        unless=_patterns(entry, "unless", where, terms, optional=True),
        unless_in_text=_patterns(entry, "unless_in_text", where, terms, optional=True),
        substantiable=_flag(entry, "substantiable", where),
    )


def _parse_element(entry: object, index: int, terms: dict[str, str]) -> RequiredElement:
    where = _where("required_elements", index, entry)
    _check_fields(entry, where, required=_ELEMENT_FIELDS, optional=_ELEMENT_OPTIONAL)
    check = _choice(entry, "check", where, REQUIRED_CHECKS)
    patterns = _patterns(entry, "patterns", where, terms, optional=check not in ("text", "link"))
    return RequiredElement(
        id=_text(entry, "id", where),
        check=check,
        why=_text(entry, "why", where),
        suggestion=_text(entry, "suggestion", where),
        patterns=patterns,
        when=_patterns(entry, "when", where, terms, optional=True),
        problems=_problems(entry, where),
    )


def _where(section: str, index: int, entry: object) -> str:
    name = entry.get("id") if isinstance(entry, Mapping) else None
    return f"{section}[{index}]" + (f" ({name})" if name else "")


def _check_fields(entry: object, where: str, *, required: set[str], optional: set[str]) -> None:
    if not isinstance(entry, Mapping):
        raise RuleFileError(f"{where}: must be a mapping")
    missing = sorted(required - entry.keys())
    if missing:
        raise RuleFileError(f"{where}: missing {', '.join(missing)}")
    # Unknown keys are usually typos ("unles:") that would silently disable part of a rule.
    unknown = sorted(set(entry.keys()) - required - optional)
    if unknown:
        raise RuleFileError(f"{where}: unknown field {', '.join(map(str, unknown))}")


def _text(entry: Mapping, key: str, where: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise RuleFileError(f"{where}: {key} must be a non-empty string")
    return " ".join(value.split())


def _choice(entry: Mapping, key: str, where: str, allowed: tuple[str, ...]) -> str:
    value = entry[key]
    if value not in allowed:
        raise RuleFileError(f"{where}: {key} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _flag(entry: Mapping, key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise RuleFileError(f"{where}: {key} must be true or false")
    return value


def _contexts(entry: Mapping, where: str) -> frozenset[str]:
    contexts = entry.get("contexts", list(DEFAULT_CONTEXTS))
    if not isinstance(contexts, list) or not contexts or not set(contexts) <= set(CONTEXTS):
        raise RuleFileError(f"{where}: contexts must be a non-empty list drawn from {', '.join(CONTEXTS)}")
    return frozenset(contexts)


def _problems(entry: Mapping, where: str) -> tuple[tuple[str, str], ...]:
    problems = entry.get("problems", {})
    if not isinstance(problems, Mapping):
        raise RuleFileError(f"{where}: problems must be a mapping of problem code to explanation")
    for code, explanation in problems.items():
        if code not in PROBLEM_CODES or not isinstance(explanation, str) or not explanation.strip():
            raise RuleFileError(f"{where}: problems.{code} is not a known problem with an explanation")
    return tuple((code, " ".join(text.split())) for code, text in problems.items())


def _patterns(
    entry: Mapping, key: str, where: str, terms: dict[str, str], *, optional: bool = False
) -> tuple[re.Pattern[str], ...]:
    if key not in entry and optional:
        return ()
    raw = entry.get(key)
    if not isinstance(raw, list) or not raw or not all(isinstance(item, str) and item for item in raw):
        raise RuleFileError(f"{where}: {key} must be a non-empty list of strings")
    return tuple(
        _compile(_expand_terms(pattern, terms, f"{where} {key}[{i}]"), f"{where} {key}[{i}]")
        for i, pattern in enumerate(raw)
    )


def _expand_terms(pattern: str, terms: dict[str, str], where: str) -> str:
    def substitute(reference: re.Match[str]) -> str:
        name = reference.group(1)
        if name not in terms:
            raise RuleFileError(f"{where}: unknown term {{{{{name}}}}}")
        return f"(?:{terms[name]})"

    return _TERM_REFERENCE.sub(substitute, pattern)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise RuleFileError(f"{where}: does not compile: {error}") from None
    # A pattern that matches nothing at all would report empty findings everywhere.
    if compiled.fullmatch(""):
        raise RuleFileError(f"{where}: matches the empty string")
    return compiled


def _check_unique_ids(items: tuple[Rule, ...] | tuple[RequiredElement, ...], section: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise RuleFileError(f"{section}: id {item.id!r} is used twice")
        seen.add(item.id)
