"""Word reports (.docx) through python-docx: body paragraphs and tables in document order.

Implant logs are often Word tables: each table row becomes one line, its cells joined by
" | " (the way pipe tables read in plain-text notes). Content controls (w:sdt) and tracked
insertions are read; deleted text, headers and footers are not.

A .docx is a ZIP package: before python-docx opens it, the entry count and the total
unpacked size declared in the ZIP directory are checked (zipfile never inflates an entry past
its declared size), so a zip bomb costs nothing.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

from . import Document, ReaderError, register, tidy_text

MAX_ZIP_ENTRIES = 2000
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_WRAPPERS = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}ins", f"{_W}smartTag"}


@register(".docx")
def read_docx(path: Path, raw: bytes) -> Iterator[Document]:
    yield Document(id=path.stem, text=docx_text(raw, path.name), meta={"format": "docx"})


def check_zip(raw: bytes, name: str, max_entries: int = MAX_ZIP_ENTRIES,
              max_unzipped: int = MAX_UNZIPPED_BYTES) -> None:
    """Refuse a ZIP package with too many entries or too large when unpacked."""
    if not raw.startswith(b"PK\x03\x04"):
        raise ReaderError(f"{name}: not a .docx file (not a ZIP package; an old .doc?)")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise ReaderError(f"{name}: damaged .docx (ZIP directory unreadable)") from None
    if len(infos) > max_entries:
        raise ReaderError(f"{name}: .docx has {len(infos)} parts, over the limit of "
                          f"{max_entries}")
    unzipped = sum(i.file_size for i in infos)
    if unzipped > max_unzipped:
        raise ReaderError(f"{name}: .docx unpacks to {unzipped} bytes, over the limit of "
                          f"{max_unzipped} (zip bomb?)")


def docx_text(raw: bytes, name: str) -> str:
    check_zip(raw, name)
    try:
        import docx
    except ImportError:  # pragma: no cover - the formats extra is missing
        raise ReaderError(f"{name}: .docx support needs python-docx "
                          "(pip install 'opcheck[formats]')") from None
    try:
        body = docx.Document(io.BytesIO(raw)).element.body
    except Exception as exc:  # noqa: BLE001 - python-docx/lxml/zipfile errors alike
        raise ReaderError(f"{name}: damaged or not a Word document "
                          f"({type(exc).__name__})") from None
    lines: list[str] = []
    _blocks(body, lines)
    return tidy_text("\n".join(lines))


def _blocks(container, lines: list[str]) -> None:
    """Paragraphs and tables directly in `container` (through content-control wrappers)."""
    for child in container.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            lines.append(_paragraph(child))
        elif tag == f"{_W}tbl":
            for row in _rows(child):
                lines.append(" | ".join(_cell(tc) for tc in _cells(row)))
        elif tag in _WRAPPERS:
            _blocks(child, lines)


def _children(element, tag: str) -> Iterator:
    """Child elements with `tag`, looking through wrapper elements (sdt, customXml...)."""
    for child in element.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _rows(tbl) -> Iterator:
    return _children(tbl, f"{_W}tr")


def _cells(tr) -> Iterator:
    return _children(tr, f"{_W}tc")


def _cell(tc) -> str:
    inner: list[str] = []
    _blocks(tc, inner)
    return " ".join(s.strip() for s in inner if s.strip())


def _paragraph(p) -> str:
    """Text of every run in the paragraph (hyperlinks, insertions and fields included)."""
    out: list[str] = []
    for run in p.iter(f"{_W}r"):
        for el in run.iterchildren():
            tag = el.tag
            if tag == f"{_W}t" and el.text:
                out.append(el.text)
            elif tag == f"{_W}tab":
                out.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                out.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                out.append("-")
    return "".join(out)
