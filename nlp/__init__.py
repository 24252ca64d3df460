"""opcheck: operative-report documentation checker for add-on CPT 27358."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # imports stay lazy: spaCy costs ~0.7 s at start-up
    from spacy.language import Language


def load(path: str | Path | None = None) -> Language:
    """Load the saved opnote pipeline (models/opcheck-27358 by default), or build it if absent."""
    from .pipeline import DEFAULT_MODEL_DIR, build

    target = Path(path) if path is not None else DEFAULT_MODEL_DIR
    if target.exists():
        import spacy

        return spacy.load(target)
    if path is not None:
        raise FileNotFoundError(f"no pipeline at {target}")
    return build()
