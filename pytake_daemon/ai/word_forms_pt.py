"""Portuguese word forms for the lexicon lookups: "ótima" finds "ótimo", "rápidas" "rápido".

LeIA's lexicon was translated from VADER's English one, so it holds mostly one form per word
(the masculine singular): "ótimo" is +3.2 and "ótima" is missing, which scored "ótima
atendente" 0.000. A word the lexicon lacks is looked up under, in order:

1. its singular, for plurals in -as/-os ("péssimas" → "péssima"), which keeps the gender the
   lexicon may already have, and in -es after r, z or s ("melhores" → "melhor", "piores" →
   "pior": simplemma takes those to the verbs "melhorar" and "piorar");
2. its lemma from simplemma (a maintained, offline lemmatiser: gender, number, diminutives and
   superlatives: "rapidinho", "lentíssima" → "rápido", "lento");
3. for an adverb in -mente, its adjective ("rapidamente" → "rápida" → "rápido");
4. for a superlative in -íssimo/-íssima that simplemma doesn't know, its base
   ("demoradíssimo" → "demorado", "pouquíssimo" → "pouco").

Lemmas that are infinitives (-ar, -er, -ir) are refused: simplemma takes participles and
finite verbs to their infinitive ("bloqueada" → "bloquear", "demorou" → "demorar"), and a verb's
valence in LeIA is an English translation's ("cair" from "fall"), so following them made new
false positives; the service lexicon names the participles that matter ("atrasado",
"demorado"). ``tests/ai/test_quality.py`` holds the cases.

The other way round, :func:`plurals` gives a service entry's plurals, which the Portuguese scorer
sets to the entry's value: LeIA holds some plurals itself, with an English word's valence
("valores" +1.7 from "values", while the service lexicon makes "valor" neutral).
"""

from __future__ import annotations

from functools import lru_cache

import simplemma

from pytake_daemon.ai.text import fold_accents

_INFINITIVE = ("ar", "er", "ir")
"""Endings of a verb's lemma (unless the word is that lemma's plural: "lugares", "bares")."""
_MIN_STEM = 3
"""Shortest word the rules touch: "as", "os", "mas", "nos" are not plurals of anything."""
_ES_PLURAL = ("res", "zes", "ses")
"""Plurals in -es: of a word in -r, -z or -s ("melhores", "felizes", "gases")."""
_SUPERLATIVE = "issim"
"""The accent-folded superlative infix ("-íssimo", "-íssima", "-íssimos")."""
_SUPERLATIVE_STEMS = (("qu", "c"), ("gu", "g"))
"""Spelling kept before -íssimo that the base writes otherwise ("pouquíssimo" → "pouco")."""


def candidates(word: str) -> tuple[str, ...]:
    """The accent-folded forms to look ``word`` up under, after the word itself, in order."""
    return _candidates(word)


@lru_cache(maxsize=65536)
def _candidates(word: str) -> tuple[str, ...]:
    # Cached: words repeat, and simplemma costs a dictionary walk per call.
    forms: list[str] = []
    if len(word) > _MIN_STEM + 1 and word.endswith(("as", "os")):
        forms.append(word[:-1])
    if len(word) > _MIN_STEM + 2 and word.endswith(_ES_PLURAL):
        forms.append(word[:-2])
    forms.append(_lemma(word))
    if len(word) > len("mente") + _MIN_STEM and word.endswith("mente"):
        adjective = word[: -len("mente")]
        forms.extend((adjective, _lemma(adjective)))
    folded = fold_accents(word)
    forms.extend(_superlative_base(folded))
    out: list[str] = []
    for form in forms:
        key = fold_accents(form)
        if key and key != folded and key not in out:
            out.append(key)
    return tuple(out)


def _superlative_base(folded: str) -> tuple[str, ...]:
    """ "demoradissimo" → "demorado", "lentissimas" → "lenta" (accent-folded in and out)."""
    stem, infix, ending = folded.rpartition(_SUPERLATIVE)
    if not infix or len(stem) < _MIN_STEM or ending not in ("o", "a", "os", "as"):
        return ()
    for kept, base in _SUPERLATIVE_STEMS:
        if stem.endswith(kept):
            stem = stem[: -len(kept)] + base
            break
    # The masculine too: a participle's feminine is no lexicon entry ("demorada").
    return tuple(dict.fromkeys((stem + ending[0], stem + "o")))


_PLURAL_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ao", ("oes", "aos", "aes")),
    ("al", ("ais",)),
    ("el", ("eis",)),
    ("ol", ("ois",)),
    ("ul", ("uis",)),
    ("il", ("is", "eis")),
    ("m", ("ns",)),
)
"""Singular endings whose plural is not "+s" or "+es" (accent-folded)."""


def plurals(folded: str) -> tuple[str, ...]:
    """The accent-folded plurals of an accent-folded singular ("valor" → "valores", "cancelamento"
    → "cancelamentos", "responsavel" → "responsaveis"), so that a service entry covers them
    where LeIA holds the plural with its own, translated, valence ("valores" +1.7)."""
    for singular, endings in _PLURAL_ENDINGS:
        if folded.endswith(singular):
            return tuple(folded[: -len(singular)] + e for e in endings)
    if folded.endswith(("r", "z")):
        return (folded + "es",)
    if folded.endswith(("a", "e", "i", "o", "u")):
        return (folded + "s",)
    return ()


def _lemma(word: str) -> str:
    lemma = str(simplemma.lemmatize(word, lang="pt")).lower()
    verb = lemma.endswith(_INFINITIVE) and word not in (lemma, lemma + "s", lemma + "es")
    return "" if verb else lemma


def warm_up() -> None:
    """Load simplemma's Portuguese data now (about 0.5 s) rather than on a first message."""
    simplemma.lemmatize("ótimas", lang="pt")
