"""An AI alert's detail ("sentiment -0.85", stored in English) is worded in each reader's
language with their decimal mark: the notification's body per recipient, and the console's
queue monitor line in the console's language; the rules' sentences all have a known shape."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from pytake_daemon.ai import alert_words
from pytake_daemon.ai.analyzer import Analysis
from pytake_daemon.ai.rules import fired_rules
from pytake_daemon.ai.sentiment import SentimentLabel
from pytake_daemon.notifications import rules
from pytake_daemon.notifications.audience import Audience, ConversationFacts, Member
from pytake_daemon.protocol import EventEnvelope, Role
from pytake_daemon.protocol.ai import AiSettingsOut, AlertOut, AlertRaised, AlertRule
from pytake_daemon.protocol.alert_detail import parse
from pytake_i18n import use_language
from pytake_tui.alert_words import alert_detail

ANA = Member(uuid.UUID(int=1), Role.ADMIN, "Ana", "ana@example.com", language="pt_BR")
OLIVER = Member(uuid.UUID(int=2), Role.OWNER, "Oliver", "oliver@example.com", language="en")


def test_the_notification_body_in_each_readers_language() -> None:
    conversation = uuid.UUID(int=7)
    audience = Audience(
        {m.id: m for m in (ANA, OLIVER)},
        {},
        {conversation: ConversationFacts(conversation, "Carla", None, None)},
    )
    at = datetime(2030, 1, 1, tzinfo=UTC)
    alert = AlertOut(
        id=uuid.UUID(int=8), conversation_id=conversation, rule=AlertRule.STRONGLY_NEGATIVE,
        message_id=None, detail="sentiment -0.85", created_at=at,
    )  # fmt: skip
    envelope = EventEnvelope(
        seq=1, tenant_id=uuid.UUID(int=5), at=at, event=AlertRaised(alert=alert)
    )
    bodies = {i.user_id: i.body for i in rules.intents([envelope], audience)}
    assert bodies == {ANA.id: "sentimento -0,85", OLIVER.id: "sentiment -0.85"}


@pytest.mark.parametrize(
    ("detail", "pt", "en"),
    [
        ("sentiment -0.85", "sentimento -0,85", "sentiment -0.85"),
        (
            "sentiment fell by 1.20 over the last 3 messages",
            "o sentimento caiu 1,20 nas últimas 3 mensagens",
            "sentiment fell by 1.20 over the last 3 messages",
        ),
        ("intent cancel", "intenção: cancelamento", "intent cancel"),
        (
            "negative after waiting 12 min for an answer",
            "negativo após esperar 12 min por uma resposta",
            "negative after waiting 12 min for an answer",
        ),
        (
            "asked for a human 2.5 min ago; no answer since",
            "pediu um atendente há 2,5 min; sem resposta desde então",
            "asked for a human 2.5 min ago; no answer since",
        ),
        ("something else", "something else", "something else"),
    ],
)
def test_each_shape_in_both_languages(detail: str, pt: str, en: str) -> None:
    assert alert_words.say(detail, language="pt_BR") == pt
    assert alert_words.say(detail, language="en") == en
    with use_language("pt_BR"):  # the console's queue monitor line
        assert alert_detail(detail) == pt
    with use_language("en"):
        assert alert_detail(detail) == en


def test_every_sentence_the_rules_write_has_a_known_shape() -> None:
    settings = AiSettingsOut(
        enabled=True, languages=["pt", "en"], default_language="pt", intent_threshold=0.5,
        strongly_negative=-0.6, trend_messages=3, trend_drop=0.5, long_wait_minutes=10,
        human_request_minutes=5, alert_rules=list(AlertRule), suggestion_sources=["canned"],
    )  # fmt: skip
    analysis = Analysis(
        language="pt", sentiment=-0.9, label=SentimentLabel.NEGATIVE, intent="complaint",
        confidence=0.9,
    )  # fmt: skip
    fired = fired_rules(
        analysis, recent_scores=[0.5, 0.2, -0.9], waiting_minutes=30, settings=settings
    )
    assert {f.rule for f in fired} == {
        AlertRule.STRONGLY_NEGATIVE, AlertRule.WORSENING_TREND,
        AlertRule.CANCEL_OR_COMPLAINT, AlertRule.LONG_WAIT_NEGATIVE,
    }  # fmt: skip
    assert all(parse(f.detail) is not None for f in fired), [f.detail for f in fired]
