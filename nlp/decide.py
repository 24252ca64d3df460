"""The 27358 decision: extracted facts + rule pack -> verdict, reasons, warnings, queries.

Pure functions; no spaCy import, so the decision table is tested without NLP.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .schemas import CheckResult, Device, Facts, Finding, Notice, RulePack, Span

DEVICE_WORDS = {
    "plate": "plates", "screw": "screws", "nail": "intramedullary nails", "rod": "rods",
    "wire": "wires", "pin": "pins", "cable": "cables", "staple": "staples",
    "sliding_hip_screw": "sliding hip screws", "blade_plate": "blade plates",
}


def device_label(device_type: str) -> str:
    """Plain-language plural for a device type ("sliding_hip_screw" -> "sliding hip screws")."""
    return DEVICE_WORDS.get(device_type, device_type.replace("_", " "))


def quote(text: str, spans: Sequence[Span], limit: int = 160) -> str:
    """The sentence-like stretch of `text` around the first evidence span, for a query."""
    if not spans or not text:
        return ""
    start, end = spans[0]
    newline, stop = text.rfind("\n", 0, start), text.rfind(". ", 0, start)
    left = max(newline + 1, stop + 2 if stop != -1 else 0)
    right_candidates = [i for i in (text.find("\n", end), text.find(". ", end)) if i != -1]
    right = min(right_candidates) if right_candidates else len(text)
    snippet = re.sub(r"\s+", " ", text[left:right]).strip(" .:")
    if len(snippet) > limit:
        snippet = snippet[: limit - 1].rstrip() + "…"
    return snippet


class _Missing(dict):
    """Template values that leave an unknown {field} as it is."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fmt(template: str, **values: object) -> str:
    return template.format_map(_Missing(values))


def decide(
    facts: Facts, rules: RulePack, primary: str | None = None, text: str = ""
) -> CheckResult:
    """Apply the SPEC's verdict rule to the facts; `text` only serves quotes in the queries."""
    applied = [d for d in facts.devices if d.status == "applied"]
    reasons: list[Finding] = []

    def add(code: str, evidence: Sequence[Span] = (), **values: object) -> None:
        rule = rules.reasons[code]
        reasons.append(Finding(code=code, message=_fmt(rule.message, **values),
                               evidence=list(evidence)))

    qualifying = facts.primary_procedure == rules.qualifying_procedure
    if not qualifying:
        add("PRIMARY_NOT_QUALIFYING", facts.procedure_evidence,
            procedure=facts.primary_procedure.replace("_", " "))
    if primary is not None and primary not in rules.valid_primaries:
        add("CLAIMED_PRIMARY_INVALID", primary=primary)
    if not applied and not facts.generic_fixation:
        others = sorted({d.status for d in facts.devices})
        detail = ("devices documented only as " + ", ".join(others)) if others \
            else "no fixation device is documented"
        add("NO_FIXATION_APPLIED", [e for d in facts.devices for e in d.evidence[:1]],
            detail=detail)
    known = [d for d in applied if d.site.bone is not None]
    # "prophylactic osteosynthesis of the distal femur" with only tibial devices typed: the
    # femur was fixed too, with something the note does not name
    untyped_on_target = rules.target_bone in facts.generic_fixation_bones and not any(
        d.site.bone == rules.target_bone for d in applied)
    if applied and len(known) == len(applied) and not untyped_on_target and all(
        d.site.bone != rules.target_bone for d in applied
    ):
        bones = ", ".join(sorted({d.site.bone or "" for d in applied}))
        add("FIXATION_NOT_FEMUR", [d.evidence[0] for d in applied if d.evidence], bones=bones)

    queries: list[str] = []

    def ask(code: str, evidence: Sequence[Span], **values: object) -> None:
        add(code, evidence, **values)
        template = rules.reasons[code].query or ""
        queries.append(_fmt(template, quote=quote(text, evidence), **values))

    if facts.generic_fixation and (not applied or untyped_on_target):
        ask("DEVICE_TYPE_MISSING", facts.generic_fixation[:1])
    for d in applied:
        if d.count is None:
            ask("DEVICE_COUNT_MISSING", d.evidence[:1], device=device_label(d.type))
    for d in applied:
        if d.site.bone is None:
            ask("DEVICE_SITE_MISSING", d.evidence[:1], device=device_label(d.type))
    if facts.laterality is None and (applied or facts.generic_fixation):
        indicator = _laterality_indicator(facts, text)
        ask("LATERALITY_MISSING", facts.lesion_evidence[:1] or facts.procedure_evidence[:1],
            indicator=indicator)

    verdict_of = {code: rules.reasons[code].verdict for code in rules.reasons}
    blocking = [r for r in reasons if verdict_of[r.code] == "not_supported"]
    open_items = [r for r in reasons if verdict_of[r.code] == "query"]
    if blocking:
        verdict = "not_supported"
        reasons = blocking + open_items
        queries = []
    elif open_items:
        verdict = "query"
    else:
        verdict = "supported"

    suggested = rules.suggested_primary.get(facts.graft) if qualifying else None
    warnings = _warnings(facts, rules, primary, qualifying, suggested, applied)
    return CheckResult(
        verdict=verdict, reasons=reasons, warnings=warnings,
        primary_procedure=facts.primary_procedure, graft=facts.graft,
        suggested_primary=suggested, devices=facts.devices, queries=queries,
    )


def _laterality_indicator(facts: Facts, text: str) -> str:
    spans = facts.lesion_evidence[:1] or facts.procedure_evidence[:1]
    if spans and text:
        return f"\"{quote(text, spans)}\""
    return "a procedure on a bone"


def _warnings(
    facts: Facts, rules: RulePack, primary: str | None, qualifying: bool,
    suggested: str | None, applied: list[Device],
) -> list[Notice]:
    out: list[Notice] = []
    if (qualifying and primary in rules.valid_primaries and suggested is not None
            and primary != suggested):
        out.append(Notice(code="CLAIMED_PRIMARY_MISMATCH", message=_fmt(
            rules.warnings["CLAIMED_PRIMARY_MISMATCH"], primary=primary, graft=facts.graft,
            suggested=suggested)))
    if facts.graft == "synthetic":
        out.append(Notice(code="SYNTHETIC_GRAFT", message=rules.warnings["SYNTHETIC_GRAFT"]))
    no_region = [d for d in applied if d.site.bone is not None and d.site.region is None]
    if no_region:
        names = ", ".join(f"{device_label(d.type)} ({d.site.bone})" for d in no_region)
        out.append(Notice(code="REGION_MISSING", message=_fmt(
            rules.warnings["REGION_MISSING"], devices=names)))
    return out
