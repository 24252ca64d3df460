"""Rich Text Format reports (.rtf), as EHRs export them; text through striprtf."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from . import Document, ReaderError, register, tidy_text

_CODEPAGE = re.compile(rb"\\ansicpg(\d{3,5})")


@register(".rtf")
def read_rtf(path: Path, raw: bytes) -> Iterator[Document]:
    yield Document(id=path.stem, text=rtf_text(raw, path.name), meta={"format": "rtf"})


def rtf_text(raw: bytes, name: str) -> str:
    """RTF bytes -> plain text (paragraphs as lines, table cells separated by '|')."""
    if not raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:5] == b"{\\rtf":
        raise ReaderError(f"{name}: not an RTF file (no {{\\rtf header)")
    try:
        from striprtf.striprtf import rtf_to_text
    except ImportError:  # pragma: no cover - the formats extra is missing
        raise ReaderError(f"{name}: RTF support needs striprtf "
                          "(pip install 'opcheck[formats]')") from None
    encoding = _encoding(raw)
    # RTF is 7-bit in practice; stray 8-bit bytes are read in the document's code page.
    source = raw.decode(encoding, errors="replace")
    try:
        text = rtf_to_text(source, encoding=encoding, errors="replace")
    except Exception as exc:  # noqa: BLE001 - striprtf raises assorted errors on bad markup
        raise ReaderError(f"{name}: damaged RTF ({type(exc).__name__})") from None
    return tidy_text("\n".join(_row(line) for line in text.split("\n")))


def _row(line: str) -> str:
    """striprtf ends every table cell with '|': read a row like a pipe-table line."""
    if not line.endswith("|"):
        return line
    return " | ".join(cell.strip() for cell in line[:-1].split("|"))


def _encoding(raw: bytes) -> str:
    m = _CODEPAGE.search(raw[:4096])
    if m:
        candidate = f"cp{int(m.group(1))}"
        try:
            codecs.lookup(candidate)
            return candidate
        except LookupError:
            pass
    return "cp1252"
