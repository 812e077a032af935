"""Issue #23 without the daemon: English against plain VADER on the public human-rated tweets,
Portuguese word forms, the language of short texts, and the evaluation's figures."""

from __future__ import annotations

from math import comb, erfc, sqrt

import numpy as np
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer, SentiText

from pytake_daemon.ai.datasets import (
    Split,
    evaluation_set,
    public_english,
    public_english_part,
)
from pytake_daemon.ai.evaluation import evaluate_languages, evaluate_public_english
from pytake_daemon.ai.language import Fallbacks, LanguageDetector, LanguageSource
from pytake_daemon.ai.sentiment import SentimentScorer, _vader_negation_check
from pytake_daemon.ai.sentiment_pt import PortugueseSentiment
from pytake_daemon.ai.word_forms_pt import candidates, plurals


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer()


@pytest.fixture(scope="module")
def portuguese() -> PortugueseSentiment:
    return PortugueseSentiment()


def test_english_is_not_below_plain_vader_on_the_public_tweets(scorer: SentimentScorer) -> None:
    assert len(public_english()) == 4200
    whole = evaluate_public_english(scorer, split=Split.ALL)
    assert whole.baseline_name == "plain VADER"
    # Plain VADER's figures on this corpus, as its paper's data gives them.
    assert whole.baseline.pearson == pytest.approx(0.8722, abs=1e-4)
    assert whole.baseline.agreement == pytest.approx(0.9210, abs=1e-4)
    assert whole.model.pearson >= whole.baseline.pearson
    assert whole.model.agreement >= whole.baseline.agreement
    assert whole.only_model >= whole.only_baseline
    # The part no decision looked at: agreement differs on 25 of 2,490 tweets (12 only ours gets
    # right, 13 only VADER) and the correlations by 0.00003 (0.86531 against 0.86534), which
    # paired tests (exact McNemar, Williams' t for correlations sharing the human ratings) can't
    # tell from chance (docs/ai.md, "English on a public corpus").
    heldout = evaluate_public_english(scorer, split=Split.HELDOUT)
    assert _mcnemar_exact(heldout.only_model, heldout.only_baseline) > 0.3
    texts = public_english_part(Split.HELDOUT)
    vader = SentimentIntensityAnalyzer()
    assert (
        _williams_p(
            [t.rating for t in texts],
            [scorer.score(t.text, "en") for t in texts],
            [vader.polarity_scores(t.text)["compound"] for t in texts],
        )
        > 0.3
    )


def _williams_p(human: list[float], ours: list[float], theirs: list[float]) -> float:
    """Two-sided p-value of Williams' t for the difference between two correlations with the
    same human ratings (Steiger 1980, eq. 7); with thousands of texts t is taken as normal."""
    n = len(human)
    r = np.corrcoef([human, ours, theirs])
    r12, r13, r23 = r[0, 1], r[0, 2], r[1, 2]
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    mean = (r12 + r13) / 2
    t = (r12 - r13) * sqrt(
        (n - 1) * (1 + r23) / (2 * (n - 1) / (n - 3) * det + mean**2 * (1 - r23) ** 3)
    )
    return float(erfc(abs(t) / sqrt(2)))


