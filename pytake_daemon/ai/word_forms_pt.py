"""Portuguese word forms for the lexicon lookups: "ótima" finds "ótimo", "rápidas" "rápido".

LeIA's lexicon was translated from VADER's English one, so it holds mostly one form per word
(the masculine singular): "ótimo" is +3.2 and "ótima" is missing, which scored "ótima
atendente" 0.000. A word the lexicon lacks is looked up under, in order:

1. its singular, for plurals in -as/-os ("péssimas" → "péssima"), which keeps the gender the
   lexicon may already have;
2. its lemma from simplemma (a maintained, offline lemmatiser: gender, number, diminutives and
   superlatives: "rapidinho", "lentíssima" → "rápido", "lento");
3. for an adverb in -mente, its adjective ("rapidamente" → "rápida" → "rápido").

Lemmas that are infinitives (-ar, -er, -ir) are refused: simplemma takes participles and
finite verbs to their infinitive ("bloqueada" → "bloquear", "demorou" → "demorar"), and a verb's
valence in LeIA is an English translation's ("cair" from "fall"), so following them made new
false positives; the service lexicon names the participles that matter ("atrasado",
"demorado"). ``tests/ai/test_quality.py`` holds the cases.
"""

from __future__ import annotations

from functools import lru_cache

import simplemma

from pytake_daemon.ai.text import fold_accents

_INFINITIVE = ("ar", "er", "ir")
"""Endings of a verb's lemma (unless the word is that lemma's plural: "melhores", "lugares")."""
_MIN_STEM = 3
"""Shortest word the rules touch: "as", "os", "mas", "nos" are not plurals of anything."""


def candidates(word: str) -> tuple[str, ...]:
    """The accent-folded forms to look ``word`` up under, after the word itself, in order."""
    return _candidates(word)


@lru_cache(maxsize=65536)
def _candidates(word: str) -> tuple[str, ...]:
    # Cached: words repeat, and simplemma costs a dictionary walk per call.
    forms: list[str] = []
    if len(word) > _MIN_STEM + 1 and word.endswith(("as", "os")):
        forms.append(word[:-1])
    forms.append(_lemma(word))
    if len(word) > len("mente") + _MIN_STEM and word.endswith("mente"):
        adjective = word[: -len("mente")]
        forms.extend((adjective, _lemma(adjective)))
    folded = fold_accents(word)
    out: list[str] = []
    for form in forms:
        key = fold_accents(form)
        if key and key != folded and key not in out:
            out.append(key)
    return tuple(out)


def _lemma(word: str) -> str:
    lemma = str(simplemma.lemmatize(word, lang="pt")).lower()
    verb = lemma.endswith(_INFINITIVE) and word not in (lemma, lemma + "s", lemma + "es")
    return "" if verb else lemma


def warm_up() -> None:
    """Load simplemma's Portuguese data now (about 0.5 s) rather than on a first message."""
    simplemma.lemmatize("ótimas", lang="pt")
