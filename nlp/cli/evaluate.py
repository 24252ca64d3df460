"""`opcheck evaluate`: score the checker on an annotated JSONL file (SPEC-27358 figures)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import _util
from ._util import Format, ModelOption, reported_errors

if TYPE_CHECKING:
    from ..check import Checker
    from ..evaluate import Scores


def evaluate_file(checker: Checker, path: str | Path) -> Scores:
    """Load an annotated file (the caller has checked that it exists), check and score it."""
    from ..check import InputError, validate_primary, validate_text
    from ..evaluate import load_annotated, score

    try:
        rows = load_annotated(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(str(exc)) from None
    if not rows:
        raise InputError(f"no annotated reports in {path}")
    for row in rows:
        try:
            validate_text(row["text"])
            validate_primary(row.get("primary"), checker.rules)
        except InputError as exc:
            raise InputError(f"{path}: report {row['id']}: {exc}") from None
    results = checker.check_many((row["text"], row.get("primary")) for row in rows)
    return score(rows, results)


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def render_scores(s: Scores, show_errors: bool = False) -> str:
    """The SPEC's figures as a plain-text table."""
    from ..evaluate import VERDICTS, error_counts

    lines = [
        f"Reports                     {s.reports}",
        f"Verdict accuracy            {_pct(s.verdict_accuracy)}",
        f"False supported             {s.false_supported}"
        + (f"  ({', '.join(s.false_supported_ids)})" if s.false_supported_ids else ""),
        "",
        "Confusion (rows: gold, columns: predicted)",
        "  " + "".join(f"{v:>15}" for v in ("", *VERDICTS)),
    ]
    for gold in VERDICTS:
        row = s.confusion.get(gold, {})
        lines.append("  " + f"{gold:>15}" + "".join(f"{row.get(p, 0):>15}" for p in VERDICTS))
    lines += [
        "",
        f"{'':28}{'precision':>10}{'recall':>10}{'F1':>10}",
        f"{'Reasons':28}{_pct(s.reason_precision):>10}{_pct(s.reason_recall):>10}"
        f"{_pct(s.reason_f1):>10}",
        f"{'Devices (type, bone)':28}{_pct(s.device_precision):>10}"
        f"{_pct(s.device_recall):>10}{_pct(s.device_f1):>10}",
        "",
        f"Count accuracy              {_pct(s.count_accuracy)}",
        f"Region accuracy             {_pct(s.region_accuracy)}",
        f"Laterality accuracy         {_pct(s.laterality_accuracy)}",
        f"Primary procedure accuracy  {_pct(s.primary_procedure_accuracy)}",
        f"Graft accuracy              {_pct(s.graft_accuracy)}",
    ]
    if show_errors:
        lines += ["", f"Reports with errors: {len(s.errors)}"]
        kinds = error_counts(s)
        if kinds:
            lines.append("  by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
        for e in s.errors:
            lines.append(f"  {e['id']}: " + "; ".join(e["errors"]))
    return "\n".join(lines) + "\n"


def ablation_report(model: str | None) -> str:
    """Rules alone vs rules + the installed learned parts, on dev, test and MTSamples."""
    from ..check import InputError
    from ..learn.train import (
        EXTERNAL,
        ROOT_CORPUS,
        ablation_table,
        load_splits,
        run_ablation,
        shift_sets,
    )

    checker = _util.load_checker(model, None)
    if "opnote_learned" not in checker.nlp.pipe_names or \
            not checker.nlp.get_pipe("opnote_learned").trained:
        raise InputError("no learned models in the pipeline: run `opcheck train` first")
    models = checker.nlp.get_pipe("opnote_learned").models
    splits = load_splits(ROOT_CORPUS, EXTERNAL,
                         names=("dev", "test", *shift_sets(ROOT_CORPUS)))
    table = run_ablation(models, splits, log=lambda m: None)
    return ablation_table({"ablation": table}) + "\n"


def evaluate_cli(
    file: Annotated[str | None, typer.Argument(
        metavar="[FILE]", help="Annotated JSONL (the corpus format).")] = None,
    model: ModelOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", case_sensitive=False,
                                        help="text table or json.")] = Format.text,
    errors: Annotated[bool, typer.Option("--errors", help="List each report's errors.")
                      ] = False,
    ablation: Annotated[bool, typer.Option(
        "--ablation", help="Compare rules alone with rules + learned parts (dev, test, "
        "MTSamples) instead of scoring FILE.")] = False,
) -> None:
    """Score the checker on an annotated JSONL file.

    Prints verdict accuracy, the confusion matrix, false supported (with ids), reason and
    device precision/recall/F1, and count, region and laterality accuracy.
    """
    with reported_errors():
        from ..check import InputError
        from ..io import existing_file

        if ablation:
            typer.echo(ablation_report(model), nl=False)
            return
        if file is None:
            raise InputError("give an annotated FILE, or --ablation")
        existing_file(file, "an annotated file")  # before the model loads
        checker = _util.load_checker(model, None)
        scores = evaluate_file(checker, file)
        if fmt is Format.json:
            exclude = None if errors else {"errors"}
            typer.echo(scores.model_dump_json(indent=2, exclude=exclude))
        else:
            typer.echo(render_scores(scores, errors), nl=False)
