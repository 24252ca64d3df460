"""End-to-end figures on the annotated corpus and on the real MTSamples reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.check import Checker
from nlp.evaluate import load_annotated, score

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"
VERDICTS = {"supported", "query", "not_supported"}
REASONS = {"PRIMARY_NOT_QUALIFYING", "CLAIMED_PRIMARY_INVALID", "NO_FIXATION_APPLIED",
           "FIXATION_NOT_FEMUR", "DEVICE_TYPE_MISSING", "DEVICE_COUNT_MISSING",
           "DEVICE_SITE_MISSING", "LATERALITY_MISSING"}


def run(checker: Checker, path: Path):
    rows = load_annotated(path)
    results = [checker.check(r["text"], r.get("primary")) for r in rows]
    return score(rows, results)


@pytest.mark.parametrize("split", ["train", "dev", "test", "shift6", "shift7", "shift8"])
def test_corpus_file_is_well_formed(split: str) -> None:
    rows = load_annotated(ROOT / "corpus" / f"{split}.jsonl")
    assert rows
    for r in rows:
        exp = r["expected"]
        assert exp["verdict"] in VERDICTS
        assert set(exp["reasons"]) <= REASONS
        assert (exp["verdict"] == "supported") == (exp["reasons"] == [])


def test_corpus_coverage() -> None:
    rows = [r for s in ("train", "dev", "test")
            for r in load_annotated(ROOT / "corpus" / f"{s}.jsonl")]
    assert len(rows) >= 150
    verdicts = [r["expected"]["verdict"] for r in rows]
    for v in VERDICTS:
        assert verdicts.count(v) >= len(rows) // 4
    for code in REASONS:
        assert sum(code in r["expected"]["reasons"] for r in rows) >= 5, code


def test_test_split_meets_the_acceptance_figures(checker: Checker) -> None:
    s = run(checker, ROOT / "corpus" / "test.jsonl")
    assert s.false_supported == 0, s.false_supported_ids
    assert s.verdict_accuracy >= 0.97
    assert s.device_f1 >= 0.97
    assert s.count_accuracy >= 0.95


@pytest.mark.skipif(not (EXTERNAL / "mtsamples_ortho_gold.jsonl").exists(),
                    reason="../shared/external not present")
def test_mtsamples_gold_figures(checker: Checker) -> None:
    s = run(checker, EXTERNAL / "mtsamples_ortho_gold.jsonl")
    assert s.false_supported == 0
    assert s.device_f1 >= 0.90
    assert s.count_accuracy >= 0.90
    assert s.verdict_accuracy == 1.0


@pytest.mark.skipif(not (EXTERNAL / "mtsamples_ortho.jsonl").exists(),
                    reason="../shared/external not present")
@pytest.mark.parametrize("primary", [None, "27355", "27357"])
def test_no_mtsamples_report_supports_27358(checker: Checker, primary: str | None) -> None:
    lines = (EXTERNAL / "mtsamples_ortho.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 117
    supported = [r["id"] for r in rows if checker.check(r["text"], primary).verdict == "supported"]
    assert supported == []


@pytest.mark.parametrize(("name", "floor"), [
    ("shift", 0.95), ("shift2", 0.95), ("shift3", 0.95), ("shift4", 0.95), ("shift5", 0.90),
    ("shift6", 0.95), ("shift7", 0.95), ("shift8", 0.90)])
def test_style_shift_sets_have_no_false_supported(checker: Checker, name: str,
                                                  floor: float) -> None:
    """Reports in styles the rules were not first written for; the near-miss sets (shift4,
    shift5) differ from supported reports by one thing each."""
    s = run(checker, ROOT / "corpus" / f"{name}.jsonl")
    assert s.false_supported == 0, s.false_supported_ids
    assert s.verdict_accuracy >= floor
