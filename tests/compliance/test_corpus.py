"""The labelled corpus (tests/compliance/corpus/sentences.tsv): every block blocked, no clean sentence blocked,
flag recall at least 95%; and the library match threshold separates the measured pairs."""

from pathlib import Path

import pytest

from service.compliance import check_claims, has_blocking
from service.compliance.library_match import MATCH_THRESHOLD, similarity

CORPUS = Path(__file__).with_name("corpus")


def _rows(name: str, columns: int) -> list[list[str]]:
    lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    assert all(len(row) == columns for row in rows), name
    return rows


SENTENCES = _rows("sentences.tsv", 2)


def _labelled(label: str) -> list[str]:
    return [sentence for row_label, sentence in SENTENCES if row_label == label]


def test_the_corpus_is_large_enough_and_labelled():
    assert len(SENTENCES) >= 200
    assert {label for label, _ in SENTENCES} == {"block", "flag", "clean"}
    assert len(set(sentence for _, sentence in SENTENCES)) == len(SENTENCES), "a sentence is listed twice"


@pytest.mark.parametrize("sentence", _labelled("block"))
def test_every_block_sentence_is_blocked(sentence):
    assert has_blocking(check_claims(sentence)), sentence


@pytest.mark.parametrize("sentence", _labelled("clean"))
def test_no_clean_sentence_is_blocked(sentence):
    assert not has_blocking(check_claims(sentence)), [f.rule for f in check_claims(sentence)]


def test_flag_recall_is_at_least_95_percent():
    flagged = _labelled("flag")
    missed = [sentence for sentence in flagged if not check_claims(sentence)]
    assert 1 - len(missed) / len(flagged) >= 0.95, missed


def test_the_match_threshold_separates_paraphrases_from_near_misses():
    pairs = _rows("library_pairs.tsv", 3)
    for label, wording, sentence in pairs:
        score = similarity(sentence, wording)
        assert (score >= MATCH_THRESHOLD) == (label == "yes"), (label, score, sentence)
