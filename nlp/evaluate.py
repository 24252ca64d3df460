"""Scoring on annotated JSONL, as SPEC-27358 defines it.

verdict accuracy and confusion matrix; false supported; reason F1 over the gold verdict's
class; device F1 over (type, bone) pairs; count, region and laterality accuracy over matches.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .schemas import CheckResult

VERDICTS = ("supported", "query", "not_supported")
NOT_SUPPORTED_REASONS = {"PRIMARY_NOT_QUALIFYING", "CLAIMED_PRIMARY_INVALID",
                         "NO_FIXATION_APPLIED", "FIXATION_NOT_FEMUR"}
QUERY_REASONS = {"DEVICE_TYPE_MISSING", "DEVICE_COUNT_MISSING", "DEVICE_SITE_MISSING",
                 "LATERALITY_MISSING"}


class Scores(BaseModel):
    reports: int = 0
    verdict_accuracy: float = 0.0
    confusion: dict[str, dict[str, int]] = Field(default_factory=dict)
    false_supported: int = 0
    false_supported_ids: list[str] = Field(default_factory=list)
    reason_precision: float = 0.0
    reason_recall: float = 0.0
    reason_f1: float = 0.0
    device_precision: float = 0.0
    device_recall: float = 0.0
    device_f1: float = 0.0
    count_accuracy: float = 0.0
    region_accuracy: float = 0.0
    laterality_accuracy: float = 0.0
    primary_procedure_accuracy: float = 0.0
    graft_accuracy: float = 0.0
    errors: list[dict[str, Any]] = Field(default_factory=list)


def load_annotated(path: str | Path) -> list[dict[str, Any]]:
    """Read an annotated JSONL file; a malformed line raises ValueError naming its number."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            for key in ("id", "text", "expected"):
                if key not in row:
                    raise ValueError(f"{path}:{n}: missing key {key!r}")
            rows.append(row)
    return rows


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def _f1(p: float, r: float) -> float:
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def _norm(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


def score(rows: Iterable[dict[str, Any]], results: Iterable[CheckResult]) -> Scores:
    """Compare checker results with the gold `expected` block of each annotated row."""
    s = Scores()
    confusion = {g: {p: 0 for p in VERDICTS} for g in VERDICTS}
    correct = proc_ok = graft_ok = 0
    r_tp = r_fp = r_fn = 0
    d_tp = d_fp = d_fn = 0
    cnt_ok = reg_ok = lat_ok = 0
    for row, res in zip(rows, results, strict=False):
        s.reports += 1
        gold = row["expected"]
        confusion[gold["verdict"]][res.verdict] += 1
        errs: list[str] = []
        if res.verdict == gold["verdict"]:
            correct += 1
        else:
            errs.append(f"verdict {res.verdict} != {gold['verdict']}")
        if res.verdict == "supported" and gold["verdict"] != "supported":
            s.false_supported += 1
            s.false_supported_ids.append(row["id"])
        proc_ok += res.primary_procedure == gold.get("primary_procedure")
        graft_ok += res.graft == gold.get("graft")
        scope = NOT_SUPPORTED_REASONS if gold["verdict"] == "not_supported" else (
            QUERY_REASONS if gold["verdict"] == "query" else set())
        want = {r for r in gold.get("reasons", []) if r in scope}
        got = {r.code for r in res.reasons if r.code in scope}
        r_tp += len(want & got)
        r_fp += len(got - want)
        r_fn += len(want - got)
        if want != got:
            errs.append(f"reasons {sorted(got)} != {sorted(want)}")
        gold_dev = {(d["type"], d.get("bone")): d for d in gold.get("devices", [])}
        pred_dev = {(d.type, d.site.bone): d for d in res.devices if d.status == "applied"}
        for key in gold_dev.keys() & pred_dev.keys():
            g, p = gold_dev[key], pred_dev[key]
            d_tp += 1
            cnt_ok += g.get("count") == p.count
            reg_ok += _norm(g.get("region")) == _norm(p.site.region)
            lat_ok += g.get("laterality") == p.laterality
            if g.get("count") != p.count:
                errs.append(f"count {key}: {p.count} != {g.get('count')}")
            if _norm(g.get("region")) != _norm(p.site.region):
                errs.append(f"region {key}: {p.site.region} != {g.get('region')}")
            if g.get("laterality") != p.laterality:
                errs.append(f"side {key}: {p.laterality} != {g.get('laterality')}")
        d_fp += len(pred_dev.keys() - gold_dev.keys())
        d_fn += len(gold_dev.keys() - pred_dev.keys())
        for key in pred_dev.keys() - gold_dev.keys():
            errs.append(f"extra device {key}")
        for key in gold_dev.keys() - pred_dev.keys():
            errs.append(f"missed device {key}")
        if res.primary_procedure != gold.get("primary_procedure"):
            errs.append(f"procedure {res.primary_procedure} != {gold.get('primary_procedure')}")
        if res.graft != gold.get("graft"):
            errs.append(f"graft {res.graft} != {gold.get('graft')}")
        if errs:
            s.errors.append({"id": row["id"], "errors": errs})
    s.confusion = confusion
    s.verdict_accuracy = _ratio(correct, s.reports)
    s.primary_procedure_accuracy = _ratio(proc_ok, s.reports)
    s.graft_accuracy = _ratio(graft_ok, s.reports)
    s.reason_precision = _ratio(r_tp, r_tp + r_fp)
    s.reason_recall = _ratio(r_tp, r_tp + r_fn)
    s.reason_f1 = _f1(s.reason_precision, s.reason_recall)
    s.device_precision = _ratio(d_tp, d_tp + d_fp)
    s.device_recall = _ratio(d_tp, d_tp + d_fn)
    s.device_f1 = _f1(s.device_precision, s.device_recall)
    s.count_accuracy = _ratio(cnt_ok, d_tp)
    s.region_accuracy = _ratio(reg_ok, d_tp)
    s.laterality_accuracy = _ratio(lat_ok, d_tp)
    return s


def error_counts(scores: Scores) -> Counter[str]:
    """How often each kind of error occurs ("count", "verdict", "extra device"...)."""
    c: Counter[str] = Counter()
    for e in scores.errors:
        for msg in e["errors"]:
            c[msg.split(" (")[0].split(":")[0].split(" ")[0]] += 1
    return c
