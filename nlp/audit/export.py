"""The results store as CSV (one flat row per report) or JSONL (with the full result)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .store import Store

CSV_COLUMNS = (
    "id", "status", "verdict", "reasons", "action", "billed_codes", "billed_addon",
    "billed_primary", "claimed_primary", "suggested_primary", "primary_procedure", "confidence",
    "surgeon", "facility", "date_of_service", "error_kind", "error", "source", "place",
    "sha256", "pipeline_version", "rulepack_version", "updated_at",
)


def records(db: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of the store, ordered by id, with the result and excerpts decoded."""
    with Store(db, create=False) as store:
        for row in store.rows():
            row["result"] = json.loads(row["result"]) if row["result"] else None
            row["excerpts"] = json.loads(row["excerpts"]) if row["excerpts"] else []
            row["meta"] = json.loads(row["meta"]) if row["meta"] else {}
            row.pop("inputs_key", None)
            row.pop("run_id", None)
            yield row


def write_csv(db: str | Path, out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for row in records(db):
        writer.writerow(["" if row.get(c) is None else row[c] for c in CSV_COLUMNS])
        n += 1
    return n


def write_jsonl(db: str | Path, out: IO[str]) -> int:
    n = 0
    for row in records(db):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n
