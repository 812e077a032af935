"""The models without the daemon: evaluation against the baselines, the Portuguese fixes, the
fast intent scorer, language fallback, mood and suggestions ranking."""

from __future__ import annotations

import numpy as np
import pytest

from pytake_daemon.ai.analyzer import CustomIntentSpec, shared_analyzer
from pytake_daemon.ai.datasets import LANGUAGES, Split, builtin_examples, evaluation_set
from pytake_daemon.ai.evaluation import evaluate
from pytake_daemon.ai.intents import (
    BUILTIN_INTENTS,
    NGRAMS,
    IntentModel,
    TrainingExample,
    char_wb_ngrams,
    fit_pipeline,
)
from pytake_daemon.ai.language import LanguageDetector
from pytake_daemon.ai.mood import mood
from pytake_daemon.ai.sentiment_pt import PortugueseSentiment
from pytake_daemon.ai.suggestions import builtin_replies, fill, rank
from pytake_daemon.ai.text import fold_accents, normalise

PT_GOAL_POINTS = 0.15
"""The issue's aim: Portuguese sentiment macro-F1 at least 15 points above plain LeIA."""
MIN_OTHER_POINTS = 0.10
"""Measured on the held-out part: +11.5 (English sentiment), +20.1 and +22.8 (intents)."""
INTENT_GOAL = 0.90
"""Issue #23's aim: intent accuracy over both languages' held-out messages."""


def test_evaluation_sets_are_large_enough_and_labelled() -> None:
    for language in LANGUAGES:
        messages = evaluation_set(language)
        assert len(messages) >= 300
        assert {m.sentiment for m in messages} == {"positive", "neutral", "negative"}
        for intent in BUILTIN_INTENTS:
            assert sum(m.intent == intent for m in messages) >= 20, (language, intent)
        heldout = [m for m in messages if m.split is Split.HELDOUT]
        assert len(heldout) >= len(messages) / 2

    # The held-out messages never train the intent classifier, not even spelled differently
    # (case, accents, WhatsApp abbreviations, punctuation spacing).
    def key(text: str, language: str) -> str:
        return fold_accents(normalise(text, language))

    trained = {key(e.text, e.language) for e in builtin_examples()}
    assert not any(
        key(m.text, lang) in trained
        for lang in LANGUAGES
        for m in evaluation_set(lang)
        if m.split is Split.HELDOUT
    )


def test_models_beat_the_baselines_on_the_heldout_part() -> None:
    analyzer = shared_analyzer()
    rows = {(r.language, r.task): r for r in evaluate(analyzer.train(), analyzer.scorer)}
    pt = rows["pt", "sentiment"]
    assert pt.baseline_name == "plain LeIA"
    assert pt.model.macro_f1 - pt.baseline.macro_f1 >= PT_GOAL_POINTS
    for key in (("en", "sentiment"), ("pt", "intent"), ("en", "intent")):
        row = rows[key]
        assert row.model.macro_f1 - row.baseline.macro_f1 >= MIN_OTHER_POINTS, key
        assert row.model.accuracy > row.baseline.accuracy, key
    intents = [rows[lang, "intent"] for lang in LANGUAGES]
    right = sum(round(r.model.accuracy * r.messages) for r in intents)
    assert right / sum(r.messages for r in intents) >= INTENT_GOAL


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Não gostei nada, quero cancelar, ninguém resolve!", -1),  # concord + negated verbs
        ("Não está bom", -1),  # negation of a positive word
        ("Nunca fui tão mal atendido", -1),  # "nunca tão" emphasises
        ("péssimo atendimento", -1),  # missing from LeIA
        ("péssimooo", -1),  # repeated letters
        ("O pedido não chegou", -1),  # a negated action is the complaint
        ("Sem problemas, obrigado", 1),
        ("vc é mto boa, obg", 1),  # WhatsApp spellings
        ("😡", -1),  # emoji (plain LeIA strips them before looking them up)
        ("👍", 1),
        ("Achei caro demais", -1),  # LeIA has "caro" = +1.6 ("dear")
    ],
)
def test_portuguese_fixes(text: str, sign: int) -> None:
    score = PortugueseSentiment().score(text)
    assert score * sign > 0.05, score


