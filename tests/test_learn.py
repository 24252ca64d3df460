"""Learned components: training on a tiny corpus, determinism, skops safety."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import spacy

from nlp.learn.persist import UntrustedModelError, load_model, save_model
from nlp.learn.train import expected_calibration_error, train

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small corpus cut from the real one: 24 train, 8 dev, 8 test reports, with mentions."""
    d = tmp_path_factory.mktemp("corpus")
    (d / "mentions").mkdir()
    ids: set[str] = set()
    for name, n in (("train", 24), ("dev", 8), ("test", 8)):
        rows = (ROOT / "corpus" / f"{name}.jsonl").read_text().splitlines()[:n]
        (d / f"{name}.jsonl").write_text("\n".join(rows) + "\n")
        ids |= {json.loads(r)["id"] for r in rows}
    lines = [line for p in sorted((ROOT / "corpus" / "mentions").glob("*.jsonl"))
             for line in p.read_text().splitlines() if json.loads(line)["id"] in ids]
    (d / "mentions" / "part.jsonl").write_text("\n".join(lines) + "\n")
    return d


@pytest.fixture(scope="module")
def trained(tiny_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("model") / "m"
    metrics = train(tiny_corpus, out, external=None, log=lambda m: None)
    return out, metrics


def test_training_writes_a_loadable_pipeline(trained: tuple[Path, dict]) -> None:
    out, metrics = trained
    assert metrics["chosen"] in ("rules", "rules+status", "rules+procedure",
                                 "rules+status+procedure")
    assert {"rules", "rules+status"} <= set(metrics["ablation"])
    assert (out / "model-card.md").read_text().count("| rules |") >= 1
    nlp = spacy.load(out)
    learned = nlp.get_pipe("opnote_learned")
    assert learned.trained and {"status", "procedure"} <= set(learned.models)
    doc = nlp("PROCEDURE: Curettage of left distal femur UBC. A plate was applied to the "
              "femur with six screws.")
    assert doc._.opnote_report["learned"]["procedure_prob"] > 0


def test_training_is_deterministic(tiny_corpus: Path, trained: tuple[Path, dict],
                                   tmp_path: Path) -> None:
    _, first = trained
    second = train(tiny_corpus, tmp_path / "m2", external=None, log=lambda m: None)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_skops_round_trip_predicts_the_same(trained: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = trained
    model = load_model(out / "opnote_learned" / "status.skops")
    save_model(model, tmp_path / "copy.skops")
    again = load_model(tmp_path / "copy.skops")
    x = [{"type=plate": 1.0, "rule=applied": 1.0, "section=description": 1.0}]
    assert (model.predict_proba(x) == again.predict_proba(x)).all()


def test_tampered_model_file_is_refused(trained: tuple[Path, dict], tmp_path: Path) -> None:
    """A model file edited to name an arbitrary callable must not load."""
    out, _ = trained
    src = out / "opnote_learned" / "status.skops"
    bad = tmp_path / "tampered.skops"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "schema.json":
                schema = data.decode()
                assert "sklearn.linear_model._logistic" in schema
                data = schema.replace("sklearn.linear_model._logistic", "os", 1).replace(
                    '"LogisticRegression"', '"system"', 1).encode()
            zout.writestr(item, data)
    with pytest.raises(UntrustedModelError, match="os"):
        load_model(bad)


class Gadget:
    """A custom type: skops can store it, opcheck must refuse to load it."""

    def __init__(self) -> None:
        self.payload = "x"


def test_custom_types_are_refused(tmp_path: Path) -> None:
    save_model({"model": Gadget()}, tmp_path / "g.skops")
    with pytest.raises(UntrustedModelError, match="Gadget"):
        load_model(tmp_path / "g.skops")


def test_expected_calibration_error() -> None:
    assert expected_calibration_error([0.9] * 10, [True] * 9 + [False]) == 0.0
    assert expected_calibration_error([1.0, 1.0], [True, False]) == 0.5


def test_json_export_predicts_like_scikit_learn(trained: tuple[Path, dict]) -> None:
    """The fast path (numbers in JSON) gives the estimators' own probabilities."""
    from nlp.learn import linear

    out, _ = trained
    samples = [{"type=plate": 1.0, "rule=applied": 1.0, "section=description": 1.0,
                "L:the": 1.0, "trig=REMOVED:after": 1.0},
               {"type=screw": 1.0, "rule=removed": 1.0, "R1=were": 1.0, "w:femur": 1.0,
                "verdict=query": 1.0, "n_reasons": 2.0, "status_margin": 0.7}]
    for name in ("status", "procedure", "confidence"):
        path = out / "opnote_learned" / f"{name}.skops"
        if not path.exists():
            continue
        model = load_model(path)
        exported = linear.export(model)
        for x in samples:
            fast = linear.predict_proba(exported, x)
            slow = model.predict_proba([x])[0]
            assert fast == pytest.approx(list(slow), abs=1e-9), name
