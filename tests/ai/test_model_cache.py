"""The intent model's disk cache: a model read back predicts exactly as the fitted one, a
cache that can't be read or written only costs a fit, and the key follows the examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pytake_daemon.ai import model_cache
from pytake_daemon.ai.datasets import builtin_examples
from pytake_daemon.ai.intents import IntentModel, TrainingExample

EXAMPLES = [TrainingExample(e.text, e.language, e.intent) for e in builtin_examples()]
PROBES = [
    ("quero cancelar meu pedido", "pt"),
    ("where is my order?", "en"),
    ("qual o horário de funcionamento?", "pt"),
    ("LMAO, AMAZING!", "en"),
    ("", "pt"),
]


@pytest.fixture(scope="module")
def fitted() -> IntentModel:
    return IntentModel.train(EXAMPLES)


def test_a_saved_model_predicts_as_the_fitted_one(fitted: IntentModel, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    model_cache.save(fitted, path)
    loaded = model_cache.load(path, None)
    assert loaded.classes == fitted.classes
    for text, language in PROBES:
        assert np.array_equal(
            loaded.probabilities(text, language), fitted.probabilities(text, language)
        )


def test_trained_fits_once_then_reads_the_file(
    fitted: IntentModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_cache.save(fitted, tmp_path / f"intents-{model_cache.model_key(EXAMPLES)}.npz")

    def no_fit(*args: object, **kwargs: object) -> IntentModel:
        raise AssertionError("fitted again although the cache holds the model")

    monkeypatch.setattr(IntentModel, "train", no_fit)
    model = model_cache.trained(EXAMPLES, {"refund": ["estorno"]}, tmp_path)
    # The keywords are the model's, not the fit's: they still override the classifier.
    assert model.predict("quero um estorno", "pt", threshold=0.3).intent == "refund"


def test_a_corrupt_or_unwritable_cache_costs_only_a_fit(tmp_path: Path) -> None:
    small = EXAMPLES[:60]
    path = tmp_path / f"intents-{model_cache.model_key(small)}.npz"
    path.write_bytes(b"not a zip file")
    model = model_cache.trained(small, None, tmp_path)
    assert model.classes
    # Rewritten whole by the fit.
    assert model_cache.load(path, None).classes == model.classes
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    assert model_cache.trained(small, None, blocked).classes == model.classes


def test_the_key_follows_the_examples_and_the_cache_dir_follows_the_environment() -> None:
    changed = [*EXAMPLES[:-1], TrainingExample("outro texto", "pt", EXAMPLES[-1].intent)]
    assert model_cache.model_key(EXAMPLES) != model_cache.model_key(changed)
    assert model_cache.model_key(EXAMPLES) == model_cache.model_key(list(EXAMPLES))
    assert model_cache.cache_dir({"CACHE_DIRECTORY": "/var/cache/pytake:/x"}) == Path(
        "/var/cache/pytake"
    )
    assert model_cache.cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/pytake")
