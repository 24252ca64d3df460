"""Plain-text rendering of a CheckResult for people (`opcheck check --format text`)."""

from __future__ import annotations

import re

from .schemas import CheckResult, Span

BANNERS = {
    "supported": "SUPPORTED: the documentation supports add-on code {addon}",
    "query": "QUERY: documentation incomplete for {addon}; query the surgeon",
    "not_supported": "NOT SUPPORTED: the documentation does not support {addon}",
}
DEVICE_COLUMNS = ("type", "count", "bone", "region", "side", "status")
MAX_QUOTE = 60
MAX_QUOTES = 4


def quote(text: str, span: Span, width: int = MAX_QUOTE) -> str:
    """text[start:end] on one line, whitespace collapsed, shortened in the middle."""
    start, end = span
    if not (0 <= start <= end <= len(text)):
        return f"[{start}:{end}]"
    s = re.sub(r"\s+", " ", text[start:end]).strip()
    if len(s) > width:
        half = (width - 3) // 2
        s = f"{s[:half].rstrip()}...{s[-half:].lstrip()}"
    return f'"{s}"'


def quotes(text: str, spans: list[Span]) -> str:
    shown = [quote(text, sp) for sp in spans[:MAX_QUOTES]]
    more = len(spans) - MAX_QUOTES
    return " | ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def device_table(result: CheckResult) -> list[str]:
    rows = [
        (d.type, "-" if d.count is None else str(d.count), d.site.bone or "-",
         d.site.region or "-", d.laterality or "-", d.status)
        for d in result.devices
    ]
    widths = [max(len(c) for c in col) for col in zip(DEVICE_COLUMNS, *rows, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        return "  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(DEVICE_COLUMNS)] + [line(r) for r in rows]


def render_text(result: CheckResult, text: str, addon: str = "27358") -> str:
    """Verdict banner, devices, reasons with evidence, warnings, suggested primary, queries."""
    out = [BANNERS[result.verdict].format(addon=addon)]
    if result.confidence is not None:
        flag = "  -- needs review" if result.needs_review else ""
        out.append(f"Confidence: {result.confidence:.2f}{flag}")
    if result.id is not None:
        out[0] = f"[{result.id}] {out[0]}"
    out.append("")
    if result.devices:
        out.append("Devices")
        out.extend(device_table(result))
    else:
        out.append("Devices: no internal fixation device found")
    out.append("")
    if result.reasons:
        out.append("Reasons")
        for r in result.reasons:
            out.append(f"  - {r.code}: {r.message}")
            if r.evidence:
                out.append(f"      evidence: {quotes(text, r.evidence)}")
    else:
        out.append("Reasons: none")
    if result.warnings:
        out.append("Warnings")
        out.extend(f"  - {w.code}: {w.message}" for w in result.warnings)
    out.append("")
    out.append(f"Suggested primary: {result.suggested_primary or 'none'} "
               f"(procedure: {result.primary_procedure}, graft: {result.graft})")
    if result.queries:
        out.append("")
        out.append("Queries for the surgeon")
        out.extend(f"  {i}. {q}" for i, q in enumerate(result.queries, 1))
    return "\n".join(out) + "\n"
