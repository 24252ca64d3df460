"""`opcheck check`: one report (file or stdin) or a JSONL batch -> verdicts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from . import _util
from ._util import EXIT_FAILED, Format, reported_errors

if TYPE_CHECKING:
    from ..check import Checker
    from ..io import BatchError, BatchItem
    from ..schemas import CheckResult

CHUNK = 32


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


def _run_single(path: str, primary: str | None, fmt: Format, checker_args: tuple) -> None:
    from ..io import read_report
    from ..render import render_text

    text = read_report(path)  # bad input fails before spaCy is loaded
    checker = _util.load_checker(*checker_args)
    result = checker.check(text, primary)
    if fmt is Format.json:
        typer.echo(result_json(result, indent=2))
    else:
        typer.echo(render_text(result, text, addon=checker.rules.addon_code), nl=False)


def _run_batch(path: str, primary: str | None, fmt: Format, checker_args: tuple) -> int:
    from ..io import BatchError, iter_jsonl
    from ..render import render_text

    entries = iter_jsonl(path)
    checker = _util.load_checker(*checker_args)
    failed = 0
    first = True
    for out in check_batch(checker, entries, primary):
        if fmt is Format.text and not first:
            typer.echo("-" * 72)
        first = False
        if isinstance(out, BatchError):
            failed += 1
            _util.warn(f"{path}:{out.line}: {out.error}")
            if fmt is Format.json:
                typer.echo(json.dumps({"id": out.id, "line": out.line, "error": out.error}))
            else:
                typer.echo(f"[{out.id or '-'}] ERROR (line {out.line}): {out.error}")
            continue
        item, result = out
        if fmt is Format.json:
            typer.echo(result_json(result, with_id=True))
        else:
            typer.echo(render_text(result, item.text, addon=checker.rules.addon_code), nl=False)
    if failed:
        _util.warn(f"{failed} line(s) of {path} could not be checked")
    return failed


def check_cli(
    path: Annotated[str, typer.Argument(
        metavar="PATH|-",
        help="Report text file, '-' for stdin, or a .jsonl batch of "
             '{"id", "text", "primary"} lines.')],
    primary: Annotated[str | None, typer.Option(
        "--primary", "-p", metavar="CODE",
        help="Primary CPT code proposed with 27358 (27355, 27356 or 27357). In a batch, "
             "the default for lines without one.")] = None,
    fmt: Annotated[Format, typer.Option(
        "--format", "-f", case_sensitive=False, help="Output: text for people, json per SPEC.")
    ] = Format.text,
    model: Annotated[str | None, typer.Option(
        "--model", metavar="DIR", help="Saved pipeline (default: models/opcheck-27358).")
    ] = None,
    rulepack: Annotated[str | None, typer.Option(
        "--rulepack", metavar="FILE", help="Rule pack YAML (default: the shipped 27358 one).")
    ] = None,
) -> None:
    """Check operative report(s) for the documentation add-on code 27358 needs.

    Prints the verdict (supported, query, not_supported) with reasons, evidence, devices and
    physician queries. Exit 0 for any verdict, 2 for bad input; in batch mode, 1 when some
    line could not be checked (the other lines are still checked).
    """
    with reported_errors():
        from ..check import validate_primary

        primary = validate_primary(primary, _util.load_rules(rulepack))
        if path != "-" and path.lower().endswith(".jsonl"):
            failed = _run_batch(path, primary, fmt, (model, rulepack))
        else:
            _run_single(path, primary, fmt, (model, rulepack))
            failed = 0
    if failed:
        raise typer.Exit(EXIT_FAILED)
