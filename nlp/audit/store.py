"""The audit results store: one SQLite file (WAL, mode 0600), one row per report.

A row holds the report id, its source, the sha256 of its text, the pipeline and rule-pack
versions, `processed` or `failed` (with the reason), the full JSON result, the verdict and
reason codes, short evidence excerpts (so the HTML report never needs the original text),
the metadata columns and the claim fields. Rows are written in small committed batches: a
process killed at any point loses nothing already written, and the next run resumes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from ..check import InputError

SCHEMA_VERSION = "1"

COLUMNS = (
    "id", "source", "place", "sha256", "pipeline_version", "rulepack_version", "status",
    "error", "error_kind", "verdict", "reasons", "primary_procedure", "suggested_primary",
    "confidence", "result", "excerpts", "surgeon", "facility", "date_of_service", "meta",
    "claimed_primary", "billed_codes", "billed_addon", "billed_primary", "action",
    "inputs_key", "run_id", "updated_at",
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS reports (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    place TEXT,
    sha256 TEXT,
    pipeline_version TEXT,
    rulepack_version TEXT,
    status TEXT NOT NULL CHECK (status IN ('processed', 'failed')),
    error TEXT,
    error_kind TEXT,
    verdict TEXT,
    reasons TEXT,
    primary_procedure TEXT,
    suggested_primary TEXT,
    confidence REAL,
    result TEXT,
    excerpts TEXT,
    surgeon TEXT,
    facility TEXT,
    date_of_service TEXT,
    meta TEXT,
    claimed_primary TEXT,
    billed_codes TEXT,
    billed_addon INTEGER,
    billed_primary TEXT,
    action TEXT,
    inputs_key TEXT,
    run_id INTEGER,
    updated_at TEXT
);
CREATE INDEX IF NOT EXISTS reports_status ON reports (status);
CREATE INDEX IF NOT EXISTS reports_action ON reports (action);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT,
    finished_at TEXT,
    state TEXT,
    inputs INTEGER,
    processed INTEGER,
    skipped INTEGER,
    failed INTEGER,
    pipeline_version TEXT,
    rulepack_version TEXT,
    archives TEXT
);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT);
INSERT OR IGNORE INTO store_meta VALUES ('schema_version', '{SCHEMA_VERSION}');
"""

_UPSERT = (
    f"INSERT INTO reports ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)}) "
    f"ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "id")
)


class Prior(NamedTuple):
    """What the store knows of a report, to decide whether it must be checked again."""

    status: str
    sha256: str | None
    pipeline_version: str | None
    rulepack_version: str | None
    inputs_key: str | None
    billed_codes: str | None


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def create_private(path: str | Path) -> None:
    """Create the database file with mode 0600 before SQLite opens it (it holds PHI).

    SQLite gives its -wal and -shm files the mode of the database file.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class Store:
    """The results store; `Store(path)` creates it (mode 0600) unless `create=False`."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError(f"{self.path} is a directory, not an audit database")
        if not self.path.exists():
            if not create:
                raise InputError(f"no audit database at {self.path}")
            if not self.path.parent.is_dir():
                raise InputError(f"folder {self.path.parent} does not exist")
        try:
            create_private(self.path)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: survives kill -9
            self.db.execute("PRAGMA busy_timeout=30000")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path} is not an audit database ({exc})") from None
        except OSError as exc:
            raise InputError(f"cannot open {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------

    def write(self, rows: Iterable[dict[str, Any]]) -> int:
        """Upsert rows in one transaction (committed before returning)."""
        rows = [{c: row.get(c) for c in COLUMNS} for row in rows]
        if not rows:
            return 0
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(_UPSERT, rows)
        return len(rows)

    def start_run(self, pipeline_version: str, rulepack_version: str,
                  archives: list[str]) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (started_at, state, pipeline_version, rulepack_version, archives) "
            "VALUES (?, 'running', ?, ?, ?)",
            (now(), pipeline_version, rulepack_version, json.dumps(archives)))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, state: str, inputs: int, processed: int, skipped: int,
                   failed: int) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, state = ?, inputs = ?, processed = ?, skipped = ?, "
            "failed = ? WHERE id = ?", (now(), state, inputs, processed, skipped, failed, run_id))

    def drop_stale_failures(self, sources: set[str], keep: set[str]) -> int:
        """Delete failure rows of the given sources whose ids this run did not produce
        (a file that failed before and is now fixed, or gone)."""
        stale = [(rid,) for rid, src in self.db.execute(
            "SELECT id, source FROM reports WHERE status = 'failed'")
            if src in sources and rid not in keep]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("DELETE FROM reports WHERE id = ?", stale)
        return len(stale)

    # -- reading ------------------------------------------------------------------------------

    def priors(self) -> dict[str, Prior]:
        return {row[0]: Prior(*row[1:]) for row in self.db.execute(
            "SELECT id, status, sha256, pipeline_version, rulepack_version, inputs_key, "
            "billed_codes FROM reports")}

    def rows(self, where: str = "", params: tuple = ()) -> Iterator[dict[str, Any]]:
        cur = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM reports {where} ORDER BY id",
                              params)
        for row in cur:
            yield dict(zip(COLUMNS, row, strict=True))

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM reports").fetchone()[0])

    def runs(self) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT * FROM runs ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]
