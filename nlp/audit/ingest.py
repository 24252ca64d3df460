"""Inputs of an audit: folders, report files, JSONL and CSV archives, and the claims CSV.

`iter_inputs` yields one `Item` per input found: a report with its text, or a failure with a
reason (`error`) and a category (`kind`). Nothing stops the walk: an unreadable file, a FIFO,
a broken symlink, a symlink loop or a malformed archive row is one failed item, and the walk
goes on. Files in folders go through the reader registry (`nlp.readers`); `.jsonl` and `.csv`
files are archives of many reports, read here.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..check import MAX_TEXT_CHARS, InputError, validate_text

ARCHIVE_SUFFIXES = (".jsonl", ".csv")
META_COLUMNS = ("surgeon", "facility", "date_of_service")
# Other spellings an export may use for the metadata columns.
META_ALIASES = {
    "surgeon": ("surgeon", "surgeon_name", "provider", "physician"),
    "facility": ("facility", "facility_name", "site", "hospital"),
    "date_of_service": ("date_of_service", "dos", "service_date", "date"),
}
PRIMARY_COLUMNS = ("primary", "primary_code")
MAX_LINE_BYTES = 2 * MAX_TEXT_CHARS + 4096  # JSON escapes can double a text

# Failure categories (the `kind` of a failed item).
UNREADABLE = "unreadable"
EMPTY = "empty"
TOO_LARGE = "too_large"
BAD_ENCODING = "bad_encoding"
BINARY = "binary"
BROKEN_SYMLINK = "broken_symlink"
FIFO = "fifo"
SYMLINK_LOOP = "symlink_loop"
MALFORMED_ROW = "malformed_row"
UNSUPPORTED = "unsupported"
DUPLICATE_ID = "duplicate_id"
NOT_FOUND = "not_found"
INTERNAL = "internal"


@dataclass
class Item:
    """One input: a report (text set) or a failure (error set). `id` is unique in a run."""

    id: str
    source: str
    text: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    primary: str | None = None
    error: str | None = None
    kind: str | None = None
    sha256: str | None = None
    place: str = ""  # file, or file:line for an archive row


    @property
    def failed(self) -> bool:
        return self.error is not None

    def __post_init__(self) -> None:
        self.place = self.place or self.source
        if self.text is not None and self.sha256 is None:
            self.sha256 = content_sha256(self.text)


def content_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def classify(message: str) -> str:
    """The failure category of a reader or checker message."""
    m = message.lower()
    if "empty" in m or "only whitespace" in m or "no report text" in m:
        return EMPTY
    if " over " in m or "limit" in m or "too large" in m:
        return TOO_LARGE
    if "binary" in m or "nul bytes" in m:
        return BINARY
    if "byte-order mark" in m or "utf-8" in m or "encoding" in m or "decode" in m:
        return BAD_ENCODING
    if "unsupported file type" in m:
        return UNSUPPORTED
    return UNREADABLE


def _fail(place: str, error: str, kind: str, id: str | None = None,
          source: str | None = None) -> Item:
    return Item(id=id or place, source=source or place, place=place, error=error, kind=kind)


# ---------------------------------------------------------------------------------------------
# Walking


def iter_inputs(paths: Iterable[str | Path], text_column: str = "text", id_column: str = "id",
                exclude: Iterable[str | Path] = ()) -> Iterator[Item]:
    """Every input under `paths`, in a stable order; ids made unique (a repeat is a failure)."""
    excluded = {_real(p) for p in exclude}
    visited: dict[tuple[int, int], str] = {}
    seen: dict[str, str] = {}
    for p in paths:
        for item in _path_inputs(Path(p), text_column, id_column, excluded, visited):
            if not item.failed and item.id in seen:
                first = seen[item.id]
                yield _fail(_where(item), f"duplicate report id {item.id!r} (first in {first})",
                            DUPLICATE_ID)
                continue
            if item.id in seen:  # a failure keyed like an earlier input: key it by place
                item.id = _where(item)
                if item.id in seen:
                    continue  # the same failing path reached twice (e.g. listed twice)
            seen[item.id] = item.source
            yield item


def _where(item: Item) -> str:
    return item.place if item.place != item.source or item.id == item.source \
        else f"{item.source}#{item.id}"


def _real(p: str | Path) -> str:
    try:
        return os.path.realpath(p)
    except OSError:
        return str(p)


def _path_inputs(path: Path, text_column: str, id_column: str, excluded: set[str],
                 visited: dict[tuple[int, int], str]) -> Iterator[Item]:
    source = os.path.abspath(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        yield _stat_failure(path, source, exc)
        return
    if stat.S_ISDIR(st.st_mode):
        yield from _walk(path, st, text_column, id_column, excluded, visited)
    else:
        yield from _file_inputs(path, source, st, text_column, id_column)


def _stat_failure(path: Path, source: str, exc: OSError) -> Item:
    if exc.errno == errno.ELOOP:
        return _fail(source, "symlink loop (the link resolves to itself)", SYMLINK_LOOP)
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            return _fail(source, f"broken symlink (target {os.readlink(path)!r} is missing)",
                         BROKEN_SYMLINK)
        return _fail(source, "not found", NOT_FOUND)
    return _fail(source, f"cannot read ({exc.strerror or exc})", UNREADABLE)


def _walk(directory: Path, st: os.stat_result, text_column: str, id_column: str,
          excluded: set[str], visited: dict[tuple[int, int], str]) -> Iterator[Item]:
    key = (st.st_dev, st.st_ino)
    source = os.path.abspath(directory)
    if key in visited:
        yield _fail(source, f"symlink loop: directory already visited as {visited[key]}",
                    SYMLINK_LOOP)
        return
    visited[key] = source
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield _fail(source, f"cannot list directory ({exc.strerror or exc})", UNREADABLE)
        return
    for entry in entries:
        path = Path(entry.path)
        source = os.path.abspath(path)
        try:
            est = entry.stat(follow_symlinks=True) if entry.is_symlink() else \
                entry.stat(follow_symlinks=False)
        except OSError as exc:
            yield _stat_failure(path, source, exc)
            continue
        if stat.S_ISDIR(est.st_mode):
            yield from _walk(path, est, text_column, id_column, excluded, visited)
        elif _real(path) in excluded:
            continue  # the claims file, when it sits inside the archive
        else:
            yield from _file_inputs(path, source, est, text_column, id_column)


def _file_inputs(path: Path, source: str, st: os.stat_result, text_column: str,
                 id_column: str) -> Iterator[Item]:
    # Never open anything that is not a regular file: a FIFO would block the whole run.
    if stat.S_ISFIFO(st.st_mode):
        yield _fail(source, "FIFO (named pipe), not a regular file", FIFO)
        return
    if not stat.S_ISREG(st.st_mode):
        yield _fail(source, "not a regular file (socket or device)", UNREADABLE)
        return
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _jsonl_inputs(path, source, text_column, id_column)
    elif suffix == ".csv":
        yield from _csv_inputs(path, source, text_column, id_column)
    else:
        yield from _reader_inputs(path, source)


def _reader_inputs(path: Path, source: str) -> Iterator[Item]:
    from ..readers import ReaderError, read_path, supported_suffixes

    if path.suffix.lower() not in supported_suffixes():
        yield _fail(source, f"unsupported file type {path.suffix or '(none)'!r}", UNSUPPORTED)
        return
    docs = []
    try:
        for doc in read_path(path):
            docs.append(doc)
    except ReaderError as exc:
        message = str(exc)
        prefix = f"{path.name}: "
        message = message[len(prefix):] if message.startswith(prefix) else message
        yield from (_doc_item(d, source, len(docs) > 1) for d in docs)
        yield _fail(source, message, classify(message))
        return
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the audit
        yield _fail(source, f"reader error ({type(exc).__name__}): {exc}", UNREADABLE)
        return
    for doc in docs:
        yield _doc_item(doc, source, len(docs) > 1)


def _doc_item(doc: Any, source: str, many: bool) -> Item:
    meta = {k: str(doc.meta[k]) for k in META_COLUMNS if doc.meta.get(k)}
    try:
        text = validate_text(doc.text)
    except InputError as exc:
        return _fail(source, str(exc), classify(str(exc)), id=doc.id if many else None)
    return Item(id=str(doc.id), source=source, text=text, meta=meta)


# ---------------------------------------------------------------------------------------------
# Archives


def _row_item(row: dict[str, Any], where: str, source: str, text_column: str,
              id_column: str, kind: str) -> Item:
    """One archive row -> a report, or a failure keyed by its place (`where`)."""
    rid = row.get(id_column)
    if (rid is not None and not isinstance(rid, (str, int))) or isinstance(rid, bool):
        return _fail(where, f"malformed {kind} row: {id_column!r} must be a string or a number",
                     MALFORMED_ROW, source=source)
    rid = str(rid).strip() if rid is not None else ""
    if text_column not in row:
        return _fail(where, f"malformed {kind} row: no {text_column!r} field", MALFORMED_ROW,
                     id=rid or None, source=source)
    text = row[text_column]
    if not isinstance(text, str):
        return _fail(where, f"malformed {kind} row: {text_column!r} must be a string, "
                     f"got {type(text).__name__}", MALFORMED_ROW, id=rid or None,
                     source=source)
    try:
        text = validate_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    except InputError as exc:
        return _fail(where, str(exc), classify(str(exc)), id=rid or None, source=source)
    meta = {}
    lowered = {str(k).lower(): v for k, v in row.items()}
    for name, aliases in META_ALIASES.items():
        for alias in aliases:
            value = lowered.get(alias)
            if value not in (None, ""):
                meta[name] = str(value).strip()
                break
    primary = next((lowered[c] for c in PRIMARY_COLUMNS if lowered.get(c) not in (None, "")),
                   None)
    return Item(id=rid or where, source=source, place=where, text=text, meta=meta,
                primary=str(primary).strip() if primary is not None else None)


def _jsonl_inputs(path: Path, source: str, text_column: str, id_column: str) -> Iterator[Item]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield _fail(source, f"cannot read ({exc.strerror or exc})", UNREADABLE)
        return
    found = False
    with fh:
        try:
            for n, raw in enumerate(fh, 1):
                if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                found = True
                yield _jsonl_row(raw, f"{source}:{n}", source, text_column, id_column)
        except OSError as exc:
            yield _fail(source, f"read error ({exc.strerror or exc})", UNREADABLE)
            return
    if not found:
        yield _fail(source, "archive has no reports (empty file)", EMPTY)


def _jsonl_row(raw: bytes, where: str, source: str, text_column: str, id_column: str) -> Item:
    if len(raw) > MAX_LINE_BYTES:
        return _fail(where, "line is over the report size limit", TOO_LARGE,
                     source=source)
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _fail(where, "line is not valid UTF-8 (JSON must be UTF-8)", BAD_ENCODING,
                     source=source)
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return _fail(where, f"malformed JSONL row: not valid JSON ({exc.msg} at column "
                     f"{exc.colno})", MALFORMED_ROW, source=source)
    if not isinstance(row, dict):
        return _fail(where, f"malformed JSONL row: expected an object, got "
                     f"{type(row).__name__}", MALFORMED_ROW, source=source)
    return _row_item(row, where, source, text_column, id_column, "JSONL")


def _has_surrogates(values: Iterable[str]) -> bool:
    return any(re.search("[\udc80-\udcff]", v) for v in values)


def _csv_inputs(path: Path, source: str, text_column: str, id_column: str) -> Iterator[Item]:
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        # surrogateescape: a row with bytes that are not UTF-8 fails alone, the rest go on
        fh = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        yield _fail(source, f"cannot read ({exc.strerror or exc})", UNREADABLE)
        return
    with fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            yield _fail(source, "archive has no reports (empty file)", EMPTY)
            return
        except (csv.Error, OSError) as exc:
            yield _fail(source, f"malformed CSV header ({exc})", MALFORMED_ROW)
            return
        header = [h.strip() for h in header]
        if text_column not in header:
            yield _fail(source, f"CSV has no {text_column!r} column (columns: "
                        f"{', '.join(header[:12])}); use --text-column", MALFORMED_ROW)
            return
        yield from _csv_rows(reader, header, source, text_column, id_column)


def _csv_rows(reader: Any, header: list[str], source: str, text_column: str,
              id_column: str) -> Iterator[Item]:
    found = False
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            found = True
            yield _fail(f"{source}:{start}", f"malformed CSV row ({exc})", MALFORMED_ROW,
                        source=source)
            if reader.line_num < start:  # no progress: stop rather than loop
                break
            continue
        except OSError as exc:
            yield _fail(f"{source}:{start}", f"read error ({exc.strerror or exc})", UNREADABLE,
                        source=source)
            break
        if not row or all(not v.strip() for v in row):
            continue
        found = True
        where = f"{source}:{start}"
        if len(row) != len(header):
            yield _fail(where, f"malformed CSV row: {len(row)} fields, the header has "
                        f"{len(header)}", MALFORMED_ROW, source=source)
            continue
        if _has_surrogates(row):
            yield _fail(where, "row is not valid UTF-8", BAD_ENCODING, source=source)
            continue
        yield _row_item(dict(zip(header, row, strict=True)), where, source, text_column,
                        id_column, "CSV")
    if not found:
        yield _fail(source, "archive has no reports (header only)", EMPTY)


# ---------------------------------------------------------------------------------------------
# Claims

_CODE = re.compile(r"^[0-9]{4}[0-9A-Z]$")
_SPLIT = re.compile(r"[\s,;|/]+")
CLAIM_ID_COLUMNS = ("id", "report_id", "report", "encounter_id", "encounter", "claim_report_id")
CLAIM_CODE_COLUMNS = ("codes", "billed_codes", "billed", "cpt_codes", "cpt", "code", "cpt_code")


def load_claims(path: str | Path) -> dict[str, list[str]]:
    """Claims CSV -> {report id: billed CPT codes, in order}. Rows for one id accumulate.

    Columns: the first of id/report_id/encounter_id (else the first column) and the first of
    codes/billed_codes/cpt_codes/cpt/code (else the second); codes are split on spaces,
    commas, semicolons, bars or slashes. Raises InputError when the file cannot be used.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise InputError(f"claims file {p}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"claims file {p} is not a regular file")
    claims: dict[str, list[str]] = {}
    with p.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise InputError(f"claims file {p} is empty") from None
        except csv.Error as exc:
            raise InputError(f"claims file {p}: malformed header ({exc})") from None
        if len(header) < 2:
            raise InputError(f"claims file {p} needs a report id column and a codes column")
        id_col = next((header.index(c) for c in CLAIM_ID_COLUMNS if c in header), 0)
        code_col = next((header.index(c) for c in CLAIM_CODE_COLUMNS if c in header),
                        1 if id_col == 0 else 0)
        try:
            for row in reader:
                if len(row) <= max(id_col, code_col) or not row[id_col].strip():
                    continue
                codes = claims.setdefault(row[id_col].strip(), [])
                for code in _SPLIT.split(row[code_col].strip().upper()):
                    if _CODE.match(code) and code not in codes:
                        codes.append(code)
        except csv.Error as exc:
            raise InputError(f"claims file {p}: malformed row {reader.line_num} ({exc})") from None
    return claims


def billed_primary(codes: list[str], addon: str = "27358",
                   valid: Iterable[str] = ("27355", "27356", "27357"),
                   pattern: str = r"^[0-9]{5}$") -> str | None:
    """The primary a billed add-on is judged against: the billed valid primary, else the
    first other billed CPT code (the checker then says it is not a valid primary), else None.
    Meaningful only when the add-on is billed."""
    others = [c for c in codes if c != addon and re.match(pattern, c)]
    valid = set(valid)
    return next((c for c in others if c in valid), others[0] if others else None)
