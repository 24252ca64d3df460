"""`opcheck check`: one report (file or stdin), a JSONL batch, or a file in another report
format (.rtf, .docx, .pdf, .hl7, FHIR .json; read through nlp.readers) -> verdicts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import _util
from ._util import EXIT_FAILED, ModelOption, RulepackOption, reported_errors

if TYPE_CHECKING:
    from ..check import Checker
    from ..io import BatchError, BatchItem
    from ..schemas import CheckResult

CHUNK = 32
TEXT_SUFFIXES = (".txt", ".text")  # read by read_report, as before the reader registry


class Format(str, Enum):
    """`check` output: the shared text/json, plus an HL7 v2 message for CDI systems."""

    text = "text"
    json = "json"
    hl7 = "hl7"


def result_json(result: CheckResult, with_id: bool = False, indent: int | None = None) -> str:
    """The SPEC output contract; "id" only in batch mode, "confidence" only when computed."""
    exclude = set() if with_id else {"id"}
    if result.confidence is None:
        exclude |= {"confidence", "needs_review"}
    return result.model_dump_json(exclude_none=False, exclude=exclude or None, indent=indent)


def check_batch(checker: Checker, entries: Iterable[BatchItem | BatchError],
                default_primary: str | None = None
                ) -> Iterator[tuple[BatchItem, CheckResult] | BatchError]:
    """Check batch lines in input order; a line that cannot be checked becomes a BatchError.

    Good lines go through `Checker.check_many` in chunks; should a chunk fail unexpectedly,
    its lines are checked one by one so that the failure stays with the line that caused it.
    """
    from ..check import InputError, validate_primary, validate_text
    from ..io import BatchError

    pending: list[tuple[BatchItem, str | None]] = []

    def flush() -> Iterator[tuple[BatchItem, CheckResult] | BatchError]:
        if not pending:
            return
        chunk = pending[:]
        pending.clear()
        try:
            results = list(checker.check_many(((i.text, p) for i, p in chunk),
                                              batch_size=CHUNK))
        except Exception:  # noqa: BLE001 - isolate the line that fails
            results = None
        for k, (item, primary) in enumerate(chunk):
            if results is not None:
                yield item, results[k].model_copy(update={"id": item.id})
                continue
            try:
                yield item, checker.check(item.text, primary).model_copy(update={"id": item.id})
            except Exception as exc:  # noqa: BLE001
                yield BatchError(item.line, f"internal error ({type(exc).__name__}): {exc}",
                                 item.id)

    for entry in entries:
        if isinstance(entry, BatchError):
            yield from flush()
            yield entry
            continue
        primary = entry.primary if entry.primary is not None else default_primary
        try:
            validate_text(entry.text)
            primary = validate_primary(primary, checker.rules)
        except InputError as exc:
            yield from flush()
            yield BatchError(entry.line, str(exc), entry.id)
            continue
        pending.append((entry, primary))
        if len(pending) >= CHUNK:
            yield from flush()
    yield from flush()


def _hl7(result: CheckResult, doc_id: str | None, checker: Checker) -> str:
    from ..hl7out import result_to_mdm

    return result_to_mdm(result, document_id=doc_id, addon=checker.rules.addon_code)


def _run_single(path: str, primary: str | None, fmt: Format, checker_args: tuple,
                text: str | None = None, doc_id: str | None = None) -> None:
    from ..io import read_report
    from ..render import render_text

    if text is None:
        text = read_report(path)  # bad input fails before spaCy is loaded
        doc_id = None if path == "-" else Path(path).stem
    checker = _util.load_checker(*checker_args)
    result = checker.check(text, primary)
    if fmt is Format.json:
        typer.echo(result_json(result, indent=2))
    elif fmt is Format.hl7:
        typer.echo(_hl7(result, doc_id, checker))
    else:
        typer.echo(render_text(result, text, addon=checker.rules.addon_code), nl=False)


def _run_documents(path: str, primary: str | None, fmt: Format, checker_args: tuple) -> int:
    """A file read through the reader registry: one document is shown like a .txt report;
    a multi-document file (HL7, FHIR Bundle) like a batch, one result per document with its
    id, an unreadable message or entry as an error line (exit 1)."""
    from ..check import InputError
    from ..io import BatchError, BatchItem
    from ..readers import ReaderError, read_path

    try:
        parts = list(read_path(path, yield_errors=True))  # read before spaCy is loaded
    except ReaderError as exc:
        raise InputError(str(exc)) from None
    if len(parts) == 1 and not isinstance(parts[0], ReaderError):
        _run_single(path, primary, fmt, checker_args, parts[0].text, parts[0].id)
        return 0
    entries = [BatchError(n, str(p), p.part) if isinstance(p, ReaderError)
               else BatchItem(n, p.id, p.text, None) for n, p in enumerate(parts, 1)]
    return _run_batch(path, primary, fmt, checker_args, entries)


def _run_batch(path: str, primary: str | None, fmt: Format, checker_args: tuple,
               documents: list[BatchItem | BatchError] | None = None) -> int:
    from ..io import BatchError, iter_jsonl
    from ..render import render_text

    unit = "line" if documents is None else "part"
    entries = iter_jsonl(path) if documents is None else documents
    checker = _util.load_checker(*checker_args)
    failed = 0
    first = True
    for out in check_batch(checker, entries, primary):
        if fmt is Format.text and not first:
            typer.echo("-" * 72)
        first = False
        if isinstance(out, BatchError):
            failed += 1
            _util.warn(f"{path}:{out.line}: {out.error}" if documents is None else out.error)
            if fmt is Format.json:
                typer.echo(json.dumps({"id": out.id, unit: out.line, "error": out.error}))
            elif fmt is Format.text:  # hl7: stdout stays a clean message stream
                typer.echo(f"[{out.id or '-'}] ERROR ({unit} {out.line}): {out.error}")
            continue
        item, result = out
        if fmt is Format.json:
            typer.echo(result_json(result, with_id=True))
        elif fmt is Format.hl7:
            typer.echo(_hl7(result, item.id, checker))
        else:
            typer.echo(render_text(result, item.text, addon=checker.rules.addon_code), nl=False)
    if failed:
        _util.warn(f"{failed} {unit}(s) of {path} could not be checked")
    return failed


def check_cli(
    path: Annotated[str, typer.Argument(
        metavar="PATH|-",
        help="Report file (.txt, .rtf, .docx, .pdf, .hl7, FHIR .json), '-' for stdin "
             '(text), or a .jsonl batch of {"id", "text", "primary"} lines.')],
    primary: Annotated[str | None, typer.Option(
        "--primary", "-p", metavar="CODE",
        help="Primary CPT code proposed with 27358 (27355, 27356 or 27357). In a batch, "
             "the default for lines without one.")] = None,
    fmt: Annotated[Format, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="Output: text for people, json per SPEC, hl7 (an MDM^T02 message per report).")
    ] = Format.text,
    model: ModelOption = None,
    rulepack: RulepackOption = None,
) -> None:
    """Check operative report(s) for the documentation add-on code 27358 needs.

    Prints the verdict (supported, query, not_supported) with reasons, evidence, devices and
    physician queries. Exit 0 for any verdict, 2 for bad input; in batch mode, 1 when some
    line could not be checked (the other lines are still checked). A .hl7 or FHIR .json file
    with several reports is checked like a batch, one result per report with its id.
    """
    with reported_errors():
        from ..check import validate_primary

        primary = validate_primary(primary, _util.load_rules(rulepack))
        if path != "-" and path.lower().endswith(".jsonl"):
            failed = _run_batch(path, primary, fmt, (model, rulepack))
        elif path != "-" and _registry_format(path):
            failed = _run_documents(path, primary, fmt, (model, rulepack))
        else:
            _run_single(path, primary, fmt, (model, rulepack))
            failed = 0
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _registry_format(path: str) -> bool:
    """A suffix that a reader other than plain text handles (.rtf, .docx, .pdf, .hl7, .json)."""
    from ..readers import supported_suffixes

    suffix = Path(path).suffix.lower()
    return suffix not in TEXT_SUFFIXES and suffix in supported_suffixes()
