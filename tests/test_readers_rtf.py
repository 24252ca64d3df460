"""The .rtf reader: Word-style markup, code pages, Unicode escapes, tables; empty and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import builders as B

from nlp.readers import ReaderError, read_path
from nlp.readers.rtf import rtf_text


def read(tmp_path: Path, raw: bytes) -> str:
    path = tmp_path / "note.rtf"
    path.write_bytes(raw)
    [doc] = read_path(path)
    assert doc.id == "note" and doc.meta == {"format": "rtf"}
    return doc.text


def test_paragraphs_unicode_and_escapes(tmp_path: Path) -> None:
    text = "Café-au-lait {spot}\\ 90° – left femur\nScrews\tx6"
    assert read(tmp_path, B.rtf(text)).rstrip("\n") == text


def test_code_page_escapes(tmp_path: Path) -> None:
    raw = rb"{\rtf1\ansi\ansicpg1252 Caf\'e9 \'96 femur\par}"
    assert read(tmp_path, raw).strip() == "Café – femur"


def test_table_rows_read_as_pipe_lines(tmp_path: Path) -> None:
    text = "Implant Log:\n| Implant | Qty |\n|---|---|\n| Locking screw 5.0 mm | 7 |\nEnd."
    assert read(tmp_path, B.rtf(text)).split("\n")[:4] == [
        "Implant Log:", "Implant | Qty", "Locking screw 5.0 mm | 7", "End."]


@pytest.mark.parametrize("raw", [rb"{\rtf1\ansi }", rb"{\rtf1{\fonttbl{\f0 Arial;}}\par\par}",
                                 rb"{\rtf1 {\*\generator x;}}"])
def test_empty_rtf_is_an_error_not_an_empty_note(tmp_path: Path, raw: bytes) -> None:
    with pytest.raises(ReaderError, match=r"^note.rtf: no report text$"):
        read(tmp_path, raw)


@pytest.mark.parametrize("raw", [b"plain text, not rtf", b"", b"%PDF-1.4 ..."])
def test_not_rtf(tmp_path: Path, raw: bytes) -> None:
    with pytest.raises(ReaderError, match=r"not an RTF file"):
        read(tmp_path, raw)


def test_unbalanced_or_truncated_markup_still_reads_or_fails_cleanly() -> None:
    full = B.rtf("Plate applied to the left femur.\nSecond line.")
    for cut in range(6, len(full), 7):
        try:
            rtf_text(full[:cut], "x.rtf")
        except ReaderError:
            pass
    assert "left femur" in rtf_text(b"{\\rtf1 {{{ Plate on the left femur\\par", "x.rtf")
