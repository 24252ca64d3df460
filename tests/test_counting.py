"""Counts of device mentions, through the built pipeline, on small inline texts."""

from __future__ import annotations

import pytest

from nlp.check import Checker
from nlp.extract import facts_from_doc


def applied(checker: Checker, text: str) -> dict[tuple[str, str | None], int | None]:
    doc = checker.nlp(text)
    return {(d.type, d.site.bone): d.count for d in facts_from_doc(doc).devices
            if d.status == "applied"}


@pytest.mark.parametrize(("text", "device", "count"), [
    ("The plate was fixed to the femur with three screws.", "screw", 3),
    ("Cortical screws x3 were placed in the distal femur.", "screw", 3),
    ("Screws (n=4) were placed into the femur.", "screw", 4),
    ("#3 screws were placed in the femur.", "screw", 3),
    ("A lateral plate was applied to the femur.", "plate", 1),
    ("A single cannulated screw was placed in the femoral neck.", "screw", 1),
    ("An 8-hole plate was applied to the femur.", "plate", 1),
    ("Three screws proximally and four distally were placed in the femur.", "screw", 7),
    ("The plate was fixed to the femur with three screws proximally and four distally.",
     "screw", 7),
    ("Two cortical and one cancellous screw were placed in the femur.", "screw", 3),
    ("A 16-mm and an 18-mm cannulated screw were placed in the metatarsal.", "screw", 2),
    ("Screws were placed bilaterally at L4, L5 and S1.", "screw", 6),
    ("Two screws were placed into each of the vertebral bodies at C3, C4, and C5.", "screw", 6),
    ("Plate and screws were applied to the femur.", "screw", None),
    ("A 4.5 mm plate was applied to the femur and fixed with 3.5-mm screws.", "screw", None),
    ("The femur was fixed with two 6.5 mm x 40 mm cannulated screws.", "screw", 2),
    ("A total of 8 screws were placed in the femur.", "screw", 8),
])
def test_count_forms(checker: Checker, text: str, device: str, count: int | None) -> None:
    found = {k[0]: v for k, v in applied(checker, text).items()}
    assert found[device] == count


def test_holes_are_never_counted(checker: Checker) -> None:
    found = applied(checker, "A 10-hole plate was applied to the femur; the screw holes were "
                             "filled with six screws.")
    assert found[("plate", "femur")] == 1
    assert found[("screw", "femur")] == 6


def test_implant_log_wins_over_the_narrative(checker: Checker) -> None:
    text = ("DESCRIPTION OF PROCEDURE: A plate was applied to the left distal femur with "
            "eight screws.\n\nIMPLANTS:\nDistal femoral locking plate, 9-hole  QTY 1\n"
            "5.0 mm locking screw  QTY 6\n4.5 mm cortical screw  QTY 3\n")
    found = applied(checker, text)
    assert found[("screw", "femur")] == 9
    assert found[("plate", "femur")] == 1


def test_pipe_table_quantity_column(checker: Checker) -> None:
    text = ("Procedure: curettage of the left distal femur with plate fixation.\n\n"
            "Implant log:\n| Item | REF | LOT | Qty |\n|---|---|---|---|\n"
            "| LCP distal femur plate, 9-hole | 02.124 | 77419 | 1 |\n"
            "| Locking screw 5.0 mm | 212.230 | 7741A | 5 |\n")
    found = applied(checker, text)
    assert found == {("plate", "femur"): 1, ("screw", "femur"): 5}


