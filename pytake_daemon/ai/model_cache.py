"""Trained intent models kept on disk, so a daemon trains each one once per machine.

Fitting the built-in intent model costs ≈ 4 to 6 s of CPU (scikit-learn's L-BFGS over character
n-grams), which every daemon start paid before becoming ready: a restarted replica, each test
process and each daemon a test starts. The fitted model is five arrays; they are saved
as an ``.npz`` (read back with ``allow_pickle=False``: nothing in the file is executed) named by
a hash of everything the fit depends on (the examples, the scikit-learn version, this format).

Where: ``$CACHE_DIRECTORY`` (systemd's ``CacheDirectory=``), else ``$XDG_CACHE_HOME/pytake``,
else ``~/.cache/pytake``. A directory that can't be written only means training again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import structlog

from pytake_daemon.ai.intents import IntentModel, KeywordMatcher, TrainingExample, char_wb_ngrams

log = structlog.get_logger("pytake.ai")

FORMAT = 1
"""Bumped when the saved arrays or the fit's settings change."""


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("CACHE_DIRECTORY"):
        return Path(env["CACHE_DIRECTORY"].split(":")[0])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "pytake"
    return Path.home() / ".cache" / "pytake"


def model_key(examples: Sequence[TrainingExample]) -> str:
    # The installed version from its metadata: importing scikit-learn costs 1.4 s.
    version = importlib.metadata.version("scikit-learn")
    digest = hashlib.sha256(f"{FORMAT}\0{version}".encode())
    for e in examples:
        digest.update(f"\0{e.language}\0{e.intent}\0{e.text}".encode())
    return digest.hexdigest()[:32]


def save(model: IntentModel, path: Path) -> None:
    """Write atomically (a reader sees the old file or the whole new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    words = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
        np.savez(
            out,
            vocabulary=np.array(words, dtype=np.str_),
            idf=model.idf,
            coef_t=model.coef_t,
            intercept=model.intercept,
            classes=np.array(model.classes, dtype=np.str_),
        )
    Path(out.name).replace(path)


def load(path: Path, keywords: KeywordMatcher | None) -> IntentModel:
    with np.load(path, allow_pickle=False) as saved:
        words = [str(w) for w in saved["vocabulary"]]
        return IntentModel(
            analyzer=char_wb_ngrams,
            vocabulary={w: i for i, w in enumerate(words)},
            idf=saved["idf"],
            coef_t=saved["coef_t"],
            intercept=saved["intercept"],
            classes=[str(c) for c in saved["classes"]],
            keywords=keywords,
        )


def trained(
    examples: Sequence[TrainingExample],
    keywords: Mapping[str, Iterable[str]] | None = None,
    directory: Path | None = None,
) -> IntentModel:
    """The model fitted on ``examples``: from the cache when it was fitted before, else fitted
    now and saved (the keywords are not part of the fit, only of the model)."""
    matcher = KeywordMatcher(keywords) if keywords else None
    path = (directory or cache_dir()) / f"intents-{model_key(examples)}.npz"
    try:
        return load(path, matcher)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as exc:
        log.warning("intent model cache unreadable; training again", path=str(path), error=str(exc))
    model = IntentModel.train(examples, keywords=keywords)
    try:
        save(model, path)
    except OSError as exc:
        log.warning("intent model cache not writable", path=str(path), error=str(exc))
    return model
