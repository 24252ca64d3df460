"""Fast inference for the fitted linear models, from a JSON export of their numbers.

The skops files are the canonical artefacts; importing skops costs about 2.4 s (it imports
every scikit-learn estimator), which a one-report `opcheck check` cannot afford. So training
also exports each model's vocabulary, coefficients and calibration to JSON: plain numbers,
nothing executable. `tests/test_learn.py` checks that both give the same probabilities.
"""

from __future__ import annotations

import math
from typing import Any


def export(model: Any) -> dict[str, Any]:
    """Numbers of a DictVectorizer+LogisticRegression pipeline, optionally sigmoid-calibrated."""
    calibration = None
    if hasattr(model, "calibrated_classifiers_"):
        cal = model.calibrated_classifiers_[0]
        calibration = [float(cal.calibrators[0].a_), float(cal.calibrators[0].b_)]
        model = cal.estimator.estimator if hasattr(cal.estimator, "estimator") \
            else cal.estimator
    vec, clf = model.named_steps["vec"], model.named_steps["clf"]
    return {
        "vocabulary": {k: int(v) for k, v in vec.vocabulary_.items()},
        "classes": [c.item() if hasattr(c, "item") else c for c in clf.classes_],
        "coef": [[float(x) for x in row] for row in clf.coef_],
        "intercept": [float(x) for x in clf.intercept_],
        "calibration": calibration,
    }


def predict_proba(exported: dict[str, Any], features: dict[str, float]) -> list[float]:
    """Class probabilities for one feature dict, as scikit-learn would compute them."""
    vocab = exported["vocabulary"]
    active = [(vocab[k], v) for k, v in features.items() if k in vocab]
    scores = [b + sum(row[i] * v for i, v in active)
              for row, b in zip(exported["coef"], exported["intercept"], strict=True)]
    if len(exported["classes"]) == 2:
        f = scores[0]
        if exported["calibration"] is not None:
            a, b = exported["calibration"]
            p1 = 1.0 / (1.0 + math.exp(a * f + b))
        else:
            p1 = 1.0 / (1.0 + math.exp(-f))
        return [1.0 - p1, p1]
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]
