"""The .docx reader: paragraphs and Word tables in order; zip-bomb guard; broken packages."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fixtures import builders as B

from nlp.readers import ReaderError, read_path
from nlp.readers import docx as docx_reader

LOG = [["Implant", "Manufacturer", "Qty"],
       ["LISS DF plate, 13-hole, left", "DePuy Synthes", "1"],
       ["Locking screw 5.0 mm", "DePuy Synthes", "11"]]


def read(tmp_path: Path, raw: bytes, name: str = "note.docx") -> str:
    path = tmp_path / name
    path.write_bytes(raw)
    [doc] = read_path(path)
    return doc.text


def test_paragraphs_then_table_in_document_order(tmp_path: Path) -> None:
    text = "PROCEDURE: curettage, left distal femur.\n| a | b | c |\n| 1 | 2 | 3 |\nEnd."
    assert read(tmp_path, B.docx(text)).split("\n") == [
        "PROCEDURE: curettage, left distal femur.", "a | b | c", "1 | 2 | 3", "End."]


def test_docx_with_only_a_table(tmp_path: Path) -> None:
    assert read(tmp_path, B.docx(None, tables=[LOG])).split("\n") == [
        "Implant | Manufacturer | Qty", "LISS DF plate, 13-hole, left | DePuy Synthes | 1",
        "Locking screw 5.0 mm | DePuy Synthes | 11"]


def test_empty_docx_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match=r"^note.docx: no report text$"):
        read(tmp_path, B.docx(None))


def test_tabs_breaks_and_content_controls(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    p = document.add_paragraph("Screws")
    p.add_run().add_tab()
    p.add_run("x6")
    p.add_run().add_break()
    p.add_run("left femur")
    # an EHR template field: a block-level content control around a paragraph
    sdt = docx.oxml.parse_xml(
        '<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:sdtContent><w:p><w:r><w:t>Laterality: Left</w:t></w:r></w:p></w:sdtContent>"
        "</w:sdt>")
    document.element.body.insert(0, sdt)
    buf = io.BytesIO()
    document.save(buf)
    assert read(tmp_path, buf.getvalue()) == "Laterality: Left\nScrews\tx6\nleft femur"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_bomb_is_refused_before_python_docx_opens_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = _zip({"word/document.xml": b"\0" * (docx_reader.MAX_UNZIPPED_BYTES + 1)})
    assert len(bomb) < 200_000  # small on disk, huge unpacked
    import docx

    monkeypatch.setattr(docx, "Document", lambda *a: pytest.fail("python-docx was called"))
    with pytest.raises(ReaderError, match=r"unpacks to \d+ bytes, over the limit .*zip bomb"):
        read(tmp_path, bomb)


def test_too_many_zip_entries(tmp_path: Path) -> None:
    many = _zip({f"f{i}.xml": b"" for i in range(docx_reader.MAX_ZIP_ENTRIES + 1)})
    with pytest.raises(ReaderError, match=r"has 2001 parts, over the limit of 2000"):
        read(tmp_path, many)


@pytest.mark.parametrize("raw, match", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, r"not a ZIP package; an old \.doc\?"),
    (b"PK\x03\x04 truncated", "damaged .docx"),
    (_zip({"hello.txt": b"not word"}), "damaged or not a Word document"),
])
def test_broken_packages(tmp_path: Path, raw: bytes, match: str) -> None:
    with pytest.raises(ReaderError, match=match):
        read(tmp_path, raw)


def test_truncated_docx(tmp_path: Path) -> None:
    raw = B.docx("Plate on the left femur.")
    with pytest.raises(ReaderError, match="damaged"):
        read(tmp_path, raw[: len(raw) // 2])
