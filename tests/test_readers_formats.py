"""Every report format gives the verdict of the same note as .txt (issue 6 acceptance).

Each file is built here from corpus text: RTF markup, a python-docx document whose implant
log is a Word table, a hand-written PDF with a text layer, an HL7 MDM^T02 message and a FHIR
DocumentReference. `opcheck check` must say the same verdict, reasons and devices for each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures import builders as B
from typer.testing import CliRunner

from nlp.check import Checker
from nlp.cli import app
from nlp.readers import Document, read_path, supported_suffixes

ROOT = Path(__file__).resolve().parent.parent
# supported (pipe implant table), supported with screw counts only in the implant log,
# query (screw count missing), not_supported (distal radius ORIF)
REPORTS = ["b001", "b005", "b020", "b032"]

BUILD: dict[str, Callable[[str], bytes]] = {
    "rtf": B.rtf,
    "docx": B.docx,
    "pdf": B.pdf,
    "hl7": lambda text: B.hl7_file([B.hl7_message(text, "OP-1")]),
    "json": lambda text: B.fhir(B.document_reference("docref-1", text.encode("utf-8"))),
}

runner = CliRunner()


def corpus_report(rid: str) -> dict:
    for path in sorted((ROOT / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["id"] == rid:
                return row
    raise KeyError(rid)


def summary(out: dict) -> tuple:
    return (out["verdict"], [r["code"] for r in out["reasons"]],
            [w["code"] for w in out["warnings"]], out["suggested_primary"],
            [(d["type"], d["count"], d["site"]["bone"], d["status"], d["laterality"])
             for d in out["devices"]])


def check_json(path: Path, primary: str | None) -> dict:
    args = ["check", str(path), "--format", "json"] + (["--primary", primary] if primary else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_registry_knows_every_format() -> None:
    assert {".txt", ".rtf", ".docx", ".pdf", ".hl7", ".json"} <= set(supported_suffixes())


@pytest.mark.parametrize("rid", REPORTS)
def test_each_format_gives_the_txt_verdict(cli_checker: Checker, tmp_path: Path,
                                           rid: str) -> None:
    report = corpus_report(rid)
    txt = tmp_path / f"{rid}.txt"
    txt.write_text(report["text"], encoding="utf-8")
    expected = summary(check_json(txt, report["primary"]))
    assert expected[0] == report["expected"]["verdict"]
    for fmt, build in BUILD.items():
        path = tmp_path / f"{rid}.{fmt}"
        path.write_bytes(build(report["text"]))
        assert summary(check_json(path, report["primary"])) == expected, fmt


def test_docx_implant_table_carries_the_counts(checker: Checker, tmp_path: Path) -> None:
    """b005 counts its screws only in the implant log (4 + 3 + 4): here a real Word table."""
    report = corpus_report("b005")
    path = tmp_path / "b005.docx"
    path.write_bytes(B.docx(report["text"]))
    [doc] = read_path(path)
    assert "DePuy Synthes | Locking screw 5.0 mm, self-drilling | 413.365" in doc.text
    result = checker.check(doc.text, report["primary"])
    assert result.verdict == "supported"
    applied = {(d.type, d.count) for d in result.devices if d.status == "applied"}
    assert applied == {("plate", 1), ("screw", 11)}


def test_multi_document_files_print_one_result_per_document(cli_checker: Checker,
                                                            tmp_path: Path) -> None:
    text = corpus_report("b001")["text"]
    hl7 = tmp_path / "msgs.hl7"
    hl7.write_bytes(B.hl7_file([B.hl7_message(text, "OP-1"),
                                B.hl7_message(text, "OP-2", "ORU^R01", "2", ft=True)],
                               mllp=True))
    r = runner.invoke(app, ["check", str(hl7), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(row["id"], row["verdict"]) for row in rows] == [("OP-1", "supported"),
                                                            ("OP-2", "supported")]
    r = runner.invoke(app, ["check", str(hl7)])
    assert r.exit_code == 0 and r.stdout.count("SUPPORTED") == 2, r.output


def test_cli_reports_a_bad_part_and_checks_the_others(cli_checker: Checker,
                                                      tmp_path: Path) -> None:
    text = corpus_report("b020")["text"]
    path = tmp_path / "bundle.json"
    path.write_bytes(B.fhir(B.bundle([B.document_reference("dr-1", text.encode()),
                                      B.document_reference("dr-2", None)])))
    r = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert r.exit_code == 1
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows[0]["id"] == "dr-1" and rows[0]["verdict"] == "query"
    assert rows[1] == {"id": "dr-2", "part": 2, "error": rows[1]["error"]}
    assert "no content attachment" in rows[1]["error"]
    assert "dr-2" in r.stderr and "1 part(s)" in r.stderr


def test_unreadable_file_is_bad_input(cli_checker: Checker, tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(B.pdf(None))
    r = runner.invoke(app, ["check", str(path)])
    assert r.exit_code == 2
    assert r.stderr.strip() == "opcheck: error: scan.pdf: no text layer (scanned image?)"


def test_read_path_documents_carry_no_patient_identifiers(tmp_path: Path) -> None:
    text = corpus_report("b001")["text"]
    (tmp_path / "m.hl7").write_bytes(B.hl7_file([B.hl7_message(text, "OP-1")]))
    (tmp_path / "d.json").write_bytes(B.fhir(B.document_reference("dr", text.encode())))
    for name in ("m.hl7", "d.json"):
        [doc] = read_path(tmp_path / name)
        assert isinstance(doc, Document)
        blob = json.dumps([doc.id, doc.meta])
        for secret in ("MRN0042", "TESTPATIENT", "19700101", "Patient/"):
            assert secret not in blob and secret not in doc.text
