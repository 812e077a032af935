"""Issue #23 without the daemon: English against plain VADER on the public human-rated tweets,
Portuguese word forms, the language of short texts, and the evaluation's figures."""

from __future__ import annotations

import numpy as np
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer, SentiText

from pytake_daemon.ai.analyzer import shared_analyzer
from pytake_daemon.ai.datasets import (
    Split,
    evaluation_set,
    public_english,
)
from pytake_daemon.ai.evaluation import evaluate, evaluate_languages, evaluate_public_english
from pytake_daemon.ai.language import Fallbacks, LanguageDetector, LanguageSource
from pytake_daemon.ai.paired_tests import (
    AGREEMENT_MARGIN,
    CONFIDENCE_Z,
    PEARSON_MARGIN,
    mcnemar_one_sided,
    non_inferiority,
)
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
    """Issue #23's criterion as docs/ai.md states it: on the whole corpus the point figures are
    at least plain VADER's; on the held-out part (no decision looked at it) ours is not below by
    a non-inferiority test: plain VADER's lead, bounded above at one-sided 95 %, stays under
    1 point of agreement and 0.01 of r, and neither one-sided test says ours is below."""
    assert len(public_english()) == 4200
    whole = evaluate_public_english(scorer, split=Split.ALL)
    assert whole.baseline_name == "plain VADER"
    # Plain VADER's figures on this corpus, as its paper's data gives them.
    assert whole.baseline.pearson == pytest.approx(0.8722, abs=1e-4)
    assert whole.baseline.agreement == pytest.approx(0.9210, abs=1e-4)
    assert whole.model.pearson >= whole.baseline.pearson
    assert whole.model.agreement >= whole.baseline.agreement
    assert whole.only_model >= whole.only_baseline
    assert whole.comparison.not_below
    heldout = evaluate_public_english(scorer, split=Split.HELDOUT)
    assert heldout.messages == 2490
    versus = heldout.comparison
    assert versus.not_below, versus
    assert versus.agreement_deficit_upper < AGREEMENT_MARGIN
    assert versus.pearson_deficit_upper < PEARSON_MARGIN
    assert versus.agreement_p > 0.05, versus
    assert versus.pearson_p > 0.05, versus


def test_mcnemar_one_sided_counts_every_outcome() -> None:
    for wins, losses in ((6, 7), (0, 3), (9, 5), (5, 0)):
        n = wins + losses
        at_least = sum(1 for outcome in range(2**n) if bin(outcome).count("1") >= losses)
        assert mcnemar_one_sided(wins, losses) == pytest.approx(at_least / 2**n)
    assert mcnemar_one_sided(0, 0) == 1.0


def test_agreement_bound_is_exact() -> None:
    # No loss among 10 discordant texts: the exact bound of the share is 1 - 0.05 ** (1 / 10).
    share = 1 - 0.05 ** (1 / 10)
    bound = non_inferiority(
        [0.0, 1.0, 2.0, 3.0] * 25,
        [0.0, 1.0, 2.0, 2.5] * 25,
        [0.0, 1.0, 2.5, 3.0] * 25,
        only_model=10,
        only_baseline=0,
    )
    assert bound.agreement_deficit == pytest.approx(-0.1)
    assert bound.agreement_deficit_upper == pytest.approx(10 / 100 * (2 * share - 1))


def test_pearson_bound_matches_the_spread_of_simulated_differences() -> None:
    """Williams' standard error against the spread of the difference over 400 simulated
    samples: two scorers correlated with the ratings and with each other, as ours and VADER."""
    rng = np.random.default_rng(23)
    n, errors, deficits = 300, [], []
    for _ in range(400):
        human = rng.normal(size=n)
        shared = human + rng.normal(scale=0.6, size=n)
        ours = shared + rng.normal(scale=0.2, size=n)
        theirs = shared + rng.normal(scale=0.2, size=n)
        versus = non_inferiority(
            list(human), list(ours), list(theirs), only_model=0, only_baseline=0
        )
        deficits.append(versus.pearson_deficit)
        errors.append((versus.pearson_deficit_upper - versus.pearson_deficit) / CONFIDENCE_Z)
    assert float(np.mean(errors)) == pytest.approx(float(np.std(deficits)), rel=0.15)
    # Same scorer: no difference and no spread, but for rounding (numpy's sums depend on the
    # arrays' alignment in memory: 1.4e-9 once, in CI).
    same = non_inferiority(list(human), list(ours), list(ours), only_model=0, only_baseline=0)
    assert same.pearson_deficit == pytest.approx(0.0, abs=1e-6)
    assert same.pearson_deficit_upper == pytest.approx(0.0, abs=1e-6)


def test_portuguese_intents_and_short_language_rows_hold() -> None:
    """The issue's other rows on the held-out part: Portuguese not below the figures of
    2026-12-05 (sentiment 176 of 205, macro-F1 0.862; intents 186 of 205), intents over both
    languages at least 90 %, and the short texts' language row."""
    analyzer = shared_analyzer()
    rows = {(r.language, r.task): r for r in evaluate(analyzer.train(), analyzer.scorer)}
    pt = rows["pt", "sentiment"]
    assert round(pt.model.accuracy * pt.messages) >= 176
    assert pt.model.macro_f1 >= 0.862
    assert round(rows["pt", "intent"].model.accuracy * 205) >= 186
    intents = [rows[lang, "intent"] for lang in ("pt", "en")]
    right = sum(round(r.model.accuracy * r.messages) for r in intents)
    assert right / sum(r.messages for r in intents) >= 0.90
    short = evaluate_languages(split=Split.HELDOUT)[-1]
    assert short.texts.startswith("short")
    assert short.messages > 0
    assert short.remembered > short.first_message > short.before


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
