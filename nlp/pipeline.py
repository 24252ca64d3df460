"""Builds the opnote pipeline from pipeline.cfg and the rule data, and saves it under models/."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.util import load_config_from_str, registry

from . import resources as rules
from .components import (  # noqa: F401  (registers the factories)
    devices,
    learned,
    procedure,
    sections,
    sentences,
    span_ruler,
    tokenizer,
)

MODEL_NAME = "opcheck-27358"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / MODEL_NAME


@registry.misc("opnote.entity_patterns.v1")
def entity_patterns() -> list[dict[str, Any]]:
    return rules.entity_patterns()


@registry.misc("opnote.context_patterns.v1")
def context_patterns() -> list[dict[str, Any]]:
    return rules.context_patterns()


def build() -> Language:
    """blank("en") + the opnote components, in the order pipeline.cfg gives, initialised."""
    config = load_config_from_str(resources.files("nlp").joinpath("pipeline.cfg").read_text())
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    nlp.initialize()
    nlp.meta["name"] = MODEL_NAME.replace("-", "_")
    nlp.meta["version"] = rules.load_rulepack().version
    nlp.meta["description"] = "Operative-report fixation extraction for add-on CPT 27358"
    return nlp


def build_to_disk(path: Path = DEFAULT_MODEL_DIR) -> Path:
    nlp = build()
    nlp.to_disk(path)
    return path
