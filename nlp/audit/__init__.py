"""Batch audits of report archives: ingest, the SQLite results store, parallel runs, reports.

- `ingest`  folders, report files, JSONL/CSV archives and the claims CSV -> `Item`s
- `store`   the results store (one SQLite file, WAL, mode 0600, one row per report)
- `run`     `audit()`: skip unchanged, check the rest on a process pool or a Dask cluster
- `report`  the self-contained HTML report
- `export`  the store as CSV or JSONL

Nothing here imports spaCy at module level: only the workers load the pipeline.
"""

from __future__ import annotations
