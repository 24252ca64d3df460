"""ConText-style status of device mentions: the traps the SPEC names."""

from __future__ import annotations

import pytest

from nlp.check import Checker
from nlp.context import Trigger, prepare, status_of
from nlp.extract import facts_from_doc


def statuses(checker: Checker, text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for d in facts_from_doc(checker.nlp(text)).devices:
        out.setdefault(d.type, set()).add(d.status)
    return out


@pytest.mark.parametrize(("text", "device", "status"), [
    ("The old plate was removed from the femur.", "plate", "removed"),
    ("Removal of the retained plate and screws, left femur.", "plate", "removed"),
    ("We will consider plate fixation of the femur if the defect is large.", "plate", "planned"),
    ("Prophylactic nailing of the femur was discussed but deferred.", "nail", "planned"),
    ("No plate was required for the femur.", "plate", "negated"),
    ("The femur was not fixed with a plate.", "plate", "negated"),
    ("She has a retained plate from a prior ORIF of the femur.", "plate", "historical"),
    ("Two K-wires were placed provisionally across the femur.", "wire", "provisional"),
    ("A plate was applied to the lateral femur.", "plate", "applied"),
    ("No screws crossed the physis of the femur; two screws were placed.", "screw", "applied"),
    # a list's comma does not end what was only discussed
    ("After discussing observation, nailing and plating she chose curettage of the femur.",
     "nail", "planned"),
])
def test_status_traps(checker: Checker, text: str, device: str, status: str) -> None:
    assert status in statuses(checker, text)[device]


def test_a_plate_held_temporarily_by_wires_is_applied(checker: Checker) -> None:
    text = ("A 6-hole proximal femoral locking plate was selected. Two K-wires were passed to "
            "hold the plate temporarily on the femur, and the plate was then fixed with six "
            "screws. The K-wires were removed.")
    found = statuses(checker, text)
    assert found["plate"] == {"applied"}
    assert "applied" not in found["wire"]


def test_an_operation_planned_heading_is_a_plan(checker: Checker) -> None:
    text = ("Operation planned: curettage, grafting and fixation by 3 cannulated screws.\n"
            "Operation done: curettage of the femoral cyst and filling with calcium sulphate.\n"
            "After discussion with the senior, fixation was not done.")
    assert "applied" not in statuses(checker, text).get("screw", set())


def test_wires_removed_in_a_clause_after_a_semicolon_were_provisional(
        checker: Checker) -> None:
    text = ("Two 1.6 mm K-wires placed across the femoral neck to protect it during curettage; "
            "both removed before closure. Screws would have had to cross the physis.")
    found = statuses(checker, text)
    assert "applied" not in found["wire"]
    assert "applied" not in found.get("screw", set())


def test_removal_months_later_leaves_the_nails_applied(checker: Checker) -> None:
    text = ("Fixation: 2 x 3.5 TEN, retrograde into the left femur.\n"
            "Recheck: XR 2/52. Remove TENs ~6-9 mo once healed.")
    doc = checker.nlp(text)
    nails = [d for d in facts_from_doc(doc).devices if d.type == "nail"]
    assert [(d.count, d.status) for d in nails if d.status == "applied"] == [(2, "applied")]


def test_a_trigger_before_its_noun_does_not_reach_back(checker: Checker) -> None:
    """"...five screws in the diaphysis, the provisional wires being removed": the wires."""
    text = ("A plate was applied to the femur with two provisional K-wires and fixed with five "
            "locking screws in the diaphysis, the provisional wires being removed.")
    assert statuses(checker, text)["screw"] == {"applied"}


def test_hardware_failure_does_not_negate(checker: Checker) -> None:
    text = ("A lateral locking plate was applied to the left distal femur with six screws. "
            "There was no evidence of hardware failure.")
    found = statuses(checker, text)
    assert found["plate"] == {"applied"}


def test_wires_placed_then_removed_are_provisional(checker: Checker) -> None:
    text = ("Two K-wires were placed across the left femoral neck. A plate was applied to the "
            "femur with five screws. The K-wires were then removed.")
    found = statuses(checker, text)
    assert "applied" not in found["wire"]
    assert found["plate"] == {"applied"}


@pytest.mark.parametrize(("text", "wire_applied"), [
    ("A 2 mm K-wire held the medial malleolus of the tibia. It was then exchanged for a "
     "40 mm cancellous screw.", False),
    ("A K-wire was driven across the tibial fracture. This was removed once two screws "
     "had been placed.", False),
    ("Two K-wires were placed across the tibial fracture. They will be removed at 6 weeks "
     "in clinic.", True),
    ("A K-wire was placed across the tibial fracture. It was cut short and bent over.", True),
    ("A K-wire was passed into the distal tibia to hold the fragment. It was removed after "
     "the fixation.", False),
])
def test_a_pronoun_sentence_takes_out_the_wire_before_it(
        checker: Checker, text: str, wire_applied: bool) -> None:
    found = statuses(checker, text)
    assert ("applied" in found["wire"]) is wire_applied
    assert found.get("screw", {"applied"}) == {"applied"}


def test_removal_planned_weeks_later_leaves_todays_screws_applied(checker: Checker) -> None:
    text = ("Two positioning screws were placed across the syndesmosis into the tibia.\n\n"
            "Policy: non-weight bearing. Removal of the positioning screws after 8-10 weeks, "
            "to be discussed at the outpatient clinic.")
    doc = checker.nlp(text)
    screws = [d for d in facts_from_doc(doc).devices if d.type == "screw"]
    assert [(d.count, d.status) for d in screws if d.status == "applied"] == [(2, "applied")]
    assert {d.status for d in screws} <= {"applied", "planned"}


def test_it_was_removed_after_another_object_is_not_about_the_wire(checker: Checker) -> None:
    text = ("A K-wire was placed in the tibia and a plate was slid over it. It was removed.")
    assert "applied" in statuses(checker, text)["wire"]


@pytest.mark.parametrize("text", [
    "The wound was closed with staples.",
    "Skin staples were applied to the incision over the femur.",
    "A guide wire was passed into the femur and overreamed.",
    "The external fixator pins were removed from the femur.",
    "The acetabular cup and femoral stem were impacted.",
])
def test_non_devices(checker: Checker, text: str) -> None:
    devices = facts_from_doc(checker.nlp(text)).devices
    assert [d for d in devices if d.status == "applied"] == []


def test_context_algorithm_on_tuples() -> None:
    # tokens: 0 no 1 plate 2 was 3 used 4 ; 5 a 6 screw 7 was 8 placed
    mods, terms = prepare([
        Trigger(0, 1, "NEGATED", "forward", 6),
        Trigger(4, 5, "TERMINATE", "both", 0),
    ])
    assert status_of(1, 2, 0, 9, mods, terms).category == "NEGATED"
    assert status_of(6, 7, 0, 9, mods, terms) is None  # the terminator ends the scope


def test_pseudo_trigger_shadows_negation() -> None:
    mods, terms = prepare([
        Trigger(0, 1, "NEGATED", "forward", 6),
        Trigger(0, 3, "PSEUDO", "forward", 1),
    ])
    assert status_of(3, 4, 0, 6, mods, terms) is None


@pytest.mark.parametrize(("text", "device"), [
    ("Implants: [x] plate  [ ] nail  [ ] wires; plate applied to the left distal femur.", "nail"),
    ("A sliding hip screw construct was templated for the left femoral neck and made "
     "available.", "sliding_hip_screw"),
    ("He had it fixed elsewhere with a long lateral plate on the left femur.", "plate"),
])
def test_not_applied_in_this_operation(checker: Checker, text: str, device: str) -> None:
    assert "applied" not in statuses(checker, text).get(device, set())


def test_right_angle_retractor_is_not_a_side(checker: Checker) -> None:
    doc = checker.nlp("A right-angle retractor was placed. The femoral cyst was curetted and "
                      "a plate applied to the femur with six screws.")
    assert facts_from_doc(doc).laterality is None
