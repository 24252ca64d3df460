"""`opcheck report`: the audit report, one self-contained HTML file."""

from __future__ import annotations

from typing import Annotated

import typer

from ._util import reported_errors


def report_cli(
    db: Annotated[str, typer.Argument(metavar="DB", help="Results store of `opcheck audit`.")],
    html: Annotated[str, typer.Option(
        "--html", metavar="FILE", help="Where to write the HTML report.")] = "audit.html",
) -> None:
    """Write the audit report: totals, verdicts, reasons, devices, breakdowns by surgeon and
    facility, and a sortable table of the reports that need action.

    One HTML file with inline CSS and SVG charts: no internet, scripts or fonts needed.
    """
    with reported_errors():
        from ..audit.report import write_report

        n = write_report(db, html)
    typer.echo(f"report: {n} reports -> {html}")
