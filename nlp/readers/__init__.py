"""One reader registry for every way a report arrives: `check`, `audit` and the web upload.

A reader turns one file into zero or more `Document`s (an HL7 file or a FHIR Bundle can hold
many) or raises `ReaderError` with a message fit for a user. Nothing is silently dropped: a
caller records every `ReaderError` against its file and goes on.

Readers are registered by file suffix with `@register(".ext")`; `read_path` (a file) and
`read_bytes` (a file's content in memory, e.g. a web upload) pick one, enforce the raw-size
limit before parsing and the text limit after extraction. Both follow the same contract below:
`read_path` is `read_bytes` after its own stat and read checks.

Multi-part files (HL7 with many messages, FHIR Bundles):
  A reader may *yield* a `ReaderError` instance (not raise it) for one part it cannot read,
  and go on with the others. What `read_path` (and `read_bytes`) does with such part errors:

  - by default (unchanged contract: only Documents are yielded) it yields every readable
    Document and then, if some parts failed, raises one `ReaderError` that lists them
    (`.errors` holds the individual errors). A caller that records the documents it got
    before the error, as it must for any reader, loses nothing;
  - with `yield_errors=True` it yields, in file order, a Document for every readable part
    and a ReaderError (its `part` names the message or entry) for every unreadable one::

        for item in read_path(path, yield_errors=True):
            if isinstance(item, ReaderError):
                record_error(path, item)      # one bad message or bundle entry
            else:
                check(item)                   # a Document

  In both modes a file with no readable part at all raises `ReaderError`. A single-report
  format (.txt, .rtf, .docx, .pdf, a lone DocumentReference) never has part errors: it
  gives one Document or read_path raises.

Readers never keep patient identifiers (HL7 PID, FHIR subject) in `Document.meta`, and bound
their work: read_path and read_bytes refuse a raw file over `max_raw_bytes` before any
parsing, and each parser has its own guards (zip entry count and unpacked size for .docx,
page count and page content size for .pdf). As a last resort a reader still running after
`max_seconds` is interrupted (an asynchronous exception in its thread; parsers are pure
Python, so it lands promptly) and the file is reported as too complex. Any unexpected
exception inside a reader becomes a `ReaderError`.
"""

from __future__ import annotations

import ctypes
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..check import MAX_TEXT_CHARS

MAX_RAW_BYTES = 20 * 1024 * 1024  # a raw file larger than this is refused before parsing
MAX_READ_SECONDS = 20.0  # a reader still busy after this long is stopped


class ReaderError(ValueError):
    """A file (or one part of it) that yields no report text, with a one-line reason (never
    note text). `part` names the message or bundle entry when only that part failed."""

    def __init__(self, message: str, part: str | None = None,
                 errors: list[ReaderError] | None = None) -> None:
        super().__init__(message)
        self.part = part
        self.errors = errors or []


@dataclass
class Document:
    """One report: its id (from the file or the message), its text, and carried metadata."""

    id: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)


Reader = Callable[[Path, bytes], Iterator["Document | ReaderError"]]
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
              max_text_chars: int = MAX_TEXT_CHARS, *, yield_errors: bool = False,
              max_seconds: float | None = MAX_READ_SECONDS
              ) -> Iterator[Document | ReaderError]:
    """Documents in one file; raises ReaderError for an unreadable or unsupported file.

    Unreadable parts of a multi-part file: raised together after the readable Documents, or
    yielded in place with `yield_errors=True` (see the module docstring). The file's size is
    checked (stat) before it is read; the rest is `read_bytes` on its content."""
    p = Path(path)
    _reader_for(p)  # an unsupported suffix is refused before the file is touched
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ReaderError(f"{p.name}: cannot read ({exc.strerror or exc})") from None
    if not p.is_file():
        raise ReaderError(f"{p.name}: not a regular file")
    if size > max_raw_bytes:
        raise ReaderError(_too_large(p.name, size, max_raw_bytes))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ReaderError(f"{p.name}: cannot read ({exc.strerror or exc})") from None
    yield from read_bytes(str(p), raw, max_raw_bytes, max_text_chars,
                          yield_errors=yield_errors, max_seconds=max_seconds)