def test_intensifiers_and_diminishers_change_the_strength() -> None:
    scorer = PortugueseSentiment()
    assert scorer.score("muito bom") > scorer.score("bom") > scorer.score("pouco bom") > 0


def test_fast_intent_scorer_matches_scikit_learn() -> None:
    examples = [TrainingExample(e.text, e.language, e.intent) for e in builtin_examples()]
    model = IntentModel.train(examples)
    vectorizer, classifier = fit_pipeline(
        [normalise(e.text, e.language) for e in examples], [e.intent for e in examples]
    )
    texts = ["Cadê meu pedido?", "I was charged twice", "quero falar c/ atendente", "!!", "zzz"]
    expected = classifier.predict_proba(vectorizer.transform([normalise(t, "pt") for t in texts]))
    ours = np.array([model.probabilities(t, "pt") for t in texts])
    assert list(model.classes) == list(classifier.classes_)
    np.testing.assert_allclose(ours, expected, atol=1e-9)


def test_custom_intents_learn_from_examples_and_keywords_decide() -> None:
    analyzer = shared_analyzer()
    model = analyzer.train(
        [
            CustomIntentSpec(
                name="warranty",
                examples=("quero acionar a garantia", "my warranty claim", "garantia do produto"),
                keywords=("garantia",),
            )
        ]
    )
    assert model.predict("a garantia cobre isso?", "pt", threshold=0.3).intent == "warranty"
    assert model.predict("a garantia cobre isso?", "pt", threshold=0.3).confidence == 1.0
    assert model.predict("Where is my order?", "en", threshold=0.3).intent == "order_status"


def test_nonsense_is_unknown_below_the_threshold() -> None:
    model = shared_analyzer().train()
    assert model.predict("xq zzkw", "pt", threshold=0.9).intent == "unknown"


def test_short_texts_take_the_conversations_language() -> None:
    detector = LanguageDetector(("pt", "en"))
    assert detector.detect("ok", fallback="pt") == "pt"
    assert detector.detect("ok", fallback="en") == "en"
    assert detector.detect("Where is my order? It is very late", fallback="pt") == "en"
    assert detector.detect("Meu pedido ainda não chegou, está atrasado", fallback="en") == "pt"


def test_function_words_decide_before_the_model() -> None:
    detector = LanguageDetector(("pt", "en"))
    by_words = detector._by_function_words
    assert by_words(["meu", "pedido", "não", "chegou"]) == "pt"
    assert by_words(["where", "is", "my", "order"]) == "en"
    assert by_words(["ok", "thanks", "obrigado", "muito"]) is None  # both: the model decides
    assert by_words(["pedido", "atrasado", "de"]) is None  # one is not enough
    # A language the tenant does not analyse never wins.
    assert LanguageDetector(("en",))._by_function_words(["meu", "pedido", "não"]) is None


def test_mood_weights_recent_messages_and_tracks_the_trend() -> None:
    calm = mood([0.5, 0.4, 0.5], trend_messages=3)
    souring = mood([0.5, 0.0, -0.8], trend_messages=3)
    assert souring.score < 0 < calm.score
    assert souring.trend < 0
    assert souring.score < sum([0.5, 0.0, -0.8]) / 3  # the latest message weighs most


def test_suggestions_rank_by_intent_and_fill_variables() -> None:
    ranked = rank(
        builtin_replies(),
        intent="cancel",
        language="pt",
        recent_texts=["Não gostei nada, quero cancelar, ninguém resolve!"],
        variables={"first_name": "Ana", "agent_name": "Bruno"},
    )
    assert len(ranked) == 3
    assert ranked[0].candidate.title == "Cancelamento"
    assert ranked[0].text.startswith("Ana, sinto muito")
    assert all(r.candidate.language == "pt" for r in ranked)
    text, missing = fill("Oi {{first_name}}, pedido {{order_id}}", {"first_name": "Ana"})
    assert (text, missing) == ("Oi Ana, pedido {{order_id}}", ("order_id",))


def test_the_n_grams_are_scikit_learns() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS).build_analyzer()
    texts = [
        "Cadê meu pedido?",
        "a  ab abc abcd abcde",
        " I\twas\n\ncharged  TWICE ",
        "ÇÃO éÉ ß İ",
        "",
        "!!",
        "quero falar c/ atendente\u00a0agora",
    ]
    for text in texts:
        assert char_wb_ngrams(text) == reference(text), text
