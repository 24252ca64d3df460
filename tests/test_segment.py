"""Sentence, line and section rules for operative notes."""

from __future__ import annotations

from nlp.resources import section_headings
from nlp.segment import find_sections, heading_category, sentence_starts, table_quantities

HEADINGS = section_headings()


def sentences(text: str) -> list[str]:
    starts = sentence_starts(text) + [len(text)]
    pieces = [text[a:b].strip() for a, b in zip(starts, starts[1:], strict=False)]
    return [p for p in pieces if p]


def test_unit_abbreviations_end_sentences() -> None:
    text = "Irrigated with 500 mL. No complications. A 40 mm. screw was used."
    assert sentences(text)[1] == "No complications."


def test_list_items_and_headings_are_units() -> None:
    text = "PROCEDURE: Curettage.\n1. Curettage of femur\n2. Plate fixation\nIMPLANTS: plate x1"
    assert sentences(text) == ["PROCEDURE:", "Curettage.", "1. Curettage of femur",
                               "2. Plate fixation", "IMPLANTS:", "plate x1"]


def test_hard_wrapped_lines_continue_a_sentence() -> None:
    text = ("The plate was applied to the lateral aspect of the distal femur and\n"
            "fixed with six screws.")
    assert len(sentences(text)) == 1


def test_sections_and_heading_variants() -> None:
    text = ("PREOPERATIVE DIAGNOSIS: UBC left femur\nProcedure(s) performed today (stage 2):\n"
            "1. Curettage\n\nDescription of procedure: The lesion was curetted.\n"
            "Implants used: plate\nPlan: WBAT")
    cats = [s[3] for s in find_sections(text, HEADINGS)]
    assert cats == ["diagnosis", "procedure", "description", "implants", "plan"]
    assert heading_category("op summary", HEADINGS) == "description"
    noted = ("Steps: screws placed.\n"
             "Implants (circulating record, not itemised per bone):\n- plate: 1")
    assert [s[3] for s in find_sections(noted, HEADINGS)] == ["description", "implants"]
    panels = "INDICATIONS: NOF.\nPROCEDURE, PANEL 1 (tibial tubercle osteotomy): screws placed."
    assert [s[3] for s in find_sections(panels, HEADINGS)] == ["indications", "procedure"]
    assert heading_category("the patient tolerated the procedure well and", HEADINGS) is None


def test_long_procedure_section_is_narrative() -> None:
    body = "The patient was positioned supine. " * 30
    text = f"PROCEDURE: {body}\nIMPLANTS: plate"
    assert [s[3] for s in find_sections(text, HEADINGS)][:1] == ["description"]


def test_table_quantities() -> None:
    text = "| Item | Qty |\n|---|---|\n| Screw 5.0 | 4 |\n| Plate | 1 |\nafter"
    rows = table_quantities(text)
    assert sorted(q for q, _, _ in rows.values()) == [1, 4]


def test_inline_field_ends_where_unheaded_narrative_starts() -> None:
    text = ("Op: Curettage and screw fixation\nDx: UBC of the femur, age 15\n"
            "Under GA, supine. Two cannulated screws were inserted.\nWires removed.")
    cats = [(s[3], text[s[1]:s[2]].strip()[:12]) for s in find_sections(text, HEADINGS)]
    assert cats[:2] == [("procedure", "Curettage an"), ("diagnosis", "UBC of the f")]
    assert cats[2][0] == "description"


def test_field_with_list_items_keeps_them() -> None:
    text = "PROCEDURES:\n1. Curettage of femur\n2. Plate fixation\nThe patient was supine."
    assert [s[3] for s in find_sections(text, HEADINGS)][:1] == ["procedure"]
