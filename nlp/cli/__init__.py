"""The opcheck command line: the typer app, one module per command.

Each command is a thin `*_cli` wrapper over importable functions; heavy imports (spaCy) happen
inside the commands so that start-up stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .audit import audit_cli
from .build import build_cli
from .check import check_cli
from .evaluate import evaluate_cli
from .export import export_cli
from .report import report_cli
from .schema import schema_cli
from .serve import serve_cli
from .train import train_cli

app = typer.Typer(
    name="opcheck",
    help="Check operative reports for the documentation add-on CPT 27358 requires.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"opcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Check operative reports for the documentation add-on CPT 27358 requires."""


app.command("check")(check_cli)
app.command("evaluate")(evaluate_cli)
app.command("schema")(schema_cli)
app.command("build")(build_cli)
app.command("audit")(audit_cli)
app.command("export")(export_cli)
app.command("report")(report_cli)
app.command("train")(train_cli)
app.command("serve")(serve_cli)


def main() -> None:
    """Console-script entry point (`opcheck`)."""
    app(prog_name="opcheck")


__all__ = ["app", "main"]
