"""opnote_learned: scikit-learn status and procedure classifiers on top of the rules.

The rule status stays a feature and the fallback: the model's status is used only where it
is confident (probability >= `min_prob`); otherwise the rule status stands. The component is a
no-op until `opcheck train` has stored models in its directory, and each model can be switched
off in the config (the ablation decides what ships; see models/<name>/model-card.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import extensions  # noqa: F401
from ..learn import linear
from ..learn.features import mention_features, report_features
from ..learn.persist import load_model, save_model
from ..spans import token_view

FILES = {"status": "status.skops", "procedure": "procedure.skops",
         "confidence": "confidence.skops"}
EXPORT = "linear.json"  # the same models as numbers, for fast loading (see learn/linear.py)


class LearnedComponents:
    def __init__(self, use_status: bool, use_procedure: bool, min_prob: float,
                 context_key: str) -> None:
        self.use_status = use_status
        self.use_procedure = use_procedure
        self.min_prob = min_prob
        self.context_key = context_key
        self._models: dict[str, Any] = {}
        self._path: Path | None = None
        self.exported: dict[str, dict[str, Any]] = {}

    @property
    def models(self) -> dict[str, Any]:
        """The scikit-learn estimators, loaded from skops on first use."""
        if not self._models and self._path is not None:
            self._models = {name: load_model(self._path / file) for name, file in FILES.items()
                            if (self._path / file).exists()}
        return self._models

    @models.setter
    def models(self, value: dict[str, Any]) -> None:
        self._models = dict(value)
        self.exported = {name: linear.export(m) for name, m in self._models.items()}

    @property
    def trained(self) -> bool:
        return bool(self.exported)

    def _proba(self, name: str, features: list[dict[str, float]]) -> tuple[list[Any], list]:
        model = self.exported[name]
        return model["classes"], [linear.predict_proba(model, f) for f in features]

    def __call__(self, doc: Doc) -> Doc:
        report = doc._.opnote_report
        if report is None or not self.exported:
            return doc
        learned: dict[str, float] = {"status_min_prob": 1.0, "procedure_prob": 1.0}
        mentions = doc._.opnote_devices or []
        # a switched-off model is not run: the confidence was trained the same way
        if self.use_status and "status" in self.exported and mentions:
            toks = token_view(doc)
            triggers = [(s.start, s.end, s.label_, s.id_)
                        for s in doc.spans.get(self.context_key, [])]
            feats = []
            for m in mentions:
                m.setdefault("rule_status", m["status"])
                feats.append(mention_features(toks, m, triggers))
            classes, probs = self._proba("status", feats)
            kept = []
            for m, p in zip(mentions, probs, strict=True):
                best = max(range(len(p)), key=p.__getitem__)
                m["model_status"], m["model_prob"] = classes[best], float(p[best])
                if m["model_prob"] >= self.min_prob:
                    if classes[best] == "not_device":
                        continue
                    m["status"] = classes[best]
                kept.append(m)
                if m["status"] == "applied":
                    learned["status_min_prob"] = min(learned["status_min_prob"], m["model_prob"])
            doc._.opnote_devices = kept
        if self.use_procedure and "procedure" in self.exported:
            report.setdefault("rule_primary_procedure", report["primary_procedure"])
            classes, (p,) = self._proba("procedure", [report_features(doc, report)])
            best = max(range(len(p)), key=p.__getitem__)
            learned["procedure_prob"] = float(p[best])
            report["model_primary_procedure"] = str(classes[best])
            if p[best] >= self.min_prob:
                report["primary_procedure"] = str(classes[best])
        report["learned"] = learned
        return doc

    def confidence(self, features: dict[str, float]) -> float | None:
        """Calibrated probability that a verdict is right, or None without a model."""
        if "confidence" not in self.exported:
            return None
        classes, (proba,) = self._proba("confidence", [features])
        return float(proba[classes.index(True)]) if True in classes else 0.0

    def to_disk(self, path: str | Path, exclude: tuple = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, model in self.models.items():
            save_model(model, path / FILES[name])
        (path / EXPORT).write_text(json.dumps(self.exported))
        (path / "settings.json").write_text(json.dumps(
            {"use_status": self.use_status, "use_procedure": self.use_procedure,
             "min_prob": self.min_prob}, indent=1))

    def from_disk(self, path: str | Path, exclude: tuple = ()) -> LearnedComponents:
        path = Path(path)
        settings = path / "settings.json"
        if settings.exists():
            data = json.loads(settings.read_text())
            self.use_status = bool(data["use_status"])
            self.use_procedure = bool(data["use_procedure"])
            self.min_prob = float(data["min_prob"])
        self._path, self._models = path, {}
        export = path / EXPORT
        self.exported = json.loads(export.read_text()) if export.exists() else {}
        return self


@Language.factory(
    "opnote_learned",
    assigns=["doc._.opnote_devices", "doc._.opnote_report"],
    requires=["doc._.opnote_devices", "doc._.opnote_report"],
    default_config={"use_status": False, "use_procedure": False, "min_prob": 0.5,
                    "context_key": "context"},
)
def make_learned(nlp: Language, name: str, use_status: bool, use_procedure: bool,
                 min_prob: float, context_key: str) -> LearnedComponents:
    return LearnedComponents(use_status, use_procedure, min_prob, context_key)
