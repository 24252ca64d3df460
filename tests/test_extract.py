"""Report-level aggregation in nlp/extract.py: linking devices to bones across sentences,
removals, and implant logs that name no bone. Small inline texts through the built pipeline."""

from __future__ import annotations

from nlp.check import Checker
from nlp.extract import facts_from_doc


def applied(checker: Checker, text: str) -> dict[tuple[str, str | None], int | None]:
    doc = checker.nlp(text)
    return {(d.type, d.site.bone): d.count for d in facts_from_doc(doc).devices
            if d.status == "applied"}


def statuses(checker: Checker, text: str, dtype: str) -> set[str]:
    doc = checker.nlp(text)
    return {d.status for d in facts_from_doc(doc).devices if d.type == dtype}


def test_a_new_paragraph_on_another_operated_bone_moves_the_devices_there(
        checker: Checker) -> None:
    text = ("PROCEDURE: Open reduction and internal fixation of the right medial and lateral "
            "malleolus.\n\nDESCRIPTION: The medial malleolus was exposed and reduced. It was "
            "held with two 4.0 mm cannulated screws into the tibia.\n\n"
            "Through a separate lateral incision the lateral malleolus fracture was cleaned "
            "and reduced. A 6-hole one-third tubular plate was applied and secured with five "
            "screws.\n")
    found = applied(checker, text)
    assert found[("screw", "tibia")] == 2
    assert found[("plate", "fibula")] == 1
    assert found[("screw", "fibula")] == 5


def test_a_bone_named_in_passing_in_the_same_paragraph_does_not_take_the_devices(
        checker: Checker) -> None:
    text = ("PROCEDURE: Open reduction and internal fixation of the left distal femur.\n\n"
            "DESCRIPTION: A lateral locking plate was applied to the distal femur and fixed "
            "with four screws. The patella was inspected and found intact. Two further screws "
            "were placed through the plate.\n")
    found = applied(checker, text)
    assert ("screw", "patella") not in found
    assert found[("screw", "femur")] == 6


def test_the_osteotomy_or_fracture_a_device_fixes_names_its_bone(checker: Checker) -> None:
    text = ("DIAGNOSIS: Displaced talar neck fracture, left.\n\n"
            "PROCEDURE PERFORMED:\n1. Open reduction internal fixation, left talus.\n"
            "2. Medial malleolus osteotomy.\n\n"
            "DESCRIPTION: The medial malleolus was osteotomized and reflected for exposure. "
            "The fracture was reduced under direct vision. A 6.5 mm partially threaded "
            "cannulated screw was passed across the fracture with good compression. "
            "The osteotomy was then reduced and two 4.0 mm cannulated screws were used to "
            "fix the osteotomy.\n")
    found = applied(checker, text)
    assert found[("screw", "talus")] == 1
    assert found[("screw", "tibia")] == 2


def test_a_pronoun_sentence_after_the_device_gives_its_bone(checker: Checker) -> None:
    text = ("PROCEDURE: Open reduction internal fixation of the right ankle.\n\n"
            "DESCRIPTION: Two partially threaded screws were placed across the medial "
            "malleolus into the tibia. A 7-hole one-third tubular plate was chosen. It was "
            "contoured and applied to the lateral surface of the distal fibula.\n")
    found = applied(checker, text)
    assert found[("plate", "fibula")] == 1
    assert ("plate", "tibia") not in found


def test_a_device_removed_before_a_new_one_of_its_type_was_provisional(
        checker: Checker) -> None:
    text = ("PROCEDURE: Akin osteotomy of the left great toe proximal phalanx.\n\n"
            "DESCRIPTION: A 0.045 K-wire was driven into the proximal phalanx to hold the "
            "osteotomy. The K-wire was removed. A 28 gauge cerclage wire was then passed "
            "through drill holes in the proximal phalanx and tightened.\n")
    doc = checker.nlp(text)
    wires = [d for d in facts_from_doc(doc).devices if d.type == "wire"]
    assert [d.count for d in wires if d.status == "applied"] == [1]
    assert {d.status for d in wires} - {"applied"}


def test_an_implant_log_without_bones_gives_the_devices_placed_elsewhere_their_due(
        checker: Checker) -> None:
    text = ("PROCEDURE: Austin bunionectomy of the first metatarsal and Akin osteotomy of "
            "the proximal phalanx, right foot.\n\n"
            "IMPLANTS: Four 3.0 mm cannulated screws.\n\n"
            "DESCRIPTION: The capital fragment was shifted laterally and fixed to the first "
            "metatarsal with screws. The Akin osteotomy of the proximal phalanx was then "
            "fixed with a single 3.0 mm cannulated screw.\n")
    found = applied(checker, text)
    assert found[("screw", "phalanx")] == 1
    assert found[("screw", "metatarsal")] == 3


