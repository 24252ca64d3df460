"""Audits on worker processes: kill -9 midway and resume; Dask cluster == local run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nlp.audit import run as audit_run
from nlp.audit.run import audit
from nlp.check import Checker

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from nlp.cli import main; main()"]


def corpus_texts() -> list[str]:
    return [json.loads(line)["text"] for name in ("train", "dev", "test")
            for line in (ROOT / "corpus" / f"{name}.jsonl").open()]


def write_reports(folder: Path, n: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    texts = corpus_texts()
    ids = []
    for k in range(n):
        rid = f"r{k:04d}"
        (folder / f"{rid}.txt").write_text(f"Accession {rid}\n" + texts[k % len(texts)])
        ids.append(rid)
    return ids


def processed_count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute(
                "SELECT COUNT(*) FROM reports WHERE status = 'processed'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_sigkill_midway_then_rerun_has_every_report_exactly_once(tmp_path: Path) -> None:
    ids = write_reports(tmp_path / "reports", 200)
    db = tmp_path / "audit.db"
    args = [*CLI, "audit", str(tmp_path / "reports"), "--out", str(db), "--workers", "1",
            "--batch-size", "2"]
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        seen = 0
        while time.monotonic() < deadline and proc.poll() is None:
            seen = processed_count(db)
            if seen >= 4:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "audit ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the audit and its worker, like kill -9 of a job
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    after_kill = processed_count(db)
    assert seen <= after_kill < 200  # nothing already written is lost

    rerun = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert (f"audit: 200 inputs: {200 - after_kill} processed, {after_kill} skipped "
            "(unchanged), 0 failed") in rerun.stdout
    con = sqlite3.connect(db)
    got = [r[0] for r in con.execute("SELECT id FROM reports WHERE status = 'processed'")]
    assert sorted(got) == ids  # every report exactly once
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


COMPARED = ("id", "status", "verdict", "reasons", "result", "excerpts", "sha256",
            "suggested_primary", "action")


def table(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return list(con.execute(f"SELECT {', '.join(COMPARED)} FROM reports ORDER BY id"))
    finally:
        con.close()


def test_dask_local_cluster_equals_the_local_run(checker: Checker, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    model = tmp_path / "model"
    checker.nlp.to_disk(model)  # one pipeline for every run
    write_reports(tmp_path / "reports", 20)
    (tmp_path / "reports" / "empty.txt").write_text("")

    monkeypatch.setitem(audit_run._CHECKERS, (str(model.resolve()), None), checker)
    local = audit([tmp_path / "reports"], tmp_path / "local.db", workers=0, model=str(model),
                  progress=False)
    assert (local.processed, local.failed) == (20, 1)

    pool = audit([tmp_path / "reports"], tmp_path / "pool.db", workers=2, model=str(model),
                 batch_size=4, progress=False)
    assert (pool.processed, pool.failed) == (20, 1)

    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        dask = audit([tmp_path / "reports"], tmp_path / "dask.db",
                     scheduler=cluster.scheduler_address, model=str(model), batch_size=4,
                     progress=False)
    assert (dask.processed, dask.failed) == (20, 1)
    assert table(tmp_path / "dask.db") == table(tmp_path / "local.db")
    assert table(tmp_path / "pool.db") == table(tmp_path / "local.db")
