"""Plain-text reports (.txt): UTF-8/UTF-16 with BOM, cp1252/latin-1, any line ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..check import InputError
from ..io import decode_report
from . import Document, ReaderError, register


@register(".txt", ".text")
def read_text(path: Path, raw: bytes) -> Iterator[Document]:
    try:
        text = decode_report(raw, path.name)
    except InputError as exc:
        raise ReaderError(str(exc)) from None
    yield Document(id=path.stem, text=text)
