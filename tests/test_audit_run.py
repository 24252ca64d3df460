"""`opcheck audit` end to end in-process: store, reruns, claims, summary, export, report."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp.audit import run as audit_run
from nlp.audit.run import MISSED_REVENUE, QUERY, UNSUPPORTED_CLAIM, Progress, audit, claim_fields
from nlp.check import Checker
from nlp.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture
def worker_checker(checker: Checker, monkeypatch: pytest.MonkeyPatch) -> Checker:
    """In-process audits (workers=0) use the session checker."""
    monkeypatch.setitem(audit_run._CHECKERS, (None, None), checker)
    return checker


def corpus_rows(n: int) -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "dev.jsonl").open()]
    return rows[:n]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """12 reports (JSONL, with metadata), one bad line, and 2 text files; claims for them."""
    rows = corpus_rows(14)
    folder = tmp_path / "archive"
    folder.mkdir()
    with (folder / "reports.jsonl").open("w") as fh:
        for k, r in enumerate(rows[:12]):
            fh.write(json.dumps({"id": r["id"], "text": r["text"],
                                 "surgeon": f"Dr {'AB'[k % 2]}", "facility": "North",
                                 "date_of_service": "2026-05-01"}) + "\n")
        fh.write("not json\n")
    for r in rows[12:]:
        (folder / f"{r['id']}.txt").write_text(r["text"])
    with (tmp_path / "claims.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["report_id", "codes"])
        for r in rows:
            w.writerow([r["id"], f"{r['primary'] or '27236'} 27358" if r["primary"] else "27447"])
    return folder


def rows_of(db: Path) -> dict[str, dict]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return {r["id"]: dict(r) for r in con.execute("SELECT * FROM reports")}
    finally:
        con.close()


def test_audit_store_rerun_and_change(worker_checker: Checker, archive: Path,
                                      tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    s1 = audit([archive], db, claims=tmp_path / "claims.csv", workers=0, progress=False)
    assert (s1.inputs, s1.processed, s1.skipped, s1.failed) == (15, 14, 0, 1)
    assert s1.processed + s1.skipped + s1.failed == s1.inputs
    for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert not f.exists() or stat.S_IMODE(os.stat(f).st_mode) == 0o600, f
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    rows = rows_of(db)
    assert len(rows) == 15
    good = [r for r in rows.values() if r["status"] == "processed"]
    for r in good:
        result = json.loads(r["result"])
        assert result["verdict"] == r["verdict"]
        assert len(r["sha256"]) == 64 and r["pipeline_version"] and r["rulepack_version"]
    (bad,) = [r for r in rows.values() if r["status"] == "failed"]
    assert bad["error_kind"] == "malformed_row" and bad["place"].endswith("reports.jsonl:13")
    assert {r["surgeon"] for r in good} == {"Dr A", "Dr B", None}

    # no change: everything skipped; the bad line is reported again
    s2 = audit([archive], db, workers=0, progress=False)
    assert (s2.processed, s2.skipped, s2.failed) == (0, 14, 1)
    assert rows_of(db)[good[0]["id"]]["billed_codes"] == good[0]["billed_codes"]  # kept

    # one report changed, one new: only those are checked
    txt = sorted(archive.glob("*.txt"))[0]
    txt.write_text(txt.read_text() + "\nAddendum: none.\n")
    (archive / "new.txt").write_text(corpus_rows(15)[14]["text"])
    s3 = audit([archive], db, workers=0, progress=False)
    assert (s3.inputs, s3.processed, s3.skipped, s3.failed) == (16, 2, 13, 1)
    assert rows_of(db)[txt.stem]["sha256"] != rows[txt.stem]["sha256"]

    # the bad line fixed: its failure row goes away
    lines = (archive / "reports.jsonl").read_text().splitlines()
    (archive / "reports.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    s4 = audit([archive], db, workers=0, progress=False)
    assert (s4.inputs, s4.failed) == (15, 0)
    assert all(r["status"] == "processed" for r in rows_of(db).values())


def test_claims_judge_the_billed_primary_and_flag_missed_revenue(
        worker_checker: Checker, tmp_path: Path) -> None:
    supported = (ROOT / "samples" / "supported.txt").read_text()
    orif = ("PROCEDURE: Open reduction and internal fixation of right bimalleolar ankle "
            "fracture.\nA 6-hole one-third tubular plate was applied to the distal fibula and "
            "secured with 6 screws.\n")
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in {"billed_ok": supported, "billed_orif": orif, "not_billed": supported,
                       "absent": supported, "wrong_primary": supported}.items():
        (folder / f"{name}.txt").write_text(text)
    (tmp_path / "claims.csv").write_text(
        "id,codes\nbilled_ok,27356 27358\nbilled_orif,27792 27358\nnot_billed,27356\n"
        "wrong_primary,27236 27358\n")
    db = tmp_path / "a.db"
    audit([folder], db, claims=tmp_path / "claims.csv", workers=0, progress=False)
    rows = rows_of(db)
    assert rows["billed_ok"]["verdict"] == "supported" and rows["billed_ok"]["action"] is None
    assert rows["billed_ok"]["billed_primary"] == "27356"
    assert rows["billed_ok"]["claimed_primary"] == "27356"
    assert rows["billed_orif"]["action"] == UNSUPPORTED_CLAIM
    assert "PRIMARY_NOT_QUALIFYING" in rows["billed_orif"]["reasons"]
    assert rows["not_billed"]["action"] == MISSED_REVENUE
    assert rows["not_billed"]["claimed_primary"] is None and rows["not_billed"]["billed_addon"] == 0
    assert rows["absent"]["action"] == MISSED_REVENUE  # not in the claims: nothing billed
    assert rows["wrong_primary"]["action"] == UNSUPPORTED_CLAIM
    assert "CLAIMED_PRIMARY_INVALID" in rows["wrong_primary"]["reasons"]
    ex = json.loads(rows["billed_orif"]["excerpts"])
    assert ex and all(e["text"][e["start"]:e["end"]] for e in ex)


def test_claim_fields_without_claims() -> None:
    assert claim_fields("query", None)["action"] == QUERY
    assert claim_fields("supported", None)["action"] is None
    assert claim_fields("not_supported", ["27447"])["action"] is None
    assert claim_fields("query", ["27356", "27358"])["billed_addon"] == 1


def test_progress_plain_log_lines_when_not_a_tty() -> None:
    out = io.StringIO()
    p = Progress(3, stream=out, interval=0.0)
    for _ in range(3):
        p.advance(1)
    p.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and re.match(r"audit: 3/3 checked \(100%\), [\d.,]+ reports/s, ETA",
                                        lines[-1])


def test_cli_audit_export_report(worker_checker: Checker, archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    r = runner.invoke(app, ["audit", str(archive), "--claims", str(tmp_path / "claims.csv"),
                            "--out", str(db), "--workers", "0"])
    assert r.exit_code == 1, r.output  # one input failed; the others are audited
    m = re.search(r"audit: (\d+) inputs: (\d+) processed, (\d+) skipped \(unchanged\), "
                  r"(\d+) failed", r.stdout)
    assert m and int(m[1]) == int(m[2]) + int(m[3]) + int(m[4]) == 15
    assert "opcheck: failed: " in r.stderr and "reports.jsonl:13" in r.stderr

    r = runner.invoke(app, ["export", str(db), "--format", "csv"])
    assert r.exit_code == 0, r.output
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(table) == 15 and {"id", "verdict", "action", "surgeon"} <= set(table[0])
    r = runner.invoke(app, ["export", str(db), "--format", "jsonl"])
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(lines) == 15 and any(x["result"] and x["result"]["verdict"] for x in lines)

    html = tmp_path / "audit.html"
    r = runner.invoke(app, ["report", str(db), "--html", str(html)])
    assert r.exit_code == 0, r.output
    text = html.read_text()
    for section in ("verdicts", "reasons", "devices", "by-surgeon", "by-facility",
                    "actions-section", "failed"):
        assert f'id="{section}"' in text
    assert_self_contained(text)


def assert_self_contained(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""\b(src|href)\s*=|@import|url\(""", html, re.I)
    assert "<svg" in html and "<style>" in html


def test_report_confidence_histogram(tmp_path: Path) -> None:
    from nlp.audit.report import build_report
    from nlp.audit.store import Store

    db = tmp_path / "c.db"
    with Store(db) as store:
        store.write([{"id": f"r{k}", "source": "x", "status": "processed",
                      "verdict": "supported", "reasons": "", "confidence": 0.5 + k / 20,
                      "result": json.dumps({"verdict": "supported", "devices": []}),
                      "excerpts": "[]", "action": None} for k in range(10)])
    html = build_report(db)
    assert 'id="confidence"' in html and 'id="by-surgeon"' not in html
    assert_self_contained(html)


def test_store_refuses_a_non_database(tmp_path: Path) -> None:
    from nlp.audit.store import Store
    from nlp.check import InputError

    bad = tmp_path / "x.db"
    bad.write_text("not sqlite at all " * 100)
    with pytest.raises(InputError):
        Store(bad)
    with pytest.raises(InputError):
        Store(tmp_path / "missing.db", create=False)
