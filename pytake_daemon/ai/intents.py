"""Intent classification: character n-gram TF-IDF + logistic regression, and the keyword baseline.

Why this model: a few hundred examples, two languages, misspellings and WhatsApp abbreviations.
Character n-grams (2 to 4, inside word boundaries) share evidence between "cancelar", "cancela",
"cancelamento" and "cancel", need no tokeniser or stemmer per language, and one model serves both
languages. A linear model trains in well under a second at startup or when a tenant changes its
intents, and its probabilities give a confidence to compare with a threshold ("unknown" below).

scikit-learn trains it; scoring one message goes through :class:`IntentModel`'s own few lines of
numpy over the fitted vocabulary, IDF weights and coefficients, because scikit-learn's per-call
validation costs ~0.5 ms for one row while the whole analysis must stay under 100 µs; each
word's n-gram features are computed once and kept. ``tests/ai/test_models.py`` checks that both
give the same probabilities.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from pytake_daemon.ai.text import normalise

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

BUILTIN_INTENTS = (
    "greeting",
    "order_status",
    "billing",
    "cancel",
    "complaint",
    "human_request",
    "thanks",
    "sales",
    "tech_support",
    "scheduling",
)
UNKNOWN = "unknown"
WORD_CACHE_SIZE = 100_000
"""Words whose n-gram features are kept (a few MB; past it, new words are analysed each time)."""

# The baseline of `pytake ai eval`: what a keyword trigger would do. Written from the intents'
# definitions, not from the evaluation messages.
BUILTIN_KEYWORDS: dict[str, tuple[str, ...]] = {
    "greeting": (
        "oi",
        "olá",
        "bom dia",
        "boa tarde",
        "boa noite",
        "hi",
        "hello",
        "hey",
        "good morning",
        "good afternoon",
        "good evening",
    ),
    "order_status": (
        "pedido",
        "encomenda",
        "entrega",
        "rastreio",
        "rastreamento",
        "order",
        "package",
        "delivery",
        "tracking",
        "shipped",
    ),
    "billing": (
        "boleto",
        "fatura",
        "cobrança",
        "cobrado",
        "pagamento",
        "pagar",
        "pix",
        "reembolso",
        "estorno",
        "bill",
        "invoice",
        "charge",
        "charged",
        "payment",
        "pay",
        "refund",
    ),
    "cancel": ("cancelar", "cancela", "cancelamento", "cancel", "cancellation"),
    "complaint": (
        "reclamação",
        "reclamar",
        "péssimo",
        "absurdo",
        "horrível",
        "complaint",
        "terrible",
        "horrible",
        "awful",
        "broken",
    ),
    "human_request": (
        "atendente",
        "humano",
        "pessoa",
        "gerente",
        "agent",
        "human",
        "person",
        "manager",
        "representative",
    ),
    "thanks": ("obrigado", "obrigada", "valeu", "agradeço", "thanks", "thank you", "appreciate"),
    "sales": (
        "preço",
        "quanto custa",
        "comprar",
        "desconto",
        "promoção",
        "orçamento",
        "price",
        "how much",
        "buy",
        "discount",
        "quote",
    ),
    "tech_support": (
        "erro",
        "não funciona",
        "senha",
        "aplicativo",
        "app",
        "login",
        "error",
        "not working",
        "password",
        "crash",
    ),
    "scheduling": (
        "agendar",
        "agendamento",
        "marcar",
        "remarcar",
        "horário",
        "schedule",
        "book",
        "reschedule",
        "appointment",
    ),
}


@dataclass(frozen=True)
class IntentPrediction:
    intent: str
    confidence: float


@dataclass(frozen=True)
class TrainingExample:
    text: str
    language: str
    intent: str


class KeywordMatcher:
    """Intents by whole-word keyword matches on the normalised text (most matches wins)."""

    def __init__(self, keywords: Mapping[str, Iterable[str]]) -> None:
        self._patterns = [
            (intent, re.compile(rf"(?<!\w){re.escape(normalise(k, ''))}(?!\w)"))
            for intent, words in keywords.items()
            for k in words
            if normalise(k, "")
        ]

    def match(self, normalised_text: str) -> str | None:
        hits = Counter(intent for intent, p in self._patterns if p.search(normalised_text))
        if not hits:
            return None
        return hits.most_common(1)[0][0]


class IntentModel:
    """A trained classifier plus the keywords that override it (a tenant's custom intents)."""

    def __init__(
        self,
        *,
        analyzer: Callable[[str], list[str]],
        vocabulary: dict[str, int],
        idf: np.ndarray,
        coef_t: np.ndarray,
        intercept: np.ndarray,
        classes: Sequence[str],
        keywords: KeywordMatcher | None,
    ) -> None:
        self._analyzer = analyzer
        self._vocabulary = vocabulary
        self._idf = idf
        self._coef_t = coef_t
        self._intercept = intercept
        self.classes = tuple(classes)
        self._keywords = keywords
        self._word_cache: dict[str, tuple[int, ...]] = {}
        """Filled by every thread; a dict's get and set are atomic, and a race only computes a
        word twice."""

    @classmethod
    def train(
        cls,
        examples: Sequence[TrainingExample],
        *,
        keywords: Mapping[str, Iterable[str]] | None = None,
    ) -> IntentModel:
        """Fit on the examples (CPU-bound: call it from a worker thread in the daemon)."""
        texts = [normalise(e.text, e.language) for e in examples]
        vectorizer, classifier = fit_pipeline(texts, [e.intent for e in examples])
        return cls(
            analyzer=char_wb_ngrams,
            vocabulary={str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
            idf=np.asarray(vectorizer.idf_, dtype=np.float64),
            coef_t=np.ascontiguousarray(classifier.coef_.T, dtype=np.float64),
            intercept=np.asarray(classifier.intercept_, dtype=np.float64),
            classes=[str(c) for c in classifier.classes_],
            keywords=KeywordMatcher(keywords) if keywords else None,
        )

    @property
    def vocabulary(self) -> Mapping[str, int]:
        return self._vocabulary

    @property
    def idf(self) -> np.ndarray:
        return self._idf

    @property
    def coef_t(self) -> np.ndarray:
        return self._coef_t

    @property
    def intercept(self) -> np.ndarray:
        return self._intercept

    def _word_features(self, word: str) -> tuple[int, ...]:
        """The vocabulary indices of one word's n-grams (with repeats), cached per word."""
        features = self._word_cache.get(word)
        if features is None:
            found = map(self._vocabulary.get, self._analyzer(word))
            features = tuple(i for i in found if i is not None)
            if len(self._word_cache) < WORD_CACHE_SIZE:
                self._word_cache[word] = features
        return features

    def probabilities(self, text: str, language: str) -> np.ndarray:
        """P(intent | text) over :attr:`classes`, as the fitted pipeline's predict_proba."""
        # Character n-grams never cross a word boundary ("char_wb"), so a message's n-grams are
        # its words' n-grams put together: each word is analysed once and then looked up.
        cache = self._word_cache
        words = normalise(text, language).split()
        counts = Counter(chain.from_iterable(cache.get(w) or self._word_features(w) for w in words))
        if not counts:
            scores = self._intercept.copy()
        else:
            # Few features per message: numpy's per-call overhead is what costs, so as few
            # calls as possible (take, not fancy indexing; scalars divided at the end).
            n = len(counts)
            idx = np.fromiter(counts.keys(), dtype=np.intp, count=n)
            weights = np.fromiter(counts.values(), dtype=np.float64, count=n)
            np.log(weights, out=weights)
            weights += 1.0
            weights *= self._idf.take(idx)
            scores = weights @ self._coef_t.take(idx, axis=0)
            scores /= math.sqrt(float(weights @ weights))
            scores += self._intercept
        scores -= scores.max()
        np.exp(scores, out=scores)
        result: np.ndarray = scores / scores.sum()
        return result

    def predict(self, text: str, language: str, *, threshold: float) -> IntentPrediction:
        if self._keywords is not None:
            matched = self._keywords.match(normalise(text, language))
            if matched is not None:
                return IntentPrediction(matched, 1.0)
        probabilities = self.probabilities(text, language)
        best = int(probabilities.argmax())
        confidence = float(probabilities[best])
        if confidence < threshold:
            return IntentPrediction(UNKNOWN, confidence)
        return IntentPrediction(self.classes[best], confidence)


NGRAMS = (2, 4)
"""Character n-grams within word boundaries ("char_wb"), two to four long."""


def char_wb_ngrams(text: str) -> list[str]:
    """The n-grams scikit-learn's ``TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS)``
    makes of a text (lower-cased, each word padded with a space), written out here so that a
    model read back from ``ai.model_cache`` scores without importing scikit-learn: that import
    alone took 1.4 s of every daemon's start. ``test_models.py`` holds it to scikit-learn's."""
    low, high = NGRAMS
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            if length <= n:  # a word shorter than n counts once, whole (as scikit-learn does)
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(length - n + 1))
    return grams


def fit_pipeline(
    texts: Sequence[str], labels: Sequence[str]
) -> tuple[TfidfVectorizer, LogisticRegression]:
    """The scikit-learn pipeline :class:`IntentModel` reproduces (also used by its test).
    Imported here, when a model is fitted: a daemon whose models are cached never needs it."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True)
    features = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(C=20.0, max_iter=2000)
    classifier.fit(features, labels)
    return vectorizer, classifier
