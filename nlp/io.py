"""Reading report input: one report from a file or stdin, or many from a JSONL batch file.

Every refusal is an `InputError` whose message names the input, never its content.
"""

from __future__ import annotations

import codecs
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from .check import MAX_TEXT_CHARS, InputError

MAX_INPUT_BYTES = MAX_TEXT_CHARS
STDIN_NAME = "<stdin>"

# Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Signatures of document formats people paste by mistake instead of exported text.
_SIGNATURES = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP/DOCX"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "DOC/OLE"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
)
# C0 and C1 control characters other than tab, newline, vertical tab, form feed, CR.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.05
_FALLBACK_ENCODINGS = ["cp1252", "latin_1"]


class BatchItem(NamedTuple):
    """One well-formed line of a batch file."""

    line: int
    id: str
    text: str
    primary: str | None


class BatchError(NamedTuple):
    """A line of a batch file that cannot be checked; `id` is set when the line gave one."""

    line: int
    error: str
    id: str | None = None


def existing_file(path: str | Path, what: str) -> Path:
    """`path` as a Path, or an InputError if it is missing or a directory (not `what`)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"file not found: {path}")
    if path.is_dir():
        raise InputError(f"is a directory, not {what}: {path}")
    return path


def read_report(path_or_dash: str | Path) -> str:
    """Read one report from a file, or from stdin for "-", as text with LF line ends."""
    if str(path_or_dash) == "-":
        return decode_report(sys.stdin.buffer.read(MAX_INPUT_BYTES + 1), STDIN_NAME)
    path = existing_file(path_or_dash, "a report file")
    try:
        if path.is_file() and path.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(_too_big(path, path.stat().st_size))
        with path.open("rb") as fh:
            raw = fh.read(MAX_INPUT_BYTES + 1)  # a FIFO or device has no size: cap the read
    except PermissionError:
        raise InputError(f"permission denied: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_report(raw, str(path))


def decode_report(raw: bytes, name: str = STDIN_NAME) -> str:
    """Bytes -> text: UTF-8 (BOM or not), UTF-16/32 with BOM, else cp1252/latin-1.

    The single-byte fallback is chosen by charset-normalizer among cp1252 and latin-1 only:
    left free it guesses cp1250, EBCDIC or even UTF-16 for short English notes.

    Refuses oversize, binary, empty and whitespace-only input. Non-UTF-8 text is never
    refused: a single-byte Western encoding is always the last resort.
    """
    if len(raw) > MAX_INPUT_BYTES:
        raise InputError(_too_big(name, len(raw)))
    if not raw:
        raise InputError(f"input is empty: {name}")
    text = _decode(raw, name)
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text or (
        len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * max(len(text), 1)
    ):
        raise InputError(f"{name} looks like a binary file, not a text report")
    if not text.strip():
        raise InputError(f"input contains only whitespace: {name}")
    return text


def _decode(raw: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                raise InputError(f"{name} starts with a {encoding} byte-order mark "
                                 f"but is not valid {encoding}") from None
    for signature, kind in _SIGNATURES:
        if raw.startswith(signature):
            raise InputError(f"{name} looks like a binary file ({kind}); "
                             "export the report as plain text")
    if b"\x00" in raw:
        if _looks_like_bomless_utf16(raw):
            return raw.decode("utf-16-le" if raw[1] == 0 else "utf-16-be")
        raise InputError(f"{name} looks like a binary file (NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only paid for non-UTF-8 input

    best = from_bytes(raw, cp_isolation=_FALLBACK_ENCODINGS).best()
    # No clean fit: cp1252 anyway, its 5 undefined bytes as U+FFFD (never a refusal).
    return str(best) if best is not None else raw.decode("cp1252", errors="replace")


def _looks_like_bomless_utf16(raw: bytes) -> bool:
    """ASCII-range text saved as UTF-16 without a BOM: every other byte is NUL."""
    head = raw[:4096]
    if len(raw) % 2 or len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return (odd.count(0) == len(odd) and even.count(0) == 0) or (
        even.count(0) == len(even) and odd.count(0) == 0)


def _too_big(name: str | Path, size: int) -> str:
    limit = MAX_INPUT_BYTES // (1024 * 1024)
    return f"{name} is over {limit} MB ({size:,} bytes or more); split it or check the excerpt"


def iter_jsonl(path: str | Path) -> Iterator[BatchItem | BatchError]:
    """Lines of a batch file {"id", "text", "primary"} as BatchItem, or BatchError for a bad one.

    Blank lines are skipped; a bad line never stops the batch. A line without an id gets
    "line-N". The text is passed on as given (offsets in the output index into it).
    """
    path = existing_file(path, "a batch file")
    try:
        fh = path.open("rb")  # opened now, so a bad path fails before any work starts
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _batch_lines(fh)


def _batch_lines(fh: BinaryIO) -> Iterator[BatchItem | BatchError]:
    with fh:
        for n, raw in enumerate(fh, 1):
            if n == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if not raw.strip():
                continue
            yield parse_batch_line(n, raw)


def parse_batch_line(n: int, raw: bytes | str) -> BatchItem | BatchError:
    """One batch line -> BatchItem, or BatchError saying what is wrong with it."""
    if isinstance(raw, bytes):
        if len(raw) > 2 * MAX_INPUT_BYTES:  # JSON escapes can double the size
            return BatchError(n, "line is over the report size limit")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return BatchError(n, "line is not valid UTF-8 (JSON must be UTF-8)")
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        return BatchError(n, f"not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(row, dict):
        return BatchError(n, f"expected a JSON object, got {type(row).__name__}")
    rid = row.get("id")
    if rid is not None and not isinstance(rid, (str, int)):
        return BatchError(n, "'id' must be a string or a number")
    rid = f"line-{n}" if rid is None else str(rid)
    if "text" not in row:
        return BatchError(n, "missing key 'text'", rid)
    text = row["text"]
    if not isinstance(text, str):
        return BatchError(n, f"'text' must be a string, got {type(text).__name__}", rid)
    primary = row.get("primary")
    if isinstance(primary, int) and not isinstance(primary, bool):
        primary = str(primary)
    if primary is not None and not isinstance(primary, str):
        return BatchError(n, "'primary' must be a string, a number or null", rid)
    return BatchItem(n, rid, text, primary)
