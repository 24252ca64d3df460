"""`opcheck export`: an audit results store as CSV or JSONL on stdout."""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import Annotated

import typer

from ._util import reported_errors


class ExportFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


def export_cli(
    db: Annotated[str, typer.Argument(metavar="DB", help="Results store of `opcheck audit`.")],
    fmt: Annotated[ExportFormat, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="csv: one flat row per report; jsonl: rows with the full JSON result.")
    ] = ExportFormat.csv,
) -> None:
    """Write every report of an audit (processed and failed) to stdout, ordered by id."""
    with reported_errors():
        from ..audit.export import write_csv, write_jsonl

        try:
            (write_csv if fmt is ExportFormat.csv else write_jsonl)(db, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # `| head`: the reader has seen enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
