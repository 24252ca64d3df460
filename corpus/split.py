"""Split corpus/parts/*.jsonl into train/dev/test, stratified by writer part and verdict.

Deterministic: within each (part, verdict) cell reports are ordered by a SHA-1 of their id and
dealt 3:1:1 into train, dev, test. Run: python corpus/split.py
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for part in sorted((HERE / "parts").glob("part-*.jsonl")):
        for line in part.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                cells[(part.stem, row["expected"]["verdict"])].append(row)
    splits: dict[str, list[dict]] = {"train": [], "dev": [], "test": []}
    for key in sorted(cells):
        rows = sorted(cells[key], key=lambda r: hashlib.sha1(r["id"].encode()).hexdigest())
        for i, row in enumerate(rows):
            splits[("train", "train", "train", "dev", "test")[i % 5]].append(row)
    for name, rows in splits.items():
        rows.sort(key=lambda r: r["id"])
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)}")


if __name__ == "__main__":
    main()