def read_bytes(name: str, raw: bytes, max_raw_bytes: int = MAX_RAW_BYTES,
               max_text_chars: int = MAX_TEXT_CHARS, *, yield_errors: bool = False,
               max_seconds: float | None = MAX_READ_SECONDS
               ) -> Iterator[Document | ReaderError]:
    """Documents in a file's content held in memory (a web upload): the contract of
    `read_path` without the file system. `name` picks the reader by its suffix, gives
    single-report documents their id (its stem) and names the file in error messages (only
    its last path component is used). Nothing is written to disk."""
    p = Path(name)
    reader = _reader_for(p)
    if len(raw) > max_raw_bytes:
        raise ReaderError(_too_large(p.name, len(raw), max_raw_bytes))
    # Collected first (bounded by the raw limit): an error is raised only if no part is readable.
    items: list[Document | ReaderError] = []
    try:
        with _time_limit(max_seconds):
            for item in reader(p, raw):
                items.append(item if isinstance(item, ReaderError)
                             else _checked(item, p.name, max_text_chars))
    except _Overtime:
        raise ReaderError(f"{p.name}: reading took over {max_seconds:g} s; the file is too "
                          "complex or damaged") from None
    except ReaderError:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser bug must not escape as a crash
        raise ReaderError(f"{p.name}: cannot be read as {p.suffix} "
                          f"({type(exc).__name__})") from None
    docs = [i for i in items if isinstance(i, Document)]
    errors = [i for i in items if isinstance(i, ReaderError)]
    if not docs:
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise _summary(p.name, errors, "no readable report")
        raise ReaderError(f"{p.name}: no report text")
    if yield_errors:
        yield from items
        return
    yield from docs
    if errors:
        raise _summary(p.name, errors, f"{len(docs)} report(s) read")


def _reader_for(p: Path) -> Reader:
    _load_builtin()
    reader = _READERS.get(p.suffix.lower())
    if reader is None:
        raise ReaderError(f"{p.name}: unsupported file type {p.suffix or '(none)'!r}")
    return reader


def _too_large(name: str, size: int, limit: int) -> str:
    return f"{name}: file is {size} bytes, over the {limit} byte limit"


class _Overtime(BaseException):
    """Raised inside a reader that ran out of time (BaseException: parsers that catch
    Exception must not swallow it)."""


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the calling thread with _Overtime if the block runs longer than `seconds`."""
    if not seconds or seconds <= 0:
        yield
        return
    thread_id = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def fire() -> None:
        with lock:
            if not state["done"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(thread_id, ctypes.py_object(_Overtime))
                state["fired"] = True

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
        timer.cancel()
        if state["fired"]:  # withdraw it if not delivered yet (no-op otherwise)
            ctypes.pythonapi.PyThreadState_SetAsyncExc(thread_id, None)


_MAX_LISTED = 5


def _summary(name: str, errors: list[ReaderError], head: str) -> ReaderError:
    prefix = f"{name}: "
    listed = [str(e)[len(prefix):] if str(e).startswith(prefix) else str(e)
              for e in errors[:_MAX_LISTED]]
    more = f"; and {len(errors) - _MAX_LISTED} more" if len(errors) > _MAX_LISTED else ""
    return ReaderError(f"{name}: {head}, {len(errors)} part(s) unreadable: "
                       + "; ".join(listed) + more, errors=errors)


def _checked(doc: Document, name: str, max_text_chars: int) -> Document | ReaderError:
    doc.id = _SURROGATES.sub("\ufffd", str(doc.id))  # file names and JSON may carry them
    where = f"{name} [{doc.id}]" if doc.id != Path(name).stem else name
    if not doc.text.strip():
        return ReaderError(f"{where}: no report text", doc.id)
    if len(doc.text) > max_text_chars:
        return ReaderError(f"{where}: extracted text is over {max_text_chars} characters",
                           doc.id)
    return doc


# C0 controls other than tab, newline, form feed; DEL and C1 controls.
_STRAY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# Lone UTF-16 surrogates (RTF \u-10240?, JSON "\ud800", undecodable file names): not text.
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def tidy_text(text: str) -> str:
    """Extracted text as the checker expects it: LF line ends, no stray control characters,
    no lone surrogates (U+FFFD instead)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATES.sub("\ufffd", _STRAY_CONTROLS.sub("", text))


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if not _loaded:
        # Each module registers its suffixes; parser libraries are imported only when used.
        from . import docx, fhir, hl7v2, pdf, rtf, text  # noqa: F401

        _loaded = True
