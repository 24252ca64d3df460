"""The gated span ruler gives spaCy's SpanRuler output while skipping needless Matcher runs."""

from __future__ import annotations

import spacy
from spacy.pipeline.span_ruler import SpanRuler

from nlp.check import Checker
from nlp.components.span_ruler import GatedSpanRuler, literal_first_tokens

PATTERNS = [
    {"label": "PROC", "id": "fracture", "pattern": [{"ORTH": "#"}, {"IS_ALPHA": True}]},
    {"label": "DEVICE", "id": "nail", "pattern": [{"TEXT": {"IN": ["TEN", "ESIN"]}}]},
    {"label": "DEVICE", "id": "plate", "pattern": "locking plate"},
]


def spans(doc_spans: list) -> list[tuple[int, int, str, str]]:
    return [(s.start, s.end, s.label_, s.id_) for s in doc_spans]


def test_literal_first_tokens_collects_words_or_gives_up() -> None:
    assert literal_first_tokens(PATTERNS) == {"#", "TEN", "ESIN"}
    assert literal_first_tokens([{"label": "X", "pattern": [{"LOWER": "ten"}]}]) is None
    assert literal_first_tokens([{"label": "X", "pattern": [{"ORTH": "a", "OP": "?"}]}]) is None
    assert literal_first_tokens([{"label": "X", "pattern": "phrase only"}]) == set()


def test_same_spans_as_spacy_span_ruler() -> None:
    nlp = spacy.blank("en")
    gated = nlp.add_pipe("opnote_span_ruler",
                         config={"spans_key": "k", "phrase_matcher_attr": "LOWER"})
    assert isinstance(gated, GatedSpanRuler)
    gated.add_patterns(PATTERNS)
    texts = ["A Locking Plate was applied.", "Two TEN were passed; # femur noted.",
             "ten screws, no nail", "#NOF with a locking plate", ""]
    for text in texts:
        doc = nlp.make_doc(text)
        assert spans(gated.match(doc)) == spans(SpanRuler.match(gated, doc)), text
    assert spans(gated.match(nlp.make_doc("Two TEN were passed")))[0][2:] == ("DEVICE", "nail")


def test_new_patterns_reopen_the_gate() -> None:
    nlp = spacy.blank("en")
    gated = nlp.add_pipe("opnote_span_ruler", config={"spans_key": "k"})
    gated.add_patterns(PATTERNS)
    doc = nlp.make_doc("Two Kirschner wires")
    assert gated.match(doc) == []
    wire = [{"ORTH": "Kirschner"}, {"ORTH": "wires"}]
    gated.add_patterns([{"label": "DEVICE", "id": "wire", "pattern": wire}])
    assert spans(gated.match(doc)) == [(1, 3, "DEVICE", "wire")]
    gated.add_patterns([{"label": "X", "pattern": [{"IS_DIGIT": True}]}])
    assert spans(gated.match(nlp.make_doc("3 wires"))) == [(0, 1, "X", "")]


def test_a_first_word_that_needs_a_word_after_it_gates_on_both(checker: Checker) -> None:
    """"#" starts the shorthand "# of femur" only before a word: "#2-0 Vicryl" and "#15
    blade" cannot match, "# of the left femur" still does."""
    ruler = checker.nlp.get_pipe("opnote_entities")
    ruler._anchor_hashes()
    sutures = checker.nlp.make_doc("Closed with #2-0 Vicryl; #15 blade used.")
    fracture = checker.nlp.make_doc("Pathological # of the left femur through a cyst.")
    assert not ruler._may_match(sutures, ruler._anchors)
    assert ruler._may_match(fracture, ruler._anchors)
    assert any(s.label_ == "PROC" and s.text.startswith("#") for s in ruler.match(fracture))
