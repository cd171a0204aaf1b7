"""Benchmark: the claims check on the labelled corpus, the library match threshold, and a 2,000-word article.

    .venv/bin/python bench/claims.py [--words 2000] [--runs 5] [--show-misses]

Reads tests/compliance/corpus/sentences.tsv (block / flag / clean, one sentence a row) and prints:
- block recall: block sentences with a block finding (goal 100%);
- flag recall: flag sentences with any finding (goal >= 95%);
- false blocks: clean sentences with a block finding (goal 0); clean sentences with a warning, for information;
- the library match: rapidfuzz scores of tests/compliance/corpus/library_pairs.tsv, lowest "yes" and highest
  "no", the margin, and whether MATCH_THRESHOLD (service/compliance/library_match.py) separates them;
- the median time to check an article of about --words words (goal under 200 ms);
- what lemmatisation gives: flag recall with simplemma's lemmas replaced by the lower-cased words.
Ends with one JSON line of those figures.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import service.compliance.structure as structure  # noqa: E402
from service.compliance import check_claims, has_blocking  # noqa: E402
from service.compliance.library_match import MATCH_THRESHOLD, similarity  # noqa: E402

CORPUS = ROOT / "tests" / "compliance" / "corpus"


def read_rows(path: Path, columns: int) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) != columns:
                raise SystemExit(f"{path.name}: expected {columns} tab-separated fields: {line!r}")
            rows.append(fields)
    return rows


def corpus_figures(show_misses: bool) -> dict:
    rows = read_rows(CORPUS / "sentences.tsv", 2)
    counts = {"block": [0, 0], "flag": [0, 0], "clean": [0, 0, 0]}
    for label, sentence in rows:
        findings = check_claims(sentence)
        blocked, found = has_blocking(findings), bool(findings)
        counts[label][0] += 1
        if label == "block":
            counts[label][1] += blocked
            missed = not blocked
        elif label == "flag":
            counts[label][1] += found
            missed = not found
        else:
            counts[label][1] += blocked
            counts[label][2] += found and not blocked
            missed = blocked
        if show_misses and (missed or (label == "clean" and found)):
            print(f"  {'MISS' if missed else 'warn'} {label}: {sentence} -> {[f.rule for f in findings]}")
    return {
        "sentences": len(rows),
        "block_recall": counts["block"][1] / counts["block"][0],
        "flag_recall": counts["flag"][1] / counts["flag"][0],
        "false_blocks": counts["clean"][1],
        "clean_warned": counts["clean"][2],
        "clean": counts["clean"][0],
    }


def threshold_figures() -> dict:
    pairs = read_rows(CORPUS / "library_pairs.tsv", 3)
    yes = [similarity(sentence, wording) for label, wording, sentence in pairs if label == "yes"]
    no = [similarity(sentence, wording) for label, wording, sentence in pairs if label == "no"]
    return {
        "pairs": len(pairs),
        "lowest_match": round(min(yes), 1),
        "highest_non_match": round(max(no), 1),
        "midpoint": round((min(yes) + max(no)) / 2, 1),
        "threshold": MATCH_THRESHOLD,
        "separates": max(no) < MATCH_THRESHOLD <= min(yes),
    }


def article_of(words: int) -> str:
    sentences = [sentence for _, sentence in read_rows(CORPUS / "sentences.tsv", 2)]
    paragraphs, count, index = [], 0, 0
    while count < words:
        paragraph = " ".join(sentences[(index + step) % len(sentences)] for step in range(5))
        paragraphs.append(paragraph)
        count += len(paragraph.split())
        index += 5
    return "\n\n".join(paragraphs)


def article_ms(words: int, runs: int) -> float:
    article = article_of(words)
    check_claims(article)  # warm-up: the rules and the lemma data load once per process
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        check_claims(article)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def without_lemmas(show_misses: bool) -> dict:
    """The corpus figures with every word its own lemma: what simplemma adds over plain word lists."""
    original = structure.lemma_of
    structure.lemma_of = str.lower
    try:
        return corpus_figures(show_misses)
    finally:
        structure.lemma_of = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    figures = corpus_figures(args.show_misses)
    print(f"corpus: {figures['sentences']} sentences")
    print(f"block recall {figures['block_recall']:.1%} (goal 100%)")
    print(f"flag recall  {figures['flag_recall']:.1%} (goal >= 95%)")
    print(
        f"false blocks {figures['false_blocks']} of {figures['clean']} clean (goal 0); {figures['clean_warned']} warned"
    )
    match = threshold_figures()
    print(
        f"library match: lowest paraphrase {match['lowest_match']}, highest near miss {match['highest_non_match']} "
        f"(midpoint {match['midpoint']}); threshold {match['threshold']} "
        f"{'separates them' if match['separates'] else 'DOES NOT separate them'}"
    )
    milliseconds = article_ms(args.words, args.runs)
    print(f"{args.words}-word article: {milliseconds:.1f} ms median of {args.runs} (goal < 200 ms)")
    plain = without_lemmas(False)
    print(
        f"without lemmas: block recall {plain['block_recall']:.1%}, flag recall {plain['flag_recall']:.1%}, "
        f"false blocks {plain['false_blocks']}"
    )
    timing = {"article_words": args.words, "article_ms": round(milliseconds, 1)}
    lemmas = {key: plain[key] for key in ("block_recall", "flag_recall", "false_blocks")}
    print(json.dumps({**figures, "library_match": match, **timing, "without_lemmas": lemmas}))


if __name__ == "__main__":
    main()
