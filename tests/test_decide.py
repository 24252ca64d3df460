"""The decision table of SPEC-27358, on hand-made facts (no NLP)."""

from __future__ import annotations

import pytest

from nlp.decide import decide, quote
from nlp.resources import load_rulepack
from nlp.schemas import Device, Facts, RulePack, Site

RULES = load_rulepack()


def dev(type_: str = "plate", count: int | None = 1, bone: str | None = "femur",
        status: str = "applied", region: str | None = "distal") -> Device:
    return Device(type=type_, count=count, status=status, site=Site(bone=bone, region=region),
                  laterality="left", evidence=[(0, 5)])


def facts(**kw: object) -> Facts:
    base: dict[str, object] = dict(primary_procedure="femur_lesion_excision", graft="allograft",
                                   laterality="left", devices=[dev(), dev("screw", 6)])
    base.update(kw)
    return Facts(**base)


def codes(result) -> list[str]:
    return [r.code for r in result.reasons]


def test_complete_documentation_is_supported() -> None:
    r = decide(facts(), RULES, "27356")
    assert r.verdict == "supported"
    assert r.reasons == [] and r.queries == []
    assert r.suggested_primary == "27356"
    assert r.warnings == []


@pytest.mark.parametrize(("kw", "primary", "expected"), [
    (dict(primary_procedure="fracture_orif"), None, ["PRIMARY_NOT_QUALIFYING"]),
    (dict(primary_procedure="hardware_removal", devices=[dev(status="removed")]), None,
     ["PRIMARY_NOT_QUALIFYING", "NO_FIXATION_APPLIED"]),
    ({}, "27236", ["CLAIMED_PRIMARY_INVALID"]),
    (dict(devices=[dev(status="planned"), dev("screw", 4, status="negated")]), None,
     ["NO_FIXATION_APPLIED"]),
    (dict(devices=[dev(bone="tibia"), dev("screw", 4, bone="tibia")]), None,
     ["FIXATION_NOT_FEMUR"]),
    (dict(primary_procedure="arthroplasty", devices=[dev("screw", 2, bone="acetabulum")]),
     "27130", ["PRIMARY_NOT_QUALIFYING", "CLAIMED_PRIMARY_INVALID", "FIXATION_NOT_FEMUR"]),
])
def test_not_supported_lists_every_blocking_reason(kw, primary, expected) -> None:
    r = decide(facts(**kw), RULES, primary)
    assert r.verdict == "not_supported"
    blocking = [c for c in codes(r) if RULES.reasons[c].verdict == "not_supported"]
    assert blocking == expected
    assert r.queries == []


def test_untyped_fixation_of_the_femur_beside_typed_tibial_devices_is_a_query() -> None:
    """"Prophylactic osteosynthesis of the distal femur" plus two tibial screws: the femur was
    fixed too, so the question is the device type, not fixation off the femur."""
    tibial = [dev("screw", 2, bone="tibia")]
    r = decide(facts(devices=tibial, generic_fixation=[(10, 20)],
                     generic_fixation_bones=["femur"]), RULES, "27356")
    assert (r.verdict, codes(r)) == ("query", ["DEVICE_TYPE_MISSING"])
    r = decide(facts(devices=tibial, generic_fixation=[(10, 20)],
                     generic_fixation_bones=["tibia"]), RULES, "27356")
    assert (r.verdict, codes(r)) == ("not_supported", ["FIXATION_NOT_FEMUR"])


def test_fracture_orif_of_the_femur_is_never_supported() -> None:
    """Perfect femoral hardware documentation does not rescue a fracture ORIF."""
    r = decide(facts(primary_procedure="fracture_orif",
                     devices=[dev("nail", 1), dev("screw", 2)]), RULES, "27355")
    assert r.verdict == "not_supported"
    assert codes(r) == ["PRIMARY_NOT_QUALIFYING"]
    assert r.suggested_primary is None


@pytest.mark.parametrize(("kw", "expected"), [
    (dict(devices=[], generic_fixation=[(10, 18)]), ["DEVICE_TYPE_MISSING"]),
    (dict(devices=[dev(), dev("screw", None)]), ["DEVICE_COUNT_MISSING"]),
    (dict(devices=[dev(bone=None)]), ["DEVICE_SITE_MISSING"]),
    (dict(laterality=None), ["LATERALITY_MISSING"]),
    (dict(laterality=None, devices=[dev(), dev("screw", None)]),
     ["DEVICE_COUNT_MISSING", "LATERALITY_MISSING"]),
])
def test_query_reasons_come_with_one_query_each(kw, expected) -> None:
    text = "The lesion of the distal femur was curetted. A plate was secured with screws."
    r = decide(facts(**kw), RULES, None, text)
    assert r.verdict == "query"
    assert codes(r) == expected
    assert len(r.queries) == len(expected)
    for q in r.queries:
        assert "unable to determine" in q
        assert not any(w in q.lower() for w in ("payment", "reimburse", "bill", "27358"))


def test_site_missing_with_other_bones_known_is_a_query_not_a_denial() -> None:
    r = decide(facts(devices=[dev(bone=None), dev("screw", 3, bone="tibia")]), RULES)
    assert r.verdict == "query"
    assert codes(r) == ["DEVICE_SITE_MISSING"]


@pytest.mark.parametrize(("graft", "primary", "suggested", "warning_codes"), [
    ("none", "27355", "27355", []),
    ("allograft", "27355", "27356", ["CLAIMED_PRIMARY_MISMATCH"]),
    ("autograft", "27357", "27357", []),
    ("synthetic", "27355", "27355", ["SYNTHETIC_GRAFT"]),
    ("autograft", None, "27357", []),
])
def test_suggested_primary_and_warnings(graft, primary, suggested, warning_codes) -> None:
    r = decide(facts(graft=graft), RULES, primary)
    assert r.suggested_primary == suggested
    assert [w.code for w in r.warnings] == warning_codes


def test_region_missing_is_a_warning_only() -> None:
    r = decide(facts(devices=[dev(region=None), dev("screw", 5)]), RULES)
    assert r.verdict == "supported"
    assert [w.code for w in r.warnings] == ["REGION_MISSING"]


def test_non_applied_devices_do_not_raise_queries() -> None:
    r = decide(facts(devices=[dev(), dev("screw", 6), dev("wire", None, status="provisional")]),
               RULES)
    assert r.verdict == "supported"


def test_rule_pack_requires_every_reason() -> None:
    data = RULES.model_dump()
    del data["reasons"]["LATERALITY_MISSING"]
    with pytest.raises(ValueError, match="LATERALITY_MISSING"):
        RulePack.model_validate(data)


def test_quote_keeps_the_first_character_of_the_text() -> None:
    text = "Op: curettage of the femur with a plate"
    assert quote(text, [(34, 39)]) == text


def test_quote_is_the_sentence_around_the_evidence() -> None:
    text = "Intro line.\nThe plate was fixed with screws. Closure followed."
    start = text.index("screws")
    assert quote(text, [(start, start + 6)]) == "The plate was fixed with screws"
