"""nlp.io: reading one report (encodings, line ends, refusals) and batch JSONL lines."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from nlp.check import InputError
from nlp.io import (
    MAX_INPUT_BYTES,
    BatchError,
    BatchItem,
    decode_report,
    iter_jsonl,
    read_report,
)

TEXT = "Curettage of the left distal femur, 90° flexion; café-au-lait spot noted.\nSecond line.\n"


def write(tmp_path: Path, data: bytes, name: str = "r.txt") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252"])
def test_encodings_decode_to_the_same_text(tmp_path: Path, encoding: str) -> None:
    raw = TEXT.encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw  # big-endian with its BOM
    assert read_report(write(tmp_path, raw)) == TEXT


def test_cp1252_is_never_rejected_even_when_short(tmp_path: Path) -> None:
    assert read_report(write(tmp_path, "Temp 38°".encode("cp1252"))) == "Temp 38°"
    assert read_report(write(tmp_path, "é".encode("cp1252"))) == "é"
    smart = "The patient’s femur – “curetted”."
    assert read_report(write(tmp_path, smart.encode("cp1252"))) == smart


def test_bytes_undefined_in_cp1252_are_replaced_not_refused() -> None:
    assert decode_report(b"abc \x81 def \xe9") == "abc \ufffd def é"


def test_utf16_without_bom_is_recognised() -> None:
    assert decode_report("left femur\n".encode("utf-16-le")) == "left femur\n"


@pytest.mark.parametrize("raw", [b"a\r\nb\r\nc", b"a\rb\rc", b"a\nb\r\nc"])
def test_line_ends_become_lf(raw: bytes) -> None:
    assert decode_report(raw) == "a\nb\nc"


@pytest.mark.parametrize("raw", [
    b"\x00\x01\x02\x03binary\x00stuff\xff\xfe",
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    b"PK\x03\x04\x14\x00\x06\x00",
    bytes(range(1, 32)) * 10 + b"text",
])
def test_binary_is_refused(raw: bytes) -> None:
    with pytest.raises(InputError, match="looks like a binary file"):
        decode_report(raw, "x.bin")


def test_binary_file_message_names_the_file(tmp_path: Path) -> None:
    p = write(tmp_path, b"\x7fELF\x02\x01\x01\x00\x00\x00", "prog")
    with pytest.raises(InputError, match=r"prog looks like a binary file"):
        read_report(p)


@pytest.mark.parametrize("raw, match", [
    (b"", "empty"),
    (b"   \n\t\r\n  ", "only whitespace"),
    ("  \n".encode("utf-16"), "only whitespace"),
])
def test_empty_and_whitespace_are_refused(tmp_path: Path, raw: bytes, match: str) -> None:
    with pytest.raises(InputError, match=match):
        read_report(write(tmp_path, raw))


def test_oversize_is_refused_before_reading(tmp_path: Path) -> None:
    p = write(tmp_path, b"a" * (MAX_INPUT_BYTES + 1))
    with pytest.raises(InputError, match="over 2 MB"):
        read_report(p)
    assert read_report(write(tmp_path, b"a" * MAX_INPUT_BYTES, "max.txt"))  # the limit is ok


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found: .*nope.txt"):
        read_report(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="directory"):
        read_report(tmp_path)


def test_dash_reads_stdin_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = TEXT.replace("\n", "\r\n").encode("cp1252")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    assert read_report("-") == TEXT


def test_stdin_oversize(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a" * (MAX_INPUT_BYTES + 5))))
    with pytest.raises(InputError, match="<stdin> is over 2 MB"):
        read_report("-")


def test_jsonl_reports_bad_lines_and_goes_on(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "text": "left femur", "primary": "27355"}),
        "{not json",
        "",
        json.dumps({"id": "b", "primary": "27355"}),
        json.dumps({"id": "c", "text": 42}),
        json.dumps(["a", "list"]),
        json.dumps({"id": 7, "text": "right femur", "primary": 27356}),
        json.dumps({"text": "no id"}),
    ]
    p = write(tmp_path, ("\n".join(lines) + "\n").encode("utf-8-sig"), "batch.jsonl")
    out = list(iter_jsonl(p))
    assert [type(o).__name__ for o in out] == [
        "BatchItem", "BatchError", "BatchError", "BatchError", "BatchError", "BatchItem",
        "BatchItem"]
    assert out[0] == BatchItem(1, "a", "left femur", "27355")
    assert out[1].line == 2 and "not valid JSON" in out[1].error and out[1].id is None
    assert out[2] == BatchError(4, "missing key 'text'", "b")
    assert out[3].line == 5 and "'text' must be a string" in out[3].error and out[3].id == "c"
    assert out[4].line == 6 and "JSON object" in out[4].error
    assert out[5] == BatchItem(7, "7", "right femur", "27356")
    assert out[6] == BatchItem(8, "line-8", "no id", None)


def test_jsonl_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        list(iter_jsonl(tmp_path / "none.jsonl"))
