"""Pydantic models: extracted facts, the 27358 rule pack, and the checker's output contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DeviceType = Literal[
    "plate", "screw", "nail", "rod", "wire", "pin", "cable", "staple",
    "sliding_hip_screw", "blade_plate",
]
Status = Literal["applied", "removed", "planned", "negated", "historical", "provisional"]
Side = Literal["left", "right", "bilateral"]
Verdict = Literal["supported", "query", "not_supported"]
PrimaryProcedure = Literal[
    "femur_lesion_excision", "fracture_orif", "hardware_removal", "arthroplasty", "other"
]
Graft = Literal["none", "allograft", "autograft", "synthetic"]
Span = tuple[int, int]

BONES = (
    "femur", "tibia", "fibula", "patella", "humerus", "radius", "ulna", "clavicle", "scapula",
    "pelvis", "acetabulum", "sacrum", "vertebra", "calcaneus", "talus", "navicular", "cuboid",
    "cuneiform", "metatarsal", "metacarpal", "phalanx", "carpal", "scaphoid", "mandible", "other",
)


class Site(BaseModel):
    bone: str | None = None
    region: str | None = None


class Device(BaseModel):
    """One device type on one bone with one status, aggregated over its mentions."""

    type: DeviceType
    count: int | None = None
    status: Status
    site: Site = Field(default_factory=Site)
    laterality: Side | None = None
    evidence: list[Span] = Field(default_factory=list)


class Facts(BaseModel):
    """Everything the decision needs, extracted from one report; no spaCy objects."""

    text_length: int = 0
    devices: list[Device] = Field(default_factory=list)
    generic_fixation: list[Span] = Field(
        default_factory=list, description="applied fixation mentioned without a device type"
    )
    generic_fixation_bones: list[str] = Field(
        default_factory=list, description="bones named nearest to that fixation, per sentence")
    primary_procedure: PrimaryProcedure = "other"
    procedure_evidence: list[Span] = Field(default_factory=list)
    graft: Graft = "none"
    graft_evidence: list[Span] = Field(default_factory=list)
    laterality: Side | None = None
    laterality_evidence: list[Span] = Field(default_factory=list)
    lesion_evidence: list[Span] = Field(default_factory=list)
    status_confidence: float = Field(
        default=1.0, description="lowest status-model probability among applied mentions")
    procedure_confidence: float = Field(
        default=1.0, description="procedure-model probability of its class")


class Finding(BaseModel):
    code: str
    message: str
    evidence: list[Span] = Field(default_factory=list)


class Notice(BaseModel):
    code: str
    message: str


class CheckResult(BaseModel):
    """The output contract of SPEC-27358 (`--format json`)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="report id, in batch mode only")
    verdict: Verdict
    reasons: list[Finding] = Field(default_factory=list)
    warnings: list[Notice] = Field(default_factory=list)
    primary_procedure: PrimaryProcedure
    graft: Graft
    suggested_primary: Literal["27355", "27356", "27357"] | None = None
    devices: list[Device] = Field(default_factory=list)
    queries: list[str] = Field(default_factory=list)
    confidence: float | None = Field(
        default=None, description="calibrated probability that the verdict is right "
        "(present when the learned confidence model is installed)")
    needs_review: bool | None = Field(
        default=None, description="confidence under the rule pack's review threshold")


class ReasonRule(BaseModel):
    verdict: Literal["query", "not_supported"]
    message: str
    query: str | None = None


class RulePack(BaseModel):
    """The 27358 rules as data (nlp/rules/rulepack-27358.yaml), validated on load."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    addon_code: str
    primary_code_pattern: str
    valid_primaries: list[str]
    qualifying_procedure: PrimaryProcedure
    target_bone: str
    suggested_primary: dict[Graft, str]
    reasons: dict[str, ReasonRule]
    warnings: dict[str, str]
    query_preamble: str
    query_choices_suffix: str
    review_threshold: float = Field(default=0.8, ge=0.0, le=1.0)

    @field_validator("reasons")
    @classmethod
    def _all_reasons(cls, v: dict[str, ReasonRule]) -> dict[str, ReasonRule]:
        needed = {
            "PRIMARY_NOT_QUALIFYING", "CLAIMED_PRIMARY_INVALID", "NO_FIXATION_APPLIED",
            "FIXATION_NOT_FEMUR", "DEVICE_TYPE_MISSING", "DEVICE_COUNT_MISSING",
            "DEVICE_SITE_MISSING", "LATERALITY_MISSING",
        }
        missing = needed - set(v)
        if missing:
            raise ValueError(f"rule pack lacks reasons: {sorted(missing)}")
        for code, rule in v.items():
            if rule.verdict == "query" and not rule.query:
                raise ValueError(f"query reason {code} needs a query template")
        return v
