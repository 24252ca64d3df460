"""HL7 v2 document messages (.hl7): MDM^T02/T04 (and T06/T08/T10) and ORU^R01.

A file holds one or many messages, with or without MLLP framing (\\x0b ... \\x1c\\x0d), and
with CR, LF or CRLF segment ends; batch envelopes (FHS/BHS/BTS/FTS) are skipped. A line that
does not start a segment is a line break inside the previous segment's text and is kept.

The report is the OBX-5 values of text observations (value type TX, FT or ST): repeated OBX
segments and field repetitions are joined line by line, and escape sequences are decoded
(\\F\\ \\S\\ \\T\\ \\R\\ \\E\\, \\Xhh\\, and the formatting commands \\.br\\, \\.sp\\, ...).
The id is TXA-12 (unique document number), else OBR-3 / OBR-2 (filler / placer order
number), else MSH-10 (message control id). Patient segments (PID, PD1, NK1, PV1, ...) are
never read into a Document.

A message that cannot be read is yielded as a ReaderError naming it; the others are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import Document, ReaderError, register, tidy_text

TEXT_VALUE_TYPES = {"TX", "FT", "ST"}
ACCEPTED = {("MDM", "T02"), ("MDM", "T04"), ("MDM", "T06"), ("MDM", "T08"), ("MDM", "T10"),
            ("ORU", "R01")}
_ENVELOPE = {"FHS", "BHS", "BTS", "FTS"}
_MAX_SPACING = 10  # \.sp n\ and \.sk n\ are capped: a hostile n must not blow up the text


@dataclass(frozen=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


@register(".hl7")
def read_hl7(path: Path, raw: bytes) -> Iterator[Document | ReaderError]:
    text = _decode(raw)
    messages, stray = split_messages(text)
    if not messages:
        raise ReaderError(f"{path.name}: no HL7 message (no MSH segment)")
    if stray:
        yield ReaderError(f"{path.name}: {stray} line(s) before the first MSH segment "
                          "are not part of any message", "preamble")
    for n, segments in enumerate(messages, 1):
        try:
            yield message_document(segments, n, path)
        except ReaderError as exc:
            yield exc


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def split_messages(text: str) -> tuple[list[list[str]], int]:
    """Messages as lists of segment strings, and the count of non-blank lines before the
    first MSH. MLLP frame bytes act as segment ends."""
    text = text.replace("\x0b", "\r").replace("\x1c", "\r")
    messages: list[list[str]] = []
    stray = 0
    current: list[str] | None = None
    field_sep = "|"
    for line in re.split(r"\r\n|\r|\n", text):
        if not line.strip():
            continue
        if line.startswith("MSH") and len(line) > 3:
            field_sep = line[3]
            current = [line]
            messages.append(current)
        elif line[:3] in _ENVELOPE:
            continue
        elif current is None:
            stray += 1
        elif _starts_segment(line, field_sep):
            current.append(line)
        else:  # a raw line break inside a field: keep the text with its segment
            current[-1] += "\n" + line
    return messages, stray


def _starts_segment(line: str, field_sep: str) -> bool:
    return (len(line) >= 3 and line[:3].isascii() and line[:3].isalnum()
            and line[0].isalpha() and line[:3].isupper()
            and (len(line) == 3 or line[3] == field_sep))


def message_document(segments: list[str], n: int, path: Path) -> Document:
    """One message -> Document, or ReaderError naming the message."""
    where = f"{path.name}: message {n}"
    enc = _encoding(segments[0], where, str(n))
    msh = segments[0].split(enc.field)
    control_id = _component(msh, 9, enc)  # MSH-n is msh[n - 1]: MSH-1 is the separator
    if control_id:
        where += f" ({control_id})"
    msg_type = msh[8].split(enc.component) if len(msh) > 8 else []
    kind = (msg_type[0].strip().upper() if msg_type else "",
            msg_type[1].strip().upper() if len(msg_type) > 1 else "")
    if kind not in ACCEPTED:
        shown = "^".join(k for k in kind if k) or "(none)"
        raise ReaderError(f"{where}: message type {shown} is not a document message "
                          "(expected MDM^T02/T04 or ORU^R01)", control_id or str(n))
    lines: list[str] = []
    ids: dict[str, str] = {}
    for seg in segments[1:]:
        fields = seg.split(enc.field)
        name = fields[0]
        if name == "TXA":
            ids.setdefault("TXA-12", _component(fields, 12, enc))
        elif name == "OBR":
            ids.setdefault("OBR-3", _component(fields, 3, enc))
            ids.setdefault("OBR-2", _component(fields, 2, enc))
        elif name == "OBX" and len(fields) > 5:
            if fields[2].split(enc.component)[0].strip().upper() in TEXT_VALUE_TYPES:
                for value in fields[5].split(enc.repetition):
                    lines.append(unescape(value, enc))
    doc_id = next((ids[k] for k in ("TXA-12", "OBR-3", "OBR-2") if ids.get(k)), "") \
        or control_id or f"{path.stem}-{n}"
    text = tidy_text("\n".join(lines))
    if not text.strip():
        raise ReaderError(f"{where}: no report text in OBX-5 (value type TX, FT or ST)", doc_id)
    return Document(id=doc_id, text=text,
                    meta={"format": "hl7v2", "message": str(n),
                          "message_type": "^".join(kind), "control_id": control_id})


def _encoding(msh: str, where: str, part: str) -> Encoding:
    if len(msh) < 8:
        raise ReaderError(f"{where}: MSH segment is too short", part)
    fs = msh[3]
    chars = msh[4:].split(fs, 1)[0]
    if fs.isalnum() or fs.isspace() or len(chars) < 3:
        raise ReaderError(f"{where}: MSH field separator or encoding characters are invalid",
                          part)
    seps = (fs, *chars[:4])
    if len(set(seps)) != len(seps) or any(c.isalnum() or c.isspace() for c in seps):
        raise ReaderError(f"{where}: MSH encoding characters are invalid", part)
    return Encoding(fs, chars[0], chars[1], chars[2], chars[3] if len(chars) > 3 else "&")


def _component(fields: list[str], n: int, enc: Encoding) -> str:
    """First component of field n (first repetition), unescaped."""
    if len(fields) <= n:
        return ""
    first = fields[n].split(enc.repetition)[0].split(enc.component)[0]
    return unescape(first, enc).strip()


def unescape(value: str, enc: Encoding) -> str:
    """Decode HL7 escape sequences; formatting commands become line breaks or spaces."""
    e = re.escape(enc.escape)
    pattern = re.compile(f"{e}([^{e}]*){e}")
    simple = {"F": enc.field, "S": enc.component, "T": enc.subcomponent,
              "R": enc.repetition, "E": enc.escape}

    def one(m: re.Match[str]) -> str:
        seq = m.group(1)
        if seq in simple:
            return simple[seq]
        if seq in (".br", ".ce"):
            return "\n"
        if seq.startswith(".sp"):
            return "\n" * (1 + min(_number(seq[3:], 1), _MAX_SPACING))
        if seq.startswith(".sk"):
            return " " * min(_number(seq[3:], 1), _MAX_SPACING)
        if seq[:3] in (".fi", ".nf", ".in", ".ti") or seq in ("H", "N"):
            return ""
        if seq[:1] == "X":
            return _hex(seq[1:])
        if seq[:1] in ("C", "M", "Z"):  # character-set switches, locally defined escapes
            return ""
        return m.group(0)  # not an escape sequence: keep the text as sent

    return pattern.sub(one, value)


def _number(s: str, default: int) -> int:
    s = s.strip().lstrip("+")
    return int(s) if s.isdigit() and len(s) < 6 else default


def _hex(digits: str) -> str:
    try:
        data = bytes.fromhex(digits)
    except ValueError:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