def test_devices_shared_respectively_between_two_bones_have_no_count_on_either(
        checker: Checker) -> None:
    text = ("PROCEDURE: Curettage of a unicameral bone cyst of the left proximal femur with "
            "allograft; proximal tibial osteotomy with plate fixation.\n\n"
            "DESCRIPTION: A 6-hole plate was fixed to the proximal femur and a T-plate to the "
            "proximal tibia with 4.5 mm and 3.5 mm cortical screws respectively, ten screws "
            "in all.\n\nIMPLANTS:\nCortical screws 4.5 / 3.5 mm | 10\n")
    found = applied(checker, text)
    assert found[("screw", "femur")] is None
    assert found[("screw", "tibia")] is None


def test_numbered_steps_move_the_narrative_from_bone_to_bone(checker: Checker) -> None:
    text = ("Procedures:\n1. ORIF lateral malleolus (distal fibula) with plate and screws.\n"
            "2. ORIF medial malleolus (distal tibia) with screws.\n\nSteps:\n"
            "1. The lateral malleolus was exposed and reduced.\n"
            "2. A 6-hole one-third tubular plate was applied with five 3.5 mm screws.\n"
            "3. Through a medial incision the medial malleolus was reduced.\n"
            "4. Two 4.0 mm cannulated screws were placed over guide wires.\n")
    found = applied(checker, text)
    assert found[("screw", "fibula")] == 5
    assert found[("screw", "tibia")] == 2


def test_a_bone_labelling_an_implant_line_sites_its_devices(checker: Checker) -> None:
    text = ("Operation: ORIF left ankle.\n\nOsteosynthesis material:\n"
            "Fibula: LCP one-third tubular plate 6-hole, 1x; cortical screw 3.5 mm, 5x\n"
            "Medial malleolus: cannulated screw 4.0 mm partially threaded, 2x\n")
    found = applied(checker, text)
    assert found == {("plate", "fibula"): 1, ("screw", "fibula"): 5, ("screw", "tibia"): 2}


def test_untyped_fixation_names_its_bone(checker: Checker) -> None:
    text = ("Operations: 1) Tibial tuberosity osteotomy, left, fixed with two screws into the "
            "proximal tibia. 2) Curettage and allografting of a non-ossifying fibroma of the left "
            "distal femur.\n\nProcedure: the fibroma was curetted and packed with allograft "
            "chips. Prophylactic osteosynthesis of the distal femur was performed.\n")
    assert facts_from_doc(checker.nlp(text)).generic_fixation_bones == ["femur"]


def test_a_log_row_naming_no_bone_goes_where_the_narrative_put_that_plate(
        checker: Checker) -> None:
    text = ("PROCEDURE: Curettage of a non-ossifying fibroma of the right distal femur; ORIF of "
            "the right distal fibula.\n\nDESCRIPTION: A 7-hole lateral distal femoral locking "
            "plate was applied to the femur with six screws. The fibula fracture was reduced. A "
            "6-hole one-third tubular plate was chosen. It was applied to the distal fibula "
            "with five screws.\n\nIMPLANTS:\nDistal femoral locking plate, 7-hole x1\n"
            "One-third tubular plate, 6-hole x1\n")
    found = applied(checker, text)
    assert found[("plate", "femur")] == 1
    assert found[("plate", "fibula")] == 1


def test_an_implant_clause_at_the_end_of_a_sentence_is_a_log(checker: Checker) -> None:
    text = ("Chondroblastoma of the right lateral femoral condyle: curettage and refixation of "
            "the trapdoor with two headless compression screws into the lateral femoral "
            "condyle. Two 3.0 mm headless compression screws were inserted into the lateral "
            "femoral condyle; review at two weeks; implants: two headless compression screws "
            "3.0 mm, lengths 20 and 22 mm.")
    assert applied(checker, text)[("screw", "femur")] == 2


def test_title_screws_on_two_bones_leave_the_body_screws_to_their_construct(
        checker: Checker) -> None:
    text = ("Operation: open reduction and osteosynthesis of the right tibial plateau with two "
            "plates and screws; screw osteosynthesis of the right fibular head.\n\n"
            "Medial side: a 5-hole buttress plate is applied on the posteromedial side and fixed "
            "with four cortical screws.\nFibular head: the fragment is fixed with one 3.5 mm "
            "cortical screw into the fibula.\n\nImplants: buttress plate 5-hole 1; LCP proximal "
            "tibia lateral 9-hole 1; 3.5 mm cortical screws 5.\n")
    found = applied(checker, text)
    assert found[("screw", "fibula")] == 1
    assert found[("screw", "tibia")] == 4


