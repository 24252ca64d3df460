"""The saved pipeline: disk round-trip, spacy.load, and nlp.pipe(n_process=2)."""

from __future__ import annotations

import json
from pathlib import Path

import spacy

from nlp.check import Checker
from nlp.extract import facts_from_doc
from nlp.pipeline import build

ROOT = Path(__file__).resolve().parent.parent


def corpus_texts(n: int = 12) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "dev.jsonl").read_text().splitlines()]
    return [r["text"] for r in rows[:n]]


def test_pipeline_order_and_components(checker: Checker) -> None:
    assert checker.nlp.pipe_names == [
        "opnote_sentences", "opnote_sections", "opnote_entities", "opnote_context",
        "opnote_devices", "opnote_procedure"]


def test_disk_round_trip_gives_the_same_facts(tmp_path: Path, checker: Checker) -> None:
    nlp = build()
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert loaded.pipe_names == nlp.pipe_names
    assert (tmp_path / "model" / "opnote_entities" / "patterns").exists()
    for text in corpus_texts(6):
        assert facts_from_doc(loaded(text)) == facts_from_doc(checker.nlp(text))


def test_tokenizer_survives_round_trip(tmp_path: Path) -> None:
    nlp = build()
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    words = [t.text for t in loaded.make_doc("screws (n=8); x3 4.5mm 8-hole QTY:2")]
    assert words == ["screws", "(", "n", "=", "8", ")", ";", "x", "3", "4.5", "mm", "8", "-",
                     "hole", "QTY", ":", "2"]


def test_pipe_with_two_processes_matches_one(checker: Checker) -> None:
    texts = corpus_texts(8)
    single = [facts_from_doc(d) for d in checker.nlp.pipe(texts)]
    multi = [facts_from_doc(d) for d in checker.nlp.pipe(texts, n_process=2, batch_size=2)]
    assert single == multi


def test_lesion_names_match_in_the_plural(checker: Checker) -> None:
    text = ("Indication: two non-ossifying fibromas of the left distal femur.\n"
            "Operation: curettage and allograft, left distal femur, with plate and six screws.")
    report = checker.nlp(text)._.opnote_report
    assert report["primary_procedure"] == "femur_lesion_excision"


def test_an_iliac_crest_allograft_is_an_allograft(checker: Checker) -> None:
    doc = checker.nlp("A tricortical iliac crest allograft wedge was press-fit into the "
                      "osteotomy of the medial cuneiform.")
    assert doc._.opnote_report["graft"] == "allograft"


def test_l_df_is_the_distal_femur(checker: Checker) -> None:
    doc = checker.nlp("Dx: NOF L DF, eccentric, painful.\nProc: (1) curettage NOF L DF; (2) DBM "
                      "grafting; (3) plate fixation L DF.\n\nA 6-hole plate was applied to the "
                      "L DF with six screws.")
    assert doc._.opnote_report["primary_procedure"] == "femur_lesion_excision"
    ankle = checker.nlp("Ankle DF limited to 10 degrees; PF normal.")
    assert [s for s in ankle.spans["opnote"] if s.label_ == "BONE"] == []
