"""Shared fixtures: one Checker per test session, built from the sources (not models/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.check import Checker

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def checker() -> Checker:
    """The opnote pipeline built fresh with nlp.pipeline.build(), so a stale models/ dir
    cannot affect the tests; built once per session (it takes about a second)."""
    from nlp.pipeline import build

    return Checker(nlp=build())


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def cli_checker(checker: Checker, monkeypatch: pytest.MonkeyPatch) -> Checker:
    """Make the CLI's default (model, rulepack) use the session checker."""
    from nlp.cli import _util

    monkeypatch.setitem(_util._CHECKERS, (None, None), checker)
    return checker