def test_a_bunionectomy_title_line_names_an_osteotomy(checker: Checker) -> None:
    text = ("PROCEDURES:\n1. Austin bunionectomy, distal first metatarsal, right foot, with screw "
            "fixation.\n2. Akin osteotomy, proximal phalanx of the hallux, right foot, with screw "
            "fixation.\n\nPROCEDURE IN DETAIL: A chevron cut was made in the first metatarsal head "
            "and the capital fragment was shifted laterally. A 3.0 mm "
            "cannulated screw was inserted across the osteotomy.\n\nAttention was directed to "
            "the proximal phalanx. The wedge was removed. It was fixated with a 2.4 mm "
            "cannulated screw.\n")
    found = applied(checker, text)
    assert found[("screw", "metatarsal")] == 1
    assert found[("screw", "phalanx")] == 1


def test_an_addendum_that_corrects_the_count_replaces_it(checker: Checker) -> None:
    body = ("PROCEDURE: Curettage of a giant cell tumour of the left distal femur with cement "
            "and plate fixation.\n\nDESCRIPTION: An 11-hole lateral distal femoral locking "
            "plate was applied to the lateral distal femur and fixed with six screws.\n\n")
    corrected = body + ("ADDENDUM (same author): The screw count above is incorrect. The "
                        "radiographs show seven screws in the plate: four locking and three "
                        "cortical. The count is corrected to seven screws.\n")
    added = body + "ADDENDUM: The patient's daughter was informed by telephone.\n"
    assert applied(checker, corrected)[("screw", "femur")] == 7
    assert applied(checker, added)[("screw", "femur")] == 6


def test_a_device_named_for_another_only_describes_it(checker: Checker) -> None:
    text = ("Q: Fixation - calcaneal osteotomy?\nA: Two 7.0 mm headless compression screws into "
            "the calcaneus.\nQ: Temporary fixation?\nA: Guide wires for the calcaneal screws, "
            "removed.\n")
    found = applied(checker, text)
    assert found == {("screw", "calcaneus"): 2}


def test_the_pin_of_guide_pins_is_not_a_device(checker: Checker) -> None:
    text = ("Three guide pins were inserted into the right femoral neck in an inverted triangle, "
            "with the inferior pin along the calcar. Three 6.5 mm cannulated screws were placed "
            "over them into the femoral neck and the guide pins were removed.")
    assert applied(checker, text) == {("screw", "femur"): 3}


def test_a_barrel_plate_is_part_of_the_sliding_hip_screw(checker: Checker) -> None:
    text = ("Procedure: DHS fixation of the left femoral neck.\nA DHS lag screw 85 mm was "
            "inserted. A 4-hole 135 degree barrel plate was slid over the lag screw and fixed to "
            "the lateral femoral shaft with four cortical screws.")
    found = applied(checker, text)
    assert ("plate", "femur") not in found
    assert found[("sliding_hip_screw", "femur")] == 1


def test_a_pin_bent_and_cut_after_a_k_wire_is_that_wire(checker: Checker) -> None:
    text = ("The osteotomy of the calcaneus was fixed using a 0.94 K-wire drilled from the heel "
            "anteriorly. A pin was subsequently bent and cut short at the level of the skin.")
    assert applied(checker, text) == {("wire", "calcaneus"): 1}


def test_in_situ_pinning_with_a_screw_places_no_pin(checker: Checker) -> None:
    text = ("PROCEDURE: Revision and in situ pinning of the right hip.\n\nDESCRIPTION: Over the "
            "guide pin a 60 mm cannulated screw was placed into the right femoral neck. The "
            "flexible reaming rods were removed.")
    assert applied(checker, text) == {("screw", "femur"): 1}


def test_an_epic_implant_table_row_is_one_device_and_its_action_counts(
        checker: Checker) -> None:
    table = ("Implants:\n"
             "    Implant Name                          Type     LRB    No. Used   Action\n"
             "    SCREW CANNULATED 4.5MM X 50MM         Screw    Left   2          {action}\n"
             "\nPROCEDURE, PANEL 2 (femoral lesion): the cyst of the left femoral neck was "
             "curetted.\n")
    kept = facts_from_doc(checker.nlp(table.format(action="Implanted"))).devices
    gone = facts_from_doc(checker.nlp(table.format(action="Removed - same case"))).devices
    assert [(d.count, d.status) for d in kept if d.type == "screw"] == [(2, "applied")]
    assert all(d.status != "applied" for d in gone)


def test_the_lunate_facet_is_part_of_the_distal_radius(checker: Checker) -> None:
    text = ("A volar locking plate was applied to the left distal radius and fixed with four "
            "distal locking screws into the radial styloid and lunate facet and four cortical "
            "screws in the shaft.")
    assert applied(checker, text) == {("plate", "radius"): 1, ("screw", "radius"): 8}
