"""`opcheck train`: rebuild the learned components from corpus/ and save the pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import reported_errors

ROOT = Path(__file__).resolve().parents[2]


def train_cli(
    corpus: Annotated[Path, typer.Option(
        "--corpus", help="Corpus folder with train/dev/test.jsonl and mentions/.")
    ] = ROOT / "corpus",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Pipeline directory to write (default: models/opcheck-27358).")
    ] = None,
    external: Annotated[Path | None, typer.Option(
        "--external", help="Labelled MTSamples file for the ablation (read, never copied).")
    ] = ROOT.parent / "shared" / "external" / "mtsamples_ortho_gold.jsonl",
    seed: Annotated[int, typer.Option(help="Random seed (results are reproducible).")] = 0,
) -> None:
    """Train the status, procedure and confidence models, run the ablation, save the pipeline.

    Writes the pipeline with its skops model files, metrics.json and model-card.md. A learned
    part is switched on only if the ablation shows it nowhere worse and better somewhere.
    """
    with reported_errors():
        from ..check import InputError
        from ..learn.train import train
        from ..pipeline import DEFAULT_MODEL_DIR

        if not (corpus / "train.jsonl").is_file():
            raise InputError(f"no corpus at {corpus} (train.jsonl missing)")
        target = out if out is not None else DEFAULT_MODEL_DIR
        metrics = train(corpus, target, external, seed,
                        log=lambda m: typer.echo(m, err=True))
        typer.echo(f"{target}: shipped {metrics['chosen']}; "
                   f"test ECE {metrics['test_expected_calibration_error']}")
