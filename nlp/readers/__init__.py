"""One reader registry for every way a report arrives: `check`, `audit` and the web upload.

A reader turns one file into zero or more `Document`s (an HL7 file or a FHIR Bundle can hold
many) or raises `ReaderError` with a message fit for a user. Nothing is silently dropped: a
caller records every `ReaderError` against its file and goes on.

Readers are registered by file suffix with `@register(".ext")`; `read_path` picks one, enforces
the raw-size limit before parsing and the text limit after extraction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..check import MAX_TEXT_CHARS

MAX_RAW_BYTES = 20 * 1024 * 1024  # a raw file larger than this is refused before parsing


class ReaderError(ValueError):
    """A file that yields no report text, with a one-line reason (never note text)."""


@dataclass
class Document:
    """One report: its id (from the file or the message), its text, and carried metadata."""

    id: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)


Reader = Callable[[Path, bytes], Iterator[Document]]
_READERS: dict[str, Reader] = {}


def register(*suffixes: str) -> Callable[[Reader], Reader]:
    def wrap(fn: Reader) -> Reader:
        for suffix in suffixes:
            _READERS[suffix.lower()] = fn
        return fn

    return wrap


def supported_suffixes() -> list[str]:
    _load_builtin()
    return sorted(_READERS)


def read_path(path: str | Path, max_raw_bytes: int = MAX_RAW_BYTES,
              max_text_chars: int = MAX_TEXT_CHARS) -> Iterator[Document]:
    """Documents in one file; raises ReaderError for an unreadable or unsupported file."""
    _load_builtin()
    p = Path(path)
    reader = _READERS.get(p.suffix.lower())
    if reader is None:
        raise ReaderError(f"{p.name}: unsupported file type {p.suffix or '(none)'!r}")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ReaderError(f"{p.name}: cannot read ({exc.strerror or exc})") from None
    if not p.is_file():
        raise ReaderError(f"{p.name}: not a regular file")
    if size > max_raw_bytes:
        raise ReaderError(f"{p.name}: file is {size} bytes, over the {max_raw_bytes} byte limit")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ReaderError(f"{p.name}: cannot read ({exc.strerror or exc})") from None
    for doc in reader(p, raw):
        if not doc.text.strip():
            raise ReaderError(f"{p.name}: no report text")
        if len(doc.text) > max_text_chars:
            raise ReaderError(f"{p.name}: extracted text is over {max_text_chars} characters")
        yield doc


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if not _loaded:
        from . import text  # noqa: F401  (registers .txt)

        _loaded = True