@pytest.mark.parametrize(("text", "device", "count"), [
    ("The plate was fixed to the femur with five screws, three above and two below the "
     "window.", "screw", 5),
    ("Cannulated screws, 2 per side, were placed into both femoral necks.", "screw", 4),
    ("Trois vis canulées (three cannulated screws) were placed in the femoral neck.",
     "screw", 3),
    ("A 6.5, 60 mm cancellous screw and a 4.5 mm cortical screw were placed in the femur.",
     "screw", 2),
    # sizes do not use up the words a count may stand before its device
    ("Two 16 mm 3.5 mm cortical fully-threaded screws were placed in the femur.", "screw", 2),
    # "a screw in each" of the holes just named
    ("The three most distal holes of the femoral plate were drilled and a locking screw "
     "was placed in each.", "screw", 3),
    ("Four holes were drilled in the femur and a 3.5 mm cortical screw was placed in each "
     "hole.", "screw", 4),
    ("The fragment of the femur was drilled and a screw was placed in each fragment.",
     "screw", 1),
    # sizes with articles before a plural device, across a "respectively" aside
    ("The femur was fixed with a 35 mm and a 40 mm, anterior and posterior respectively, "
     "partially threaded screws.", "screw", 2),
    ("A 4.5 mm drill and a tap were used and screws were placed in the femur.", "screw", None),
    # two modifiers joined by "and"; a total after a comma
    ("The plate was fixed to the femur with five cortical and locking screws.", "screw", 5),
    ("Implants: the femoral locking plate, 10-hole, one, and screws, eight in total.",
     "screw", 8),
    ("Three holes and screws were placed in the femur.", "screw", None),
    # "either side" doubles a count, unless the count is a breakdown in brackets
    ("The plate was fixed to the femur with three bicortical screws either side of the "
     "fracture.", "screw", 6),
    ("Femoral LCP, locking screws #6 (3 either side of window).", "screw", 6),
    ("Clavicle plate (8-hole) to R clavicle shaft, 3 screws medial + 3 lateral.", "screw", 6),
    ("IMPLANTS:\n- Femoral nail, 10 x 400 mm (1)\n- 5.0 mm locking screws for the femoral nail "
     "(4)\n", "nail", 1),
    # a log row's item is its head noun: the nail brand and "in nail" name no nail
    ("IMPLANTS:\n- InterTAN nail 10 x 180 mm - 1\n- InterTAN lag screw 95 mm - 1\n"
     "- InterTAN compression screw 90 mm - 1\n- Set screw - preloaded in nail\n", "nail", 1),
    ("IMPLANTS:\nTitanium elastic nail 3.5 mm x 440 mm | x2\nTEN end cap 3.5 mm | x2\n",
     "nail", 2),
    # "réf. 212.108" does not end a sentence; a checkbox grid names the one plate again
    ("Matériel:\n  Vis verrouillée 5.0 mm (locking screw)      réf. 212.108   lot 5KX0931   "
     "qté 5\n", "screw", 5),
    ("Implants: [x] plate  [x] screws  [ ] nail\n    6-hole 3.5 mm LCP, lateral distal femur\n",
     "plate", 1),
    # a quantity left to another record is no number; a "Qty: 1" cell still counts
    ("Implants\n  Screw, locking, 5.0 mm, self-tapping: Qty: per implant record\n"
     "Plate applied to the femur.", "screw", None),
    ("Implant record:\n  Cerclage cable 1.7 mm CoCr - qty see nursing record\n"
     "Cables were passed around the femur.", "cable", None),
    ("Implant Log:\nDescription\tSize\tQty\nLocking screw 5.0 mm cannulated\t70 mm\tQty: 2\n"
     "Cortical screw 3.5 mm\t30 mm\tQty: 3\nPlaced in the femur.", "screw", 5),
    # a Cerner "Implants" heading alone on its line; "six screws in all" is a total
    ("Implants\n  Plate, proximal femur locking, 4-hole: Qty 1\n  Screw, locking 5.0 mm: Qty 3\n"
     "  Screw, cortical 4.5 mm: Qty 3\n", "screw", 6),
    ("The plate was fixed to the femur with three locking screws into the neck and three "
     "cortical screws through the shaft holes, six screws in all.", "screw", 6),
    # a bracket explains a count; a '>' bullet before a log heading; the lunate facet is radius
    ("Clavicle plate applied to the L clavicle, six 3.5 mm screws (three medial, three lateral "
     "of #).", "screw", 6),
    ("> IMPLANTS\n>   LCP distal femur 7-hole (femur) ........ 1\n>   5.0 locking screw (femur) "
     "........ 4\n>   4.5 cortical screw (femur) ........ 3\n", "screw", 7),
    # speech-recognition sound-alikes: "7 whole plait", "scrues times three"
    ("IMPLANTS: 7 whole distal femoral locking plait times one. 5.0 mm locking scrues times "
     "three. 4.5 mm cortical scrues times 3.", "screw", 6),
    ("IMPLANTS: 7 whole distal femoral locking plait times one.", "plate", 1),
    # a space-aligned implant table under a heading with a remark in brackets
    ("IMPLANT RECORD (from OR nursing, scanned)\n"
     "Description                   Size        Qty   Site\n"
     "Cannulated locking screw      5.0 x 65    3     L proximal femur\n"
     "Cortical screw                3.5 x 30    4     L proximal femur\n", "screw", 7),
])
def test_more_count_forms(checker: Checker, text: str, device: str, count: int | None) -> None:
    found = {k[0]: v for k, v in applied(checker, text).items()}
    assert found[device] == count


def test_log_rows_with_dot_leaders_and_a_totals_row(checker: Checker) -> None:
    text = ("Procedure: curettage of the right intertrochanteric femur, dynamic hip screw.\n\n"
            "Implants:\n - DHS 135 deg, lag 90 mm ............ 1\n"
            " - 4.5 mm cortical screws ................... 4\n\n"
            "Course: the DHS was placed in the right intertrochanteric femur.\n\n"
            "Implant totals: 1 DHS, 4 cortical screws.\n")
    found = {k[0]: v for k, v in applied(checker, text).items()}
    assert found["sliding_hip_screw"] == 1
    assert found["screw"] == 4


def test_spinal_hardware_region_from_levels(checker: Checker) -> None:
    doc = checker.nlp("Pedicle screws were placed bilaterally at L4, L5 and S1 and two rods "
                      "were secured.")
    regions = {d.type: d.site.region for d in facts_from_doc(doc).devices}
    assert regions["screw"] == "lumbosacral"
