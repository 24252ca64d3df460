"""`--format hl7`: the result as an MDM^T02 message, round-tripped through the hl7 parser."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import hl7
from typer.testing import CliRunner

from nlp.check import Checker
from nlp.cli import app
from nlp.hl7out import escape, result_to_mdm
from nlp.schemas import CheckResult

QUERY_NOTE = (
    "PROCEDURE: Curettage of nonossifying fibroma, left distal femur, with allograft.\n"
    "A distal femoral locking plate was applied to the left distal femur and fixed with "
    "locking screws.\n")


def parse(message: str) -> hl7.Message:
    return hl7.parse(message)


def observations(msg: hl7.Message) -> list[tuple[str, str]]:
    return [(str(obx[3][0][0]), msg.unescape(str(obx[5]), app_map={".br": "\n"}))
            for obx in msg.segments("OBX")]


def test_round_trip_with_the_hl7_parser(checker: Checker) -> None:
    result = checker.check(QUERY_NOTE, "27356")
    assert result.verdict == "query" and result.queries
    text = result_to_mdm(result, document_id="OP|1^x", now=datetime(2024, 1, 2, 3, 4, 5),
                         control_id="CTL1")
    assert "\n" not in text and text.endswith("\r")
    msg = parse(text)
    assert str(msg.segment("MSH")[9]) == "MDM^T02^MDM_T02"
    assert str(msg.segment("MSH")[10]) == "CTL1"
    assert str(msg.segment("MSH")[7]) == "20240102030405"
    txa = msg.segment("TXA")
    assert msg.unescape(str(txa[13])) == "OP|1^x"  # the checked report, escaped and back
    obs = observations(msg)
    assert obs[0] == ("VERDICT", "query")
    assert [v for k, v in obs if k == "REASON"] == [f"{r.code}: {r.message}"
                                                     for r in result.reasons]
    assert [v for k, v in obs if k == "QUERY"] == result.queries
    assert ("SUGGESTED_PRIMARY", "27356") in obs
    assert [str(o[1]) for o in msg.segments("OBX")] == [str(i) for i in range(1, len(obs) + 1)]
    assert all(str(o[2]) == "TX" for o in msg.segments("OBX"))


def test_escape_covers_delimiters_and_line_breaks() -> None:
    value = "a|b^c&d~e\\f\r\ng"
    assert escape(value) == "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g"
    result = CheckResult(verdict="query", primary_procedure="femur_lesion_excision",
                         graft="none", queries=[value])
    msg = parse(result_to_mdm(result))
    assert observations(msg)[-1] == ("QUERY", "a|b^c&d~e\\f\ng")
    assert str(msg.segment("PID")) == "PID|1"  # no patient identifiers are invented


def test_cli_format_hl7(cli_checker: Checker, tmp_path: Path) -> None:
    path = tmp_path / "op-77.txt"
    path.write_text(QUERY_NOTE)
    r = CliRunner().invoke(app, ["check", str(path), "--format", "hl7", "-p", "27356"])
    assert r.exit_code == 0, r.output
    msg = parse(r.stdout)
    assert str(msg.segment("TXA")[13]) == "op-77"
    assert observations(msg)[0] == ("VERDICT", "query")


def test_cli_format_hl7_batch_gives_one_message_per_report(cli_checker: Checker,
                                                          tmp_path: Path) -> None:
    import json

    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"r{i}", "text": QUERY_NOTE}) for i in (1, 2))
                    + "\n" + json.dumps({"id": "bad"}) + "\n")
    r = CliRunner().invoke(app, ["check", str(path), "--format", "hl7"])
    assert r.exit_code == 1  # the bad line is reported on stderr only
    messages = [m for m in r.stdout.split("\n") if m.strip()]
    assert [str(parse(m).segment("TXA")[13]) for m in messages] == ["r1", "r2"]
    assert "missing key 'text'" in r.stderr
