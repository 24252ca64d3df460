"""Loads the rule data shipped in nlp/rules/ (via importlib.resources) and validates it."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from .schemas import RulePack

RULES = "nlp.rules"


def _text(name: str) -> str:
    return resources.files(RULES).joinpath(name).read_text(encoding="utf-8")


def read_yaml(name: str) -> Any:
    return yaml.safe_load(_text(name))


def read_jsonl(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _text(name).splitlines() if line.strip()]


@lru_cache(maxsize=4)
def load_rulepack(path: str | None = None) -> RulePack:
    """The 27358 rule pack: the shipped one, or an organisation's own YAML file."""
    if path is None:
        data = read_yaml("rulepack-27358.yaml")
    else:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    return RulePack.model_validate(data)


def entity_patterns() -> list[dict[str, Any]]:
    """Span-ruler patterns: lexicon.yaml and combinations.yaml phrases, token_patterns.jsonl."""
    lexicon = read_yaml("lexicon.yaml")
    patterns: list[dict[str, Any]] = []
    for label, groups in lexicon.items():
        for canonical, phrases in groups.items():
            listed = {str(p) for p in phrases}
            for phrase in phrases:
                patterns.append({"label": label, "id": str(canonical), "pattern": str(phrase)})
                plural = _plural(str(phrase)) if label == "LESION" else (
                    _plain_plural(str(phrase)) if label == "NONDEVICE" else None)
                if plural and plural not in listed:
                    # "two non-ossifying fibromas": lesions are often several
                    patterns.append({"label": label, "id": str(canonical), "pattern": plural})
    for combo in read_yaml("combinations.yaml"):
        for first in combo["first"]:
            for second in combo["second"]:
                patterns.append({"label": combo["label"], "id": combo["id"],
                                 "pattern": f"{first} {second}"})
    patterns.extend(read_jsonl("token_patterns.jsonl"))
    return patterns


def _plural(phrase: str) -> str | None:
    """English plural of a lexicon phrase's last word ("fibroma" -> "fibromas"), if regular."""
    last = phrase.split()[-1] if phrase.split() else ""
    nouns = ("oma", "cyst", "tumor", "tumour", "lesion", "defect", "dysplasia", "ganglion")
    return phrase + "s" if last.islower() and last.endswith(nouns) else None


def _plain_plural(phrase: str) -> str | None:
    """"reaming rod" -> "reaming rods": instruments and other non-devices are often several."""
    last = phrase.split()[-1] if phrase.split() else ""
    return phrase + "s" if last.isalpha() and last.islower() and not last.endswith("s") \
        else None


def context_patterns() -> list[dict[str, Any]]:
    """Span-ruler patterns for ConText triggers: label = category, id = direction:max_scope."""
    out = []
    for rule in read_jsonl("context_rules.jsonl"):
        scope = rule.get("max_scope", 0)
        pattern = rule.get("pattern", rule["literal"])
        out.append({"label": rule["category"], "id": f"{rule['direction']}:{scope}",
                    "pattern": pattern})
    return out


def section_headings() -> dict[str, str]:
    """Normalised heading text -> section category."""
    table = read_yaml("sections.yaml")
    return {heading.lower(): category for category, headings in table.items()
            for heading in headings}
