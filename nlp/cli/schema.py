"""`opcheck schema`: the JSON Schema of the `--format json` output."""

from __future__ import annotations

import json

import typer

from ._util import reported_errors


def result_schema() -> dict:
    from ..schemas import CheckResult

    return CheckResult.model_json_schema()


def schema_cli() -> None:
    """Print the JSON Schema of a check result (the `--format json` output)."""
    with reported_errors():
        typer.echo(json.dumps(result_schema(), indent=2))
