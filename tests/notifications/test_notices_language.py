"""Notification texts in each reader's language (issue 22): security-alert summaries (stored in
English, said again from their shape), backup alerts, the per-minute cap's summary and its
plural, and the unnamed customer's fallback. The rules alone, with a hand-made audience."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pytake_daemon.audit.alert_kinds import kind_name
from pytake_daemon.notifications import rules, service
from pytake_daemon.notifications.audience import Audience, ConversationFacts, Member
from pytake_daemon.notifications.intent import Intent
from pytake_daemon.protocol import EventEnvelope, Role
from pytake_daemon.protocol.ai import AlertOut, AlertRaised, AlertRule
from pytake_daemon.protocol.audit import AlertKind, SecurityAlertOut, SecurityAlertRaised, Severity
from pytake_daemon.protocol.backups import BackupAlert
from pytake_daemon.protocol.notifications import NotificationCategory, NotificationSeverity

ANA = Member(uuid.UUID(int=1), Role.ADMIN, "Ana", "ana@example.com", language="pt_BR")
OLIVER = Member(uuid.UUID(int=2), Role.OWNER, "Oliver", "oliver@example.com", language="en")
AT = datetime(2030, 1, 1, tzinfo=UTC)


def _titles(event: object, audience: Audience) -> dict[uuid.UUID, tuple[str, str | None]]:
    envelope = EventEnvelope(seq=1, tenant_id=uuid.UUID(int=5), at=AT, event=event)
    return {i.user_id: (i.title, i.many_title) for i in rules.intents([envelope], audience)}


def test_a_security_summary_in_each_admins_language() -> None:
    audience = Audience({m.id: m for m in (ANA, OLIVER)}, {})
    alert = SecurityAlertOut(
        id=uuid.UUID(int=9), at=AT, kind=AlertKind.BRUTE_FORCE_USER, severity=Severity.CRITICAL,
        subject="x@example.test", summary="12 failed logins for x@example.test in 300 s",
        entry_ids=[],
    )  # fmt: skip
    said = _titles(SecurityAlertRaised(alert=alert), audience)
    assert said[ANA.id][0] == "Segurança: 12 logins falhos de x@example.test em 300 s"
    assert said[OLIVER.id][0] == "Security: 12 failed logins for x@example.test in 300 s"
    # The body names the kind in words, not the enum's value (brute_force_user).
    envelope = EventEnvelope(
        seq=1, tenant_id=uuid.UUID(int=5), at=AT, event=SecurityAlertRaised(alert=alert)
    )
    bodies = {i.user_id: i.body for i in rules.intents([envelope], audience)}
    assert bodies == {
        ANA.id: "Tentativas de login repetidas em uma conta: x@example.test",
        OLIVER.id: "Repeated failed logins for one account: x@example.test",
    }


def test_every_security_alert_kind_has_words_in_both_languages() -> None:
    for kind in AlertKind:
        english, portuguese = kind_name(kind, language="en"), kind_name(kind, language="pt_BR")
        assert "_" not in english
        assert english != portuguese, kind


def test_a_backup_alert_and_its_group_in_each_admins_language() -> None:
    audience = Audience({m.id: m for m in (ANA, OLIVER)}, {})
    said = _titles(BackupAlert(reason="backup_failed", message="backup failed: disk"), audience)
    assert said == {
        ANA.id: ("O backup falhou", "{n} backups falharam"),
        OLIVER.id: ("Backup failed", "{n} backups failed"),
    }


def test_an_unnamed_customer_in_the_readers_words() -> None:
    conversation = uuid.UUID(int=7)
    audience = Audience(
        {ANA.id: ANA}, {}, {conversation: ConversationFacts(conversation, None, ANA.id, None)}
    )
    alert = AlertOut(
        id=uuid.UUID(int=8), conversation_id=conversation, rule=AlertRule.CANCEL_OR_COMPLAINT,
        message_id=None, detail="intent cancel", created_at=AT,
    )  # fmt: skip
    (title, _many) = _titles(AlertRaised(alert=alert), audience)[ANA.id]
    assert title.endswith(": um cliente"), title


def test_the_per_minute_summary_and_its_plural() -> None:
    intent = Intent(
        ANA.id, NotificationCategory.ASSIGNMENT, NotificationSeverity.INFO, "x", scope="Suporte"
    )
    pt = service._capped(intent, "pt_BR")
    assert (pt.title, pt.many_title) == (
        "Novas notificações em Suporte: atribuições",
        "{n} novas notificações em Suporte: atribuições",
    )
    en = service._capped(intent, "en")
    assert (en.title, en.many_title) == (
        "New notifications in Suporte: assignments",
        "{n} new notifications in Suporte: assignments",
    )
