"""The checking API shared by the CLI and every front end: text + claimed primary -> result."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .decide import decide
from .resources import load_rulepack
from .schemas import CheckResult, Facts, RulePack

if TYPE_CHECKING:
    from spacy.language import Language

MAX_TEXT_CHARS = 2 * 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")


class InputError(ValueError):
    """Input the checker refuses, with a message fit for a user (never note text)."""


def validate_primary(primary: str | None, rules: RulePack) -> str | None:
    """Normalise a claimed primary code; a malformed one is an InputError."""
    if primary is None:
        return None
    code = primary.strip()
    if code == "" or code.lower() in ("none", "null"):
        return None
    if not re.fullmatch(rules.primary_code_pattern, code):
        raise InputError(f"primary code {code!r} is not a 5-digit CPT code (e.g. 27355)")
    return code


def validate_text(text: str) -> str:
    if not isinstance(text, str):
        raise InputError("report text must be a string")
    if not text.strip():
        raise InputError("report text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"report text is over {MAX_TEXT_CHARS // (1024 * 1024)} MB")
    if "\x00" in text:
        raise InputError("report text contains binary data (NUL bytes)")
    # a lone surrogate (possible in JSON input) cannot be encoded; U+FFFD keeps every offset
    return _SURROGATE.sub("\ufffd", text)


class Checker:
    """Loads the pipeline and rule pack once; checks one report or many."""

    def __init__(self, model: str | Path | None = None, rulepack: str | None = None,
                 nlp: Language | None = None) -> None:
        from . import load

        self.nlp = nlp if nlp is not None else load(model)
        self.nlp.max_length = max(self.nlp.max_length, MAX_TEXT_CHARS + 1)  # 2 MB notes
        self.rules = load_rulepack(rulepack)

    def check(self, text: str, primary: str | None = None) -> CheckResult:
        from .extract import facts_from_doc

        code = validate_primary(primary, self.rules)
        text = validate_text(text)
        facts = facts_from_doc(self.nlp(text))
        return self._with_confidence(decide(facts, self.rules, code, text), facts)

    def _with_confidence(self, result: CheckResult, facts: Facts) -> CheckResult:
        """Attach the calibrated verdict confidence when a confidence model is installed."""
        learned = self.nlp.get_pipe("opnote_learned") if "opnote_learned" in \
            self.nlp.pipe_names else None
        if learned is None or not learned.trained:
            return result
        from .learn.features import confidence_features

        conf = learned.confidence(confidence_features(
            result.verdict, [r.code for r in result.reasons],
            sum(d.status == "applied" for d in result.devices),
            facts.status_confidence, facts.procedure_confidence))
        if conf is not None:
            result.confidence = round(conf, 4)
            result.needs_review = conf < self.rules.review_threshold
        return result

    def check_many(self, items: Iterable[tuple[str, str | None]], batch_size: int = 32
                   ) -> Iterator[CheckResult]:
        """Check (text, primary) pairs with nlp.pipe; inputs must already be validated."""
        from .extract import facts_from_doc

        pairs = [(validate_text(t), validate_primary(p, self.rules)) for t, p in items]
        docs = self.nlp.pipe((t for t, _ in pairs), batch_size=batch_size)
        for doc, (text, code) in zip(docs, pairs, strict=True):
            facts = facts_from_doc(doc)
            yield self._with_confidence(decide(facts, self.rules, code, text), facts)
