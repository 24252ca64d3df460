"""Audit ingest: folders with bad inputs, JSONL/CSV archives, claims; every input accounted for."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from nlp.audit import ingest
from nlp.audit.ingest import billed_primary, iter_inputs, load_claims
from nlp.check import InputError

ROOT = Path(__file__).resolve().parent.parent


def corpus_texts(n: int) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "dev.jsonl").open()]
    return [(r["id"], r["text"]) for r in rows[:n]]


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A folder with good reports and one of every bad input an archive can hold."""
    root = tmp_path / "archive"
    (root / "sub").mkdir(parents=True)
    texts = corpus_texts(6)
    for rid, text in texts[:3]:
        (root / f"{rid}.txt").write_text(text)
    with (root / "sub" / "batch.jsonl").open("w") as fh:
        fh.write(json.dumps({"id": texts[3][0], "text": texts[3][1], "surgeon": "Dr A"}) + "\n")
        fh.write("{not json\n")
        fh.write(json.dumps({"id": "no-text"}) + "\n")
    with (root / "sub" / "batch.jsonl").open("ab") as fb:
        fb.write(b'{"id": "latin", "text": "caf\xe9"}\n')  # not UTF-8
    with (root / "sub" / "batch.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "facility", "date_of_service"])
        w.writerow([texts[4][0], texts[4][1], "North", "2026-03-01"])
        w.writerow(["short-row", "only two fields"])
        w.writerow([texts[5][0], texts[5][1], "South", "2026-03-02"])
    (root / "binary.txt").write_bytes(b"\x00\x01\x02\x03 binary \xff\xfe" * 10)
    (root / "empty.txt").write_bytes(b"")
    (root / "image.png").write_bytes(b"\x89PNG\r\n")
    os.mkfifo(root / "pipe.txt")
    (root / "broken.txt").symlink_to(root / "missing.txt")
    (root / "sub" / "up").symlink_to(root)          # directory loop
    (root / "self.txt").symlink_to(root / "self.txt")  # link to itself (ELOOP)
    return root


def test_bad_inputs_are_reported_per_file_and_do_not_stop_the_walk(messy: Path) -> None:
    items = list(iter_inputs([messy]))
    good = {i.id for i in items if not i.failed}
    assert good == {rid for rid, _ in corpus_texts(6)}
    # CSV places are physical line numbers (quoted texts span lines): compare the file only
    kinds = {Path(i.place).name.split(":")[0] if ".csv:" in i.place else Path(i.place).name:
             i.kind for i in items if i.failed}
    assert kinds == {
        "binary.txt": ingest.BINARY,
        "empty.txt": ingest.EMPTY,
        "image.png": ingest.UNSUPPORTED,
        "pipe.txt": ingest.FIFO,
        "broken.txt": ingest.BROKEN_SYMLINK,
        "self.txt": ingest.SYMLINK_LOOP,
        "up": ingest.SYMLINK_LOOP,
        "batch.jsonl:2": ingest.MALFORMED_ROW,
        "batch.jsonl:3": ingest.MALFORMED_ROW,
        "batch.jsonl:4": ingest.BAD_ENCODING,
        "batch.csv": ingest.MALFORMED_ROW,
    }
    assert all(i.error for i in items if i.failed)
    assert len({i.id for i in items}) == len(items)  # every input once, ids unique


def test_metadata_columns_are_carried(messy: Path) -> None:
    items = {i.id: i for i in iter_inputs([messy]) if not i.failed}
    texts = corpus_texts(6)
    assert items[texts[3][0]].meta == {"surgeon": "Dr A"}
    assert items[texts[4][0]].meta == {"facility": "North", "date_of_service": "2026-03-01"}
    assert items[texts[4][0]].place.endswith("batch.csv:2")


def test_custom_columns_and_broken_quoting(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text('note_id,body,dos\nr1,"text one",2026-01-01\n'
                                    'r2,"unterminated "quote" here,2026-01-02\n'
                                    'r3,"text three",2026-01-03\n')
    items = list(iter_inputs([tmp_path / "a.csv"], text_column="body", id_column="note_id"))
    ok = [i for i in items if not i.failed]
    assert [i.id for i in ok] == ["r1", "r3"]
    assert ok[0].meta == {"date_of_service": "2026-01-01"}
    bad = [i for i in items if i.failed]
    assert len(bad) == 1 and bad[0].kind == ingest.MALFORMED_ROW


def test_csv_without_the_text_column_is_one_failure(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,note\nr1,hello\n")
    (item,) = iter_inputs([tmp_path / "a.csv"])
    assert item.failed and "--text-column" in item.error


def test_duplicate_ids_fail_the_later_one(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "r1.txt").write_text("PROCEDURE: curettage of the femur.")
    (tmp_path / "b" / "r1.txt").write_text("PROCEDURE: something else.")
    items = list(iter_inputs([tmp_path]))
    assert [i.failed for i in items] == [False, True]
    assert items[1].kind == ingest.DUPLICATE_ID and "a/r1.txt" in items[1].error


def test_missing_path_and_claims_file_inside_the_archive(tmp_path: Path) -> None:
    (tmp_path / "r1.txt").write_text("PROCEDURE: curettage of the femur.")
    (tmp_path / "claims.csv").write_text("id,codes\nr1,27355 27358\n")
    items = list(iter_inputs([tmp_path, tmp_path / "nope"], exclude=[tmp_path / "claims.csv"]))
    assert [(i.id, i.kind) for i in items] == [("r1", None),
                                               (str(tmp_path / "nope"), ingest.NOT_FOUND)]


def test_load_claims_accumulates_rows_and_splits_codes(tmp_path: Path) -> None:
    p = tmp_path / "claims.csv"
    p.write_text("encounter_id,cpt_codes\nr1,\"27356, 27358\"\nr2,27236\nr2,27358\n"
                 "r3,27358;27447\n")
    assert load_claims(p) == {"r1": ["27356", "27358"], "r2": ["27236", "27358"],
                              "r3": ["27358", "27447"]}
    with pytest.raises(InputError):
        load_claims(tmp_path / "missing.csv")


@pytest.mark.parametrize(("codes", "primary"), [
    (["27358", "27356"], "27356"),
    (["27447", "27358", "27357"], "27357"),
    (["27236", "27358"], "27236"),
    (["27358"], None),
    (["0001F", "27358"], None),
])
def test_billed_primary(codes: list[str], primary: str | None) -> None:
    assert billed_primary(codes) == primary
