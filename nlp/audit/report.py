"""The audit report: one self-contained HTML file a compliance committee can read.

Inline CSS, hand-written inline SVG charts and a small inline script that sorts and filters
the action table: no external scripts, fonts, images or links, so it opens anywhere offline.
Everything comes from the results store (evidence excerpts are stored at check time).
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from .store import Store, now

VERDICTS = ("supported", "query", "not_supported")
VERDICT_LABEL = {"supported": "Supported", "query": "Query", "not_supported": "Not supported"}
COLOR = {"supported": "#2f7d4f", "query": "#d08c00", "not_supported": "#b3261e",
         "missed_revenue": "#1f5fa8", "unsupported_claim": "#b3261e", "neutral": "#5b6b7c",
         "other": "#9aa5b1"}
ACTION_LABEL = {"unsupported_claim": "Unsupported claim", "query": "Query surgeon",
                "missed_revenue": "Missed revenue"}
ACTION_ORDER = {"unsupported_claim": 0, "query": 1, "missed_revenue": 2}
NOT_SUPPORTED_REASONS = {"PRIMARY_NOT_QUALIFYING", "CLAIMED_PRIMARY_INVALID",
                         "NO_FIXATION_APPLIED", "FIXATION_NOT_FEMUR"}
MAX_ACTION_ROWS = 5000
MAX_FAILED_ROWS = 500
MAX_GROUPS = 20


# ---------------------------------------------------------------------------------------------
# Data


def gather(db: str | Path) -> dict[str, Any]:
    """Everything the report shows, computed from the store."""
    with Store(db, create=False) as store:
        rows = list(store.rows())
        runs = store.runs()
    processed = [r for r in rows if r["status"] == "processed"]
    failed = [r for r in rows if r["status"] == "failed"]
    verdicts = Counter(r["verdict"] for r in processed)
    reasons: Counter[str] = Counter()
    devices: dict[str, Counter[str]] = defaultdict(Counter)
    confidences: list[tuple[float, str]] = []
    for r in processed:
        reasons.update((r["reasons"] or "").split())
        result = json.loads(r["result"]) if r["result"] else {}
        seen = set()
        for d in result.get("devices", []):
            if d.get("status") != "applied":
                continue
            bone = (d.get("site") or {}).get("bone")
            key = (d["type"], "femur" if bone == "femur" else "other")
            if key not in seen:
                seen.add(key)
                devices[d["type"]][key[1]] += 1
        if r["confidence"] is not None:
            confidences.append((float(r["confidence"]), r["verdict"]))
    actions = [r for r in processed if r["action"]]
    actions.sort(key=lambda r: (ACTION_ORDER.get(r["action"], 9), r["id"]))
    billed_known = [r for r in processed if r["billed_addon"] is not None]
    return {
        "db": Path(db).name,
        "rows": rows, "processed": processed, "failed": failed, "verdicts": verdicts,
        "reasons": reasons, "devices": devices, "confidences": confidences,
        "actions": actions, "action_counts": Counter(r["action"] for r in actions),
        "billed_known": len(billed_known),
        "billed_addon": sum(1 for r in billed_known if r["billed_addon"]),
        "failed_kinds": Counter(r["error_kind"] or "other" for r in failed),
        "surgeon": _groups(processed, "surgeon"), "facility": _groups(processed, "facility"),
        "runs": runs,
        "versions": sorted({(r["pipeline_version"], r["rulepack_version"]) for r in processed}),
    }


def _groups(rows: Sequence[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        name = r[column]
        if not name:
            continue
        g = groups.setdefault(name, {"name": name, "n": 0, "billed": 0,
                                     **dict.fromkeys(VERDICTS, 0),
                                     **dict.fromkeys(ACTION_LABEL, 0)})
        g["n"] += 1
        g[r["verdict"]] += 1
        g["billed"] += bool(r["billed_addon"])
        if r["action"]:
            g[r["action"]] += 1
    return sorted(groups.values(), key=lambda g: (-g["n"], g["name"]))


# ---------------------------------------------------------------------------------------------
# SVG charts (hand-written: small, crisp, styled by the page's CSS)


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def hbar_chart(items: Sequence[tuple[str, Sequence[tuple[float, str]], str]], width: int = 540,
               label_width: int = 200, title: str = "") -> str:
    """Horizontal bars; each item is (label, [(value, color), ...] stacked, value text)."""
    if not items:
        return '<p class="empty">Nothing to show.</p>'
    row_h, pad = 26, 6
    total_max = max(sum(v for v, _ in segs) for _, segs, _ in items) or 1
    bar_w = width - label_width - 70
    height = row_h * len(items) + pad
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{escape(title)}">']
    for i, (label, segs, text) in enumerate(items):
        y = pad + i * row_h
        short = label if len(label) <= 30 else label[:29] + "…"
        out.append(f'<text x="{label_width - 8}" y="{y + 14}" class="lbl" '
                   f'text-anchor="end"><title>{escape(label)}</title>{escape(short)}</text>')
        x = float(label_width)
        for value, color in segs:
            w = bar_w * value / total_max
            if w > 0:
                out.append(f'<rect x="{_num(x)}" y="{y + 2}" width="{_num(max(w, 1.5))}" '
                           f'height="{row_h - 9}" rx="2" fill="{color}"/>')
            x += w
        out.append(f'<text x="{_num(x + 6)}" y="{y + 14}" class="val">{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def histogram_chart(bins: Sequence[Sequence[tuple[float, str]]], labels: Sequence[str],
                    width: int = 540, height: int = 220, title: str = "") -> str:
    """Vertical stacked bars over ordered bins, with a y axis and bin labels."""
    left, bottom, top = 44, 28, 10
    plot_h = height - bottom - top
    vmax = max((sum(v for v, _ in b) for b in bins), default=0) or 1
    step = (width - left - 10) / max(len(bins), 1)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{escape(title)}">']
    tick = _nice_step(vmax / 4)
    vmax = math.ceil(vmax / tick) * tick
    v = 0.0
    while v <= vmax + 1e-9:
        y = top + plot_h - plot_h * v / vmax
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{_num(y)}" y2="{_num(y)}" '
                   f'class="grid"/><text x="{left - 6}" y="{_num(y + 4)}" class="val" '
                   f'text-anchor="end">{_num(v)}</text>')
        v += tick
    for i, segs in enumerate(bins):
        x = left + i * step + 2
        y = top + plot_h
        for value, color in segs:
            h = plot_h * value / vmax
            if h > 0:
                y -= h
                out.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(step - 4)}" '
                           f'height="{_num(h)}" fill="{color}"/>')
        out.append(f'<text x="{_num(x + (step - 4) / 2)}" y="{height - 10}" class="val" '
                   f'text-anchor="middle">{escape(labels[i])}</text>')
    out.append("</svg>")
    return "".join(out)


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least `raw` (and at least 1: counts are whole)."""
    if raw <= 1:
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def _legend(entries: Sequence[tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i style="background:{c}"></i>{escape(t)}</span>' for t, c in entries) + "</div>"


# ---------------------------------------------------------------------------------------------
# HTML


_CSS = """
:root{--ink:#1d2733;--muted:#5b6b7c;--line:#dde3ea;--bg:#f5f7fa;--card:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
 font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#1d2733;color:#fff;padding:22px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;color:#c9d3de;font-size:13px}
main{max-width:1220px;margin:0 auto;padding:20px 24px 40px}
h2{font-size:16px;margin:0 0 10px;font-weight:600}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;
 padding:16px 18px;margin:0 0 18px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(540px,1fr));gap:18px;
 margin-bottom:18px}
.grid2 section{margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(112px,1fr));gap:10px;
 margin-bottom:18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;
 border-top:4px solid var(--c,#5b6b7c)}
.card b{display:block;font-size:22px;font-weight:650}
.card span{color:var(--muted);font-size:12px;line-height:1.3;display:block}
.chart{max-width:100%;height:auto;display:block}
.chart text{font-size:12px;fill:var(--ink)}
.chart .val{fill:var(--muted)}
.chart .grid{stroke:var(--line);stroke-width:1}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12.5px;color:var(--muted);margin:6px 0}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;
 vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef2f6;font-weight:600;white-space:nowrap;position:sticky;top:0}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th:after{content:" \\2195";color:#9aa5b1;font-size:11px}
table.sortable th.asc:after{content:" \\2191";color:var(--ink)}
table.sortable th.desc:after{content:" \\2193";color:var(--ink)}
td.num,th.num{text-align:right}
td.nw{white-space:nowrap}
td.ev{min-width:280px}
.split>div+div{margin-top:12px}
tr:hover td{background:#fafbfd}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;color:#fff;
 white-space:nowrap}
.code{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef2f6;
 border-radius:3px;padding:0 4px;margin:0 3px 2px 0;display:inline-block}
.ex{color:#33414f;font-size:12.5px;margin:2px 0 5px}
.ex mark{background:#fff1b8;padding:0 1px}
.muted{color:var(--muted)}
.empty{color:var(--muted);font-style:italic}
.tools{display:flex;gap:12px;align-items:center;margin:0 0 10px;flex-wrap:wrap}
.tools input{padding:6px 9px;border:1px solid var(--line);border-radius:5px;min-width:260px;
 font:inherit}
.scroll{max-height:720px;overflow:auto;border:1px solid var(--line);border-radius:6px}
footer{color:var(--muted);font-size:12px;max-width:1220px;margin:0 auto;padding:0 24px 30px}
"""

_JS = """
(function(){
  function key(td){var v=td.getAttribute('data-sort');if(v===null)v=td.textContent.trim();
    var n=parseFloat(v);return (v!==''&&!isNaN(n)&&/^-?[0-9.]+$/.test(v))?n:v.toLowerCase();}
  document.querySelectorAll('table.sortable').forEach(function(t){
    t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
      var asc=!th.classList.contains('asc');
      t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc');});
      th.classList.add(asc?'asc':'desc');
      var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);
        return (x<y?-1:x>y?1:0)*(asc?1:-1);});
      rows.forEach(function(r){body.appendChild(r);});});});});
  var f=document.getElementById('filter');
  if(f)f.addEventListener('input',function(){var q=f.value.toLowerCase();
    document.querySelectorAll('#actions tbody tr').forEach(function(r){
      r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';});});
})();
"""


def _card(value: object, label: str, color: str = COLOR["neutral"]) -> str:
    return (f'<div class="card" style="--c:{color}"><b>{escape(str(value))}</b>'
            f"<span>{escape(label)}</span></div>")


def _pill(text: str, color: str) -> str:
    return f'<span class="pill" style="background:{color}">{escape(text)}</span>'


def _pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:.0f}%" if d else "-"


def _excerpt_html(ex: dict[str, Any]) -> str:
    text, s, e = ex.get("text", ""), ex.get("start", 0), ex.get("end", 0)
    body = escape(text[:s]) + "<mark>" + escape(text[s:e]) + "</mark>" + escape(text[e:])
    return f'<div class="ex"><span class="code">{escape(ex.get("code", ""))}</span>{body}</div>'


def render(data: dict[str, Any]) -> str:
    processed, failed = data["processed"], data["failed"]
    v = data["verdicts"]
    n = len(processed)
    ac = data["action_counts"]
    parts: list[str] = []
    add = parts.append

    add('<div class="cards">')
    add(_card(len(data["rows"]), "reports in the store"))
    add(_card(n, "checked"))
    for verdict in VERDICTS:
        add(_card(v.get(verdict, 0), f"{VERDICT_LABEL[verdict].lower()} "
                                     f"({_pct(v.get(verdict, 0), n)})", COLOR[verdict]))
    if data["billed_known"]:
        add(_card(data["billed_addon"], "27358 billed", COLOR["neutral"]))
        add(_card(ac.get("unsupported_claim", 0), "27358 billed, not supported",
                  COLOR["unsupported_claim"]))
        add(_card(ac.get("missed_revenue", 0), "supportable, not billed",
                  COLOR["missed_revenue"]))
    add(_card(len(failed), "inputs failed", COLOR["other"]))
    add("</div>")

    add('<div class="grid2">')
    add('<section id="verdicts"><h2>Verdict distribution</h2>')
    add(hbar_chart([(VERDICT_LABEL[k], [(v.get(k, 0), COLOR[k])],
                     f"{v.get(k, 0)} ({_pct(v.get(k, 0), n)})") for k in VERDICTS],
                   title="Verdict distribution"))
    if data["billed_known"]:
        add('<h2 style="margin-top:14px">Reports that need action</h2>')
        add(hbar_chart([(ACTION_LABEL[k], [(ac.get(k, 0), COLOR[k])], str(ac.get(k, 0)))
                        for k in ACTION_LABEL], title="Actions"))
    add("</section>")

    add('<section id="reasons"><h2>Top reasons</h2>')
    top = data["reasons"].most_common(10)
    add(hbar_chart([(code, [(c, COLOR["not_supported" if code in NOT_SUPPORTED_REASONS
                                        else "query"])], str(c)) for code, c in top],
                   label_width=230, title="Top reasons"))
    add(_legend([("forces not supported", COLOR["not_supported"]),
                 ("forces a query", COLOR["query"])]))
    add("</section>")

    add('<section id="devices"><h2>Applied devices by type</h2>')
    dev = sorted(data["devices"].items(), key=lambda kv: -sum(kv[1].values()))
    add(hbar_chart([(t, [(c["femur"], "#3d6f9e"), (c["other"], COLOR["other"])],
                     str(sum(c.values()))) for t, c in dev], title="Devices by type"))
    add(_legend([("on the femur", "#3d6f9e"), ("other or undocumented bone", COLOR["other"])]))
    add('<p class="muted">Reports with at least one applied device of the type.</p></section>')

    if data["confidences"]:
        add('<section id="confidence"><h2>Verdict confidence</h2>')
        confs = data["confidences"]
        # ten bins from the lowest confidence seen (rounded down to 0.1) up to 1.0
        lo = min(0.9, math.floor(min(c for c, _ in confs) * 10) / 10)
        width = (1.0 - lo) / 10
        bins = [[0.0] * len(VERDICTS) for _ in range(10)]
        for conf, verdict in confs:
            bins[min(int((conf - lo) / width), 9)][VERDICTS.index(verdict)] += 1
        add(histogram_chart([[(b[i], COLOR[k]) for i, k in enumerate(VERDICTS)] for b in bins],
                            [f"{lo + k * width:.2f}" for k in range(10)], title="Confidence"))
        add('<p class="muted">Reports by calibrated verdict confidence (bin lower bounds).</p>')
        add(_legend([(VERDICT_LABEL[k], COLOR[k]) for k in VERDICTS]))
        add("</section>")
    else:
        add('<section id="failures-by-kind"><h2>Inputs that failed, by reason</h2>')
        add(hbar_chart([(k, [(c, COLOR["other"])], str(c))
                        for k, c in data["failed_kinds"].most_common()], title="Failures"))
        add("</section>")
    add("</div>")

    for column, title in (("surgeon", "By surgeon"), ("facility", "By facility")):
        groups = data[column]
        if groups:
            add(_group_section(column, title, groups))

    add(_action_section(data["actions"], bool(data["billed_known"])))
    add(_failed_section(failed))

    versions = "; ".join(f"{p} / {r}" for p, r in data["versions"]) or "-"
    runs = data["runs"]
    last = runs[-1] if runs else None
    run_text = (f"{len(runs)} run(s); last {last['state']} at {last['finished_at'] or '-'}: "
                f"{last['inputs']} inputs, {last['processed']} processed, {last['skipped']} "
                f"skipped, {last['failed']} failed") if last else "no runs"
    head = (f"<header><h1>Add-on CPT 27358 documentation audit</h1><p>{escape(data['db'])} "
            f"&middot; {len(data['rows'])} reports &middot; generated {escape(now())}</p>"
            "</header>")
    foot = (f"<footer>Pipeline / rule pack: {escape(versions)}<br>{escape(run_text)}<br>"
            "Evidence excerpts are quoted from the reports; handle this file as PHI."
            "</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>27358 audit report</title>"
            f"<style>{_CSS}</style></head><body>{head}<main>{''.join(parts)}</main>{foot}"
            f"<script>{_JS}</script></body></html>\n")


def _group_section(column: str, title: str, groups: list[dict[str, Any]]) -> str:
    shown = groups[:MAX_GROUPS]
    chart = hbar_chart([(g["name"], [(g[k], COLOR[k]) for k in VERDICTS], str(g["n"]))
                        for g in shown], title=title)
    rows = "".join(
        f"<tr><td class=nw>{escape(g['name'])}</td><td class=num>{g['n']}</td>"
        + "".join(f"<td class=num>{g[k]}</td>" for k in VERDICTS)
        + f"<td class=num>{g['billed']}</td><td class=num>{g['unsupported_claim']}</td>"
        f"<td class=num>{g['missed_revenue']}</td>"
        f"<td class=num data-sort=\"{g['not_supported'] / g['n']:.4f}\">"
        f"{_pct(g['not_supported'], g['n'])}</td></tr>"
        for g in groups)
    more = (f'<p class="muted">Chart: the {MAX_GROUPS} largest of {len(groups)}.</p>'
            if len(groups) > MAX_GROUPS else "")
    return (f'<section id="by-{column}"><h2>{title}</h2><div class="split"><div>{chart}'
            f'{_legend([(VERDICT_LABEL[k], COLOR[k]) for k in VERDICTS])}{more}</div>'
            f'<div class="scroll" style="max-height:360px"><table class="sortable"><thead><tr>'
            f'<th>{column.replace("_", " ").title()}</th><th class=num>Reports</th>'
            f'<th class=num>Supp.</th><th class=num>Query</th><th class=num>Not supp.</th>'
            f'<th class=num>27358 billed</th><th class=num>Unsupp. claims</th>'
            f'<th class=num>Missed rev.</th><th class=num>Not supp. %</th></tr></thead>'
            f'<tbody>{rows}</tbody></table></div>'
            f"</div></section>")


def _action_section(actions: list[dict[str, Any]], claims: bool) -> str:
    shown = actions[:MAX_ACTION_ROWS]
    body = []
    for r in shown:
        ex = json.loads(r["excerpts"]) if r["excerpts"] else []
        reasons = "".join(f'<span class="code">{escape(c)}</span>'
                          for c in (r["reasons"] or "").split()) or '<span class="muted">-</span>'
        body.append(
            f"<tr><td>{escape(r['id'])}</td>"
            f"<td data-sort=\"{ACTION_ORDER.get(r['action'], 9)}\">"
            f"{_pill(ACTION_LABEL.get(r['action'], r['action']), COLOR[r['action']])}</td>"
            f"<td>{escape(r['billed_codes'] or '')}</td>"
            f"<td>{escape(r['suggested_primary'] or '')}</td>"
            f"<td>{escape(r['surgeon'] or '')}<div class=muted>{escape(r['facility'] or '')}"
            "</div></td>"
            f"<td class=nw>{escape(r['date_of_service'] or '')}</td>"
            f"<td>{reasons}</td><td class=ev>{''.join(_excerpt_html(e) for e in ex)}</td></tr>")
    what = ("27358 billed but not supported, documentation to query, and supportable 27358 "
            "not billed" if claims else "documentation to query (no claims given)")
    more = (f'<p class="muted">Showing {len(shown)} of {len(actions)}; '
            "`opcheck export` lists them all.</p>" if len(actions) > len(shown) else "")
    if not actions:
        return ('<section id="actions-section"><h2>Reports that need action</h2>'
                '<p class="empty">None.</p></section>')
    return (f'<section id="actions-section"><h2>Reports that need action ({len(actions)})</h2>'
            f'<p class="muted">{what}. Click a column to sort.</p><div class="tools">'
            f'<input id="filter" type="search" placeholder="Filter (id, surgeon, reason, ...)">'
            f'</div>{more}<div class="scroll"><table id="actions" class="sortable"><thead><tr>'
            "<th>Report</th><th>Action</th><th>Billed</th><th>Suggested</th>"
            "<th>Surgeon / facility</th><th>Date</th><th>Reasons</th><th>Evidence</th>"
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></div></section>")


def _failed_section(failed: list[dict[str, Any]]) -> str:
    if not failed:
        return ""
    rows = "".join(f"<tr><td>{escape(r['place'] or r['id'])}</td>"
                   f"<td>{escape(r['error_kind'] or '')}</td><td>{escape(r['error'] or '')}</td>"
                   "</tr>" for r in failed[:MAX_FAILED_ROWS])
    return (f'<section id="failed"><h2>Inputs that could not be checked ({len(failed)})</h2>'
            '<div class="scroll" style="max-height:320px"><table class="sortable"><thead><tr>'
            "<th>Input</th><th>Kind</th><th>Reason</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div></section>")


def build_report(db: str | Path) -> str:
    return render(gather(db))


def write_report(db: str | Path, html_path: str | Path) -> int:
    """Write the report; returns the number of reports in the store."""
    data = gather(db)
    html = render(data).encode("utf-8")
    # The report quotes evidence from the notes (PHI): private like the store.
    fd = os.open(html_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(html)
    return len(data["rows"])
