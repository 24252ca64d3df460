"""The .pdf reader: text layer, pages, no text layer, truncated and damaged files, limits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fixtures import builders as B

from nlp.readers import ReaderError, read_path
from nlp.readers.pdf import NO_TEXT_LAYER, pdf_text

TEXT = "OPERATIVE REPORT\nCurettage of bone cyst, left proximal femur (Café).\nScrews x7."


def read(tmp_path: Path, raw: bytes) -> str:
    path = tmp_path / "note.pdf"
    path.write_bytes(raw)
    [doc] = read_path(path)
    return doc.text


@pytest.mark.parametrize("compress", [True, False])
def test_text_layer(tmp_path: Path, compress: bool) -> None:
    assert read(tmp_path, B.pdf(TEXT, compress=compress)) == TEXT


def test_pages_are_joined_in_order(tmp_path: Path) -> None:
    lines = [f"line {i}" for i in range(130)]
    assert read(tmp_path, B.pdf("\n".join(lines), lines_per_page=60)).split("\n") == lines


def test_no_text_layer_is_reported_as_a_scan(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match=r"^note.pdf: no text layer \(scanned image\?\)$"):
        read(tmp_path, B.pdf(None))
    assert NO_TEXT_LAYER == "no text layer (scanned image?)"


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_truncated_pdf_is_an_error(tmp_path: Path, keep: float) -> None:
    raw = B.pdf(TEXT)
    with pytest.raises(ReaderError, match="truncated or damaged PDF"):
        read(tmp_path, raw[: int(len(raw) * keep)])


def test_damaged_body_is_an_error_not_a_crash(tmp_path: Path) -> None:
    raw = bytearray(B.pdf(TEXT))
    raw[20:400] = b"\xff" * 380  # objects overwritten, header and trailer intact
    try:
        text = read(tmp_path, bytes(raw))
    except ReaderError:
        return
    assert isinstance(text, str)


def test_not_a_pdf(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="not a PDF file"):
        read(tmp_path, b"just text pretending %%EOF")


def test_page_limit() -> None:
    raw = B.pdf("\n".join(f"l{i}" for i in range(30)), lines_per_page=10)
    with pytest.raises(ReaderError, match="3 pages, over the limit of 2"):
        pdf_text(raw, "x.pdf", max_pages=2)
    with pytest.raises(ReaderError, match="over 50 characters"):
        pdf_text(raw, "x.pdf", max_chars=50)


def test_oversized_page_content_is_refused_before_extraction() -> None:
    raw = B.pdf("\n".join("x" * 80 for _ in range(40)))
    with pytest.raises(ReaderError, match=r"page 1 of the PDF has \d+ bytes of content, over"):
        pdf_text(raw, "x.pdf", max_page_content=1000)


def test_a_pdf_that_would_take_minutes_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pdf"
    path.write_bytes(B.pdf_form_bomb())
    assert path.stat().st_size < 10_000
    start = time.monotonic()
    with pytest.raises(ReaderError, match=r"^bomb.pdf: reading took over 1 s; the file is too"):
        list(read_path(path, max_seconds=1))
    assert time.monotonic() - start < 3
