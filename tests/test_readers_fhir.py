"""The FHIR .json reader: DocumentReference and Bundle, attachment types, per-entry errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from fixtures import builders as B

from nlp.readers import Document, ReaderError, read_path

NOTE = "PROCEDURE: Curettage, left distal femur (Café).\nPlate x1, screws x6."


def read(tmp_path: Path, resource: dict | bytes) -> list:
    path = tmp_path / "docs.json"
    path.write_bytes(resource if isinstance(resource, bytes) else B.fhir(resource))
    return list(read_path(path, yield_errors=True))


@pytest.mark.parametrize("content_type, data", [
    ("text/plain", NOTE.encode("utf-8")),
    ("text/plain; charset=ISO-8859-1", NOTE.encode("latin-1")),
    ("text/plain", NOTE.encode("cp1252")),  # no charset: detected
    ("text/rtf", B.rtf(NOTE)),
    ("application/pdf", B.pdf(NOTE)),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", B.docx(NOTE)),
    ("", B.pdf(NOTE)),  # no contentType: sniffed
])
def test_document_reference_attachment_types(tmp_path: Path, content_type: str,
                                             data: bytes) -> None:
    [doc] = read(tmp_path, B.document_reference("dr-1", data, content_type))
    assert doc.id == "dr-1" and doc.text.strip() == NOTE
    assert doc.meta["format"] == "fhir"
    assert "subject" not in doc.meta and "Patient" not in json.dumps(doc.meta)


def test_bundle_with_one_entry_missing_its_attachment(tmp_path: Path) -> None:
    patient = {"resourceType": "Patient", "id": "TESTPATIENT-42"}
    res = B.bundle([B.document_reference("dr-1", NOTE.encode()), patient,
                    B.document_reference("dr-3", None),
                    B.document_reference(None, B.rtf(NOTE), "text/rtf")])
    items = read(tmp_path, res)
    assert [(type(i).__name__, i.id if isinstance(i, Document) else i.part)
            for i in items] == [("Document", "dr-1"), ("ReaderError", "dr-3"),
                                ("Document", "docs-4")]
    assert str(items[1]) == "docs.json: entry 3 (DocumentReference dr-3): no content attachment"


def test_id_from_identifiers(tmp_path: Path) -> None:
    res = B.document_reference(None, NOTE.encode())
    res["masterIdentifier"] = {"system": "urn:x", "value": "MASTER-9"}
    assert read(tmp_path, res)[0].id == "MASTER-9"


@pytest.mark.parametrize("attachment, match", [
    ({"contentType": "text/plain", "data": "***not base64***"}, "not valid base64"),
    ({"contentType": "text/plain", "url": "http://x/y"}, r"only a url \(not fetched\)"),
    ({"contentType": "image/jpeg", "data": base64.b64encode(b"\xff\xd8\xff").decode()},
     "type 'image/jpeg' is not supported"),
    ({"contentType": "application/pdf", "data": base64.b64encode(B.pdf(None)).decode()},
     r"no text layer \(scanned image\?\)"),
    ({"contentType": "text/plain", "data": ""}, "input is empty"),
])
def test_bad_attachments(tmp_path: Path, attachment: dict, match: str) -> None:
    res = {"resourceType": "DocumentReference", "id": "d", "content": [{"attachment": attachment}]}
    with pytest.raises(ReaderError, match=match):
        read(tmp_path, res)


def test_first_readable_content_wins(tmp_path: Path) -> None:
    res = B.document_reference("d", B.pdf(None), "application/pdf")
    res["content"].append({"attachment": {"contentType": "text/plain",
                                          "data": base64.b64encode(NOTE.encode()).decode()}})
    assert read(tmp_path, res)[0].text == NOTE


@pytest.mark.parametrize("raw, match", [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe{}", "not valid JSON"),
    (b"[1, 2]", "not a FHIR resource"),
    (b'{"id": "x"}', "not a FHIR resource"),
    (b'{"resourceType": "Patient", "id": "p"}', "FHIR Patient is not supported"),
    (b'{"resourceType": "Bundle"}', "Bundle has no entries"),
    (b'{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]}',
     "Bundle holds no DocumentReference"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
])
def test_not_a_readable_fhir_file(tmp_path: Path, raw: bytes, match: str) -> None:
    with pytest.raises(ReaderError, match=match):
        read(tmp_path, raw)