def _mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value of ``b`` against ``c`` discordant pairs."""
    n = b + c
    tail: float = sum(comb(n, k) for k in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("not good", -1),  # negated by VADER: "not" as a lexicon entry had stopped that
        ("It doesn't work well", -1),
        ("I can't log in", -1),
        ("I can\u2019t log in", -1),  # iOS's apostrophe
        ("cant login again", -1),
        ("Never seen such bad service", -1),  # emphasis, not negation
        ("I want to cancel my plan", -1),
        ("I need help with the configuration", 0),
        ("I want that phone", 1),
        ("Thanks for the help!", 1),
        ("I loooove it", 1),
        ("free shipping, amazing", 1),
        # Idioms a negator opens: eagerness, the extreme, nothing; not complaints.
        ("Can't wait to get it!", 1),
        ("cant wait", 1),
        ("It's way too late, I can't wait any longer", -1),
        ("I couldn't be happier with the service", 1),
        ("It could not be better", 1),
        ("The delivery couldn't be worse", -1),
        ("never mind", 0),
        ("I don't mind waiting", 0),
        # Every negated auxiliary of VADER's is a negated action, not only "doesn't"/"didn't".
        ("It isn't working", -1),
        ("The package wasn't delivered", -1),
        ("The app doesnt load", -1),
        ("It isn't bad at all", 1),  # a sentiment word in scope: VADER's negation
        # After a focusing or hedging adverb the negator denies no action.
        ("It is not exactly the same plan", 0),
        ("The store doesn't just sell phones", 0),
    ],
)
def test_english_rules(scorer: SentimentScorer, text: str, sign: int) -> None:
    score = scorer.score(text, "en")
    assert (score > 0.05) - (score < -0.05) == sign, (text, score)


def test_negation_check_is_vaders() -> None:
    """Our copy of VADER's negation check (it lower-cased the whole text and copied its list of
    negators for each of three words before every sentiment word) gives VADER's result at every
    position of every public tweet and every English evaluation message."""
    texts = [t.text for t in public_english()] + [m.text for m in evaluation_set("en")]
    checked = 0
    for text in texts:
        words = SentiText(text).words_and_emoticons
        for i in range(1, len(words)):
            for start_i in range(min(3, i)):
                ours = _vader_negation_check(1.7, words, start_i, i)
                assert ours == SentimentIntensityAnalyzer._negation_check(1.7, words, start_i, i)
                checked += 1
    assert checked > 100_000


def test_portuguese_word_forms_score_like_their_lemma(portuguese: PortugueseSentiment) -> None:
    score = portuguese.score
    assert score("ótima") == score("ótimo") > 0.3
    assert score("ótimas") == score("ótimo")
    assert score("rápida") == score("rápido") > 0.1
    assert score("demorado") == score("demorada") < -0.3
    assert score("péssimas") < -0.5
    assert score("rapidamente") > 0  # the adverb of "rápido"
    assert score("Internet lentíssima") < 0  # the superlative of "lento"
    assert score("A entrega foi ótima") == score("O serviço foi ótimo") > 0.3
    # Plurals in -es: simplemma takes these to the verbs "melhorar" and "piorar".
    assert score("melhores") == score("melhor") > 0.3
    assert score("piores") == score("pior") < -0.5
    # A participle's superlative, which simplemma doesn't know.
    assert score("demoradíssimo") == score("demorado") < -0.3
    assert score("Entrega demoradíssima") < -0.3


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("melhores", ("melhor",)),
        ("felizes", ("feliz",)),
        ("vezes", ("vez",)),
        ("demoradíssimas", ("demoradissima", "demorada")),
        ("pouquíssimo", ("pouco",)),
        ("riquíssima", ("rica",)),
        ("três", ()),  # "-es" too short to be a plural
        ("mês", ()),
    ],
)
def test_generated_word_forms(word: str, forms: tuple[str, ...]) -> None:
    assert set(forms) <= set(candidates(word))
    if not forms:
        assert candidates(word) == ()


def test_a_service_entry_decides_its_plurals(portuguese: PortugueseSentiment) -> None:
    assert plurals("valor") == ("valores",)
    assert plurals("cancelamento") == ("cancelamentos",)
    assert plurals("responsavel") == ("responsaveis",)
    assert plurals("decepcao") == ("decepcoes", "decepcaos", "decepcaes")
    assert plurals("bom") == ("bons",)
    # LeIA holds these plurals with an English word's valence ("values", "favors", "credits").
    for word in ("valores", "favores", "créditos", "garantias"):
        assert portuguese.score(word) == 0.0, word
    assert portuguese.score("dúvidas") == portuguese.score("dúvida")


@pytest.mark.parametrize(
    "text",
    [
        "Qual o horário de funcionamento?",
        "ok",
        "Qual o número do pedido?",
        "Tem vaga amanhã?",
        "Sinceramente, qual o prazo?",
        "Vocês são uns caras legais",  # "caras" is "cara" (guy), not "caro" (expensive)
        "O pagamento é pelo pix?",
        "Quais os valores dos planos?",  # "valores" → "valor", neutral here
        "Pode me fazer uns favores?",  # "favores" → "favor", LeIA's "please"
    ],
)
def test_neutral_service_words_stay_neutral(portuguese: PortugueseSentiment, text: str) -> None:
    if text.startswith("Vocês"):
        assert portuguese.score(text) > 0  # "legais" only
    else:
        assert portuguese.score(text) == 0.0


def test_word_forms_never_follow_a_verb() -> None:
    assert {"otima", "otimo"} <= set(candidates("ótimas"))
    assert "lugar" in candidates("lugares")  # a noun's plural, though "-ar" like a verb
    for participle, verb in (("bloqueada", "bloquear"), ("demorou", "demorar"), ("caiu", "cair")):
        assert verb not in candidates(participle)


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(("pt", "en"))


def test_short_texts_take_the_contact_then_the_conversation_then_the_default(
    detector: LanguageDetector,
) -> None:
    choose = detector.choose
    lmao = choose("LMAO, AMAZING!", Fallbacks(default="pt"))
    assert (lmao.language, lmao.source, lmao.reliable) == ("en", LanguageSource.DETECTED, False)
    ok = "ok 👍"
    assert choose(ok, Fallbacks("en", "pt", "pt")).source is LanguageSource.CONTACT
    assert choose(ok, Fallbacks("en", "pt", "pt")).language == "en"
    assert choose(ok, Fallbacks(None, "pt", "en")).language == "pt"
    assert choose(ok, Fallbacks(None, "pt", "en")).source is LanguageSource.CONVERSATION
    assert choose(ok, Fallbacks(default="en")).source is LanguageSource.DEFAULT
    # Two function words or the confident model are reliable: what the contact remembers.
    sure = choose("Meu pedido ainda não chegou", Fallbacks(contact="en"))
    assert (sure.language, sure.reliable) == ("pt", True)
    assert not choose("obrigado", Fallbacks(contact="en")).reliable
    assert choose("Damn! MJ died! A true loss.", Fallbacks(default="pt")).language == "en"


def test_language_evaluation_beats_the_rule_before_issue_23() -> None:
    rows = evaluate_languages(split=Split.HELDOUT)
    assert {r.texts for r in rows} >= {"VADER tweets", "eval pt", "eval en"}
    for row in rows:
        assert row.messages > 0
        assert row.first_message > row.before, row
        assert row.remembered >= 0.99, row
    tweets = next(r for r in rows if r.texts == "VADER tweets")
    assert tweets.first_message >= 0.98  # before: 0.956 (186 of 4,200 wrong on the whole set)
