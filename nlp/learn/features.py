"""Sparse features for the learned components, as plain dicts (for sklearn's DictVectorizer).

Mention features: the device type, its section, the rule status and the rule trigger with its
distance, every ConText trigger in the sentence with its side, a window of words and shapes,
and count cues. Report features: words of the procedure title and diagnosis, the rule class.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.tokens import Doc

from ..counting import Tokens
from ..spans import direction, doc_text

_DIGITS = re.compile(r"\d")
WINDOW = 5


def _norm(word: str) -> str:
    return _DIGITS.sub("0", word)


def _bucket(d: int) -> str:
    return "0" if d <= 0 else "1" if d == 1 else "2-3" if d <= 3 else "4-6" if d <= 6 else "7+"


def mention_features(toks: Tokens, mention: dict[str, Any],
                     triggers: list[tuple[int, int, str, str]]) -> dict[str, float]:
    """Features of one device mention (token indices in `mention["start"]`/`["end"]`)."""
    start, end = mention["start"], mention["end"]
    s0, s1 = toks.sent_start[start], toks.sent_end[start]
    f: dict[str, float] = {
        f"type={mention['type']}": 1.0,
        f"section={mention['section']}": 1.0,
        f"rule={mention['rule_status']}": 1.0,
        f"rule+section={mention['rule_status']}|{mention['section']}": 1.0,
        f"definite={mention.get('definite', False)}": 1.0,
        f"plural={mention.get('plural', False)}": 1.0,
        f"counted={mention.get('count') is not None}": 1.0,
        f"process={mention.get('process', False)}": 1.0,
        f"log_row={mention['section'] == 'implants'}": 1.0,
    }
    for i in range(max(s0, start - WINDOW), start):
        w = _norm(toks.lower[i])
        f[f"L:{w}"] = 1.0
        if i == start - 1:
            f[f"L1={w}"] = 1.0
    for i in range(end, min(s1, end + WINDOW)):
        w = _norm(toks.lower[i])
        f[f"R:{w}"] = 1.0
        if i == end:
            f[f"R1={w}"] = 1.0
    for t0, t1, cat, rid in triggers:
        if t1 <= s0 or t0 >= s1 or cat == "TERMINATE":
            continue
        side = "before" if t1 <= start else "after" if t0 >= end else "over"
        dist = start - t1 if side == "before" else t0 - end if side == "after" else 0
        f[f"trig={cat}:{side}"] = 1.0
        f[f"trig={cat}:{side}:{_bucket(dist)}"] = 1.0
        f[f"trigdir={cat}:{direction(rid)[0]}:{side}"] = 1.0
    return f


def report_features(doc: Doc, report: dict[str, Any]) -> dict[str, float]:
    """Words of the procedure title and diagnosis sections (whole text if it has none)."""
    text = doc_text(doc)
    sections = doc._.opnote_sections or [[0, 0, len(text), "description"]]
    chosen = [s for s in sections if s[3] in ("procedure", "diagnosis")]
    spans = [(s[1], s[2]) for s in chosen] or [(0, len(text))]
    f: dict[str, float] = {f"rule={report.get('rule_primary_procedure')}": 1.0}
    for a, b in spans:
        for w in re.findall(r"[a-z]+", text[a:b].lower()):
            if len(w) > 2:
                f[f"w:{w}"] = 1.0
    return f


def confidence_features(verdict: str, reasons: list[str], n_devices: int,
                        status_margin: float, procedure_prob: float) -> dict[str, float]:
    """Features of a decided report for the verdict-confidence model."""
    f: dict[str, float] = {
        f"verdict={verdict}": 1.0,
        "n_reasons": float(len(reasons)),
        "n_devices": float(min(n_devices, 10)),
        "status_margin": status_margin,
        "procedure_prob": procedure_prob,
    }
    for r in reasons:
        f[f"reason={r}"] = 1.0
    return f
