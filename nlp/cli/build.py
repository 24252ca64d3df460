"""`opcheck build`: build the opnote pipeline and save it to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import reported_errors


def build_cli(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Directory to write (default: models/opcheck-27358).")] = None,
) -> None:
    """Build the opnote pipeline from pipeline.cfg and the rule data, and save it."""
    with reported_errors():
        from ..pipeline import DEFAULT_MODEL_DIR, build_to_disk

        typer.echo(str(build_to_disk(out if out is not None else DEFAULT_MODEL_DIR)))
