"""Saving and loading learned models with skops: no pickle, no code run on load.

Plain scikit-learn pipelines need no trust list. The calibrated confidence model uses two
private scikit-learn calibration classes; they are named here, and nothing else is trusted.
A file holding any other type is refused with `UntrustedModelError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TRUSTED = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
]


class UntrustedModelError(ValueError):
    """A model file contains types opcheck does not trust; it was not loaded."""


def save_model(obj: Any, path: str | Path) -> None:
    import skops.io as sio

    sio.dump(obj, str(path))


def load_model(path: str | Path) -> Any:
    """Load a skops file, refusing any type outside scikit-learn's defaults and TRUSTED."""
    import skops.io as sio

    untrusted = [t for t in sio.get_untrusted_types(file=str(path)) if t not in TRUSTED]
    if untrusted:
        raise UntrustedModelError(
            f"{Path(path).name}: refusing to load untrusted types: {', '.join(untrusted)}")
    return sio.load(str(path), trusted=TRUSTED)
