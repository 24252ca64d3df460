"""`opcheck audit`: check archives of reports against the billed claims into a results store."""

from __future__ import annotations

from typing import Annotated

import typer

from . import _util
from ._util import EXIT_FAILED, ModelOption, RulepackOption, reported_errors

MAX_FAILURE_LINES = 200


def audit_cli(
    archives: Annotated[list[str], typer.Argument(
        metavar="ARCHIVE...",
        help="Folders (walked recursively), report files, .jsonl or .csv archives.")],
    out: Annotated[str, typer.Option(
        "--out", "-o", metavar="DB", help="Results store (SQLite, created with mode 0600).")
    ] = "audit.db",
    claims: Annotated[str | None, typer.Option(
        "--claims", metavar="CSV",
        help="Billed claims: report id -> billed CPT codes. Without it a rerun keeps the "
             "claims given before.")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=0, metavar="N",
        help="Local worker processes (default: all cores; 0: in this process).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS",
        help="Run on a Dask distributed cluster instead, e.g. tcp://host:8786.")] = None,
    text_column: Annotated[str, typer.Option(
        "--text-column", help="Report text column/key of JSONL and CSV archives.")] = "text",
    id_column: Annotated[str, typer.Option(
        "--id-column", help="Report id column/key of JSONL and CSV archives.")] = "id",
    batch_size: Annotated[int, typer.Option(
        "--batch-size", min=1, help="Reports per work unit (and per committed write).")] = 16,
    model: ModelOption = None,
    rulepack: RulepackOption = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Audit archives of operative reports for add-on 27358.

    Every report is checked (against its billed primary when 27358 was billed) and written to
    the results store; a rerun checks only new or changed reports. Every input is accounted
    for: the summary line counts processed, skipped (unchanged) and failed inputs, and each
    failure is reported on stderr with its reason. Exit 0 when nothing failed, 1 when some
    input failed (the others are still audited), 2 for bad arguments, 130 when interrupted.
    """
    from ..audit.run import audit

    shown = 0

    def on_failure(place: str, error: str) -> None:
        nonlocal shown
        shown += 1
        if shown <= MAX_FAILURE_LINES:
            typer.echo(f"opcheck: failed: {place}: {_util.one_line(error)}", err=True)

    with reported_errors():
        _util.load_rules(rulepack)
        summary = audit(archives, out, claims=claims, workers=workers, scheduler=scheduler,
                        text_column=text_column, id_column=id_column, model=model,
                        rulepack=rulepack, batch_size=batch_size,
                        progress=False if quiet else None, on_failure=on_failure)
    if shown > MAX_FAILURE_LINES:
        typer.echo(f"opcheck: ... and {shown - MAX_FAILURE_LINES} more failures "
                   f"(`opcheck export {out}` lists them all)", err=True)
    typer.echo(summary.line() + f" -> {out}")
    typer.echo(summary.findings_line())
    if summary.interrupted:
        raise typer.Exit(130)
    if summary.failed:
        raise typer.Exit(EXIT_FAILED)
