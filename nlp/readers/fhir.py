"""FHIR R4 JSON (.json): a DocumentReference, or a Bundle of them.

Each DocumentReference gives one Document: the first `content[].attachment` whose base64
`data` yields text, read by its contentType (text/plain, text/rtf, application/pdf, or a
.docx; sniffed from the bytes when contentType is missing). Attachments only by `url` are not
fetched. The id is the resource id, else masterIdentifier or the first identifier value.
`subject` (the patient) is never read.

In a Bundle, an entry that cannot be read (no attachment, bad base64, unsupported type) is
yielded as a ReaderError naming the entry; the other entries are read. Entries of other
resource types (Patient, Encounter, ...) are not reports and are passed over.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..check import InputError
from ..io import decode_report
from . import Document, ReaderError, register, tidy_text

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@register(".json")
def read_fhir(path: Path, raw: bytes) -> Iterator[Document | ReaderError]:
    name = path.name
    try:
        resource = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ReaderError(f"{name}: not valid JSON (a FHIR resource must be UTF-8 JSON)") \
            from None
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind == "DocumentReference":
        yield document_reference(resource, name, path.stem)
    elif kind == "Bundle":
        yield from _bundle(resource, name, path.stem)
    elif isinstance(kind, str):
        raise ReaderError(f"{name}: FHIR {kind[:40]} is not supported "
                          "(expected DocumentReference or Bundle)")
    else:
        raise ReaderError(f"{name}: not a FHIR resource (no resourceType)")


def _bundle(bundle: dict[str, Any], name: str, stem: str) -> Iterator[Document | ReaderError]:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        raise ReaderError(f"{name}: Bundle has no entries")
    found = 0
    for n, entry in enumerate(entries, 1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            yield ReaderError(f"{name}: entry {n}: no resource", f"entry-{n}")
            continue
        if resource.get("resourceType") != "DocumentReference":
            continue
        found += 1
        try:
            yield document_reference(resource, name, f"{stem}-{n}", f"entry {n}")
        except ReaderError as exc:
            yield exc
    if not found:
        raise ReaderError(f"{name}: Bundle holds no DocumentReference")


def document_reference(res: dict[str, Any], name: str, fallback_id: str,
                       where: str | None = None) -> Document:
    doc_id = _resource_id(res) or fallback_id
    label = f"{name}: {where + ' ' if where else ''}(DocumentReference {doc_id})"
    content = res.get("content")
    attachments = [c.get("attachment") for c in content if isinstance(c, dict)] \
        if isinstance(content, list) else []
    attachments = [a for a in attachments if isinstance(a, dict)]
    if not attachments:
        raise ReaderError(f"{label}: no content attachment", doc_id)
    first_error: ReaderError | None = None
    for att in attachments:
        try:
            text, ctype = attachment_text(att, label)
        except ReaderError as exc:
            first_error = first_error or exc
            continue
        if text.strip():
            return Document(id=doc_id, text=text,
                            meta={"format": "fhir", "resource": "DocumentReference",
                                  "content_type": ctype})
    if first_error is not None:
        raise ReaderError(str(first_error), doc_id)
    raise ReaderError(f"{label}: no report text", doc_id)


def _resource_id(res: dict[str, Any]) -> str:
    rid = res.get("id")
    if isinstance(rid, str) and rid.strip():
        return rid.strip()[:128]
    ident = res.get("masterIdentifier")
    idents = [ident] if isinstance(ident, dict) else []
    if isinstance(res.get("identifier"), list):
        idents += [i for i in res["identifier"] if isinstance(i, dict)]
    for i in idents:
        value = i.get("value")
        if isinstance(value, str) and value.strip():
            return value.strip()[:128]
    return ""


def attachment_text(att: dict[str, Any], label: str) -> tuple[str, str]:
    """Text of one Attachment's base64 `data`, and the content type it was read as."""
    data = att.get("data")
    if not isinstance(data, str):
        if isinstance(att.get("url"), str):
            raise ReaderError(f"{label}: attachment is only a url (not fetched)")
        raise ReaderError(f"{label}: attachment has no data")
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ReaderError(f"{label}: attachment data is not valid base64") from None
    ctype = att.get("contentType") if isinstance(att.get("contentType"), str) else ""
    media, _, params = ctype.partition(";")
    media = media.strip().lower() or _sniff(raw)
    if media == "text/plain":
        return _plain(raw, params, label), media
    if media in ("text/rtf", "application/rtf"):
        from .rtf import rtf_text

        return rtf_text(raw, label), media
    if media == "application/pdf":
        from .pdf import pdf_text

        return pdf_text(raw, label), media
    if media == DOCX_TYPE:
        from .docx import docx_text

        return docx_text(raw, label), media
    raise ReaderError(f"{label}: attachment type {media[:60]!r} is not supported "
                      "(text/plain, text/rtf, application/pdf, .docx)")


def _sniff(raw: bytes) -> str:
    if raw.startswith(b"%PDF-"):
        return "application/pdf"
    if raw.lstrip()[:5] == b"{\\rtf":
        return "text/rtf"
    if raw.startswith(b"PK\x03\x04"):
        return DOCX_TYPE
    return "text/plain"


def _plain(raw: bytes, params: str, label: str) -> str:
    charset = ""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"')
    if charset and not raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE,
                                       codecs.BOM_UTF16_BE)):
        try:
            return tidy_text(raw.decode(charset))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown charset label: detect it instead
    try:
        return tidy_text(decode_report(raw, label))
    except InputError as exc:
        raise ReaderError(str(exc)) from None
