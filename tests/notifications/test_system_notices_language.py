"""System notices (a number's quality, a template's status, a System figure) are worded per
recipient: an admin who reads Portuguese gets Portuguese, one who reads English gets English,
from the same event. The rules alone, with a hand-made audience (the database's part, which
language a member reads, is tests/operations/test_system_alerts.py's)."""

from __future__ import annotations

import uuid

from pytake_daemon.notifications import system_rules
from pytake_daemon.notifications.audience import Audience, Member
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.whatsapp import NumberQualityChanged, TemplateStatusChanged
from pytake_daemon.system.alerts import Crossing, Level

ANA = Member(uuid.UUID(int=1), Role.ADMIN, "Ana", "ana@example.com", language="pt_BR")
OLIVER = Member(uuid.UUID(int=2), Role.OWNER, "Oliver", "oliver@example.com", language="en")
AGENT = Member(uuid.UUID(int=3), Role.AGENT, "Bia", "bia@example.com", language="pt_BR")
AUDIENCE = Audience({m.id: m for m in (ANA, OLIVER, AGENT)}, {})


def _said(intents: object) -> dict[uuid.UUID, tuple[str, str]]:
    assert isinstance(intents, list)
    return {i.user_id: (i.title, i.body) for i in intents}


def test_a_number_quality_drop_in_each_admins_language() -> None:
    event = NumberQualityChanged(
        number_id=uuid.UUID(int=9), display_phone_number="15550001111", label="Sales",
        event="FLAGGED", quality_rating="YELLOW", messaging_limit="TIER_1K",
        previous_limit="TIER_10K", trend="dropped", limit_lowered=True,
    )  # fmt: skip
    said = _said(list(system_rules.number_quality(event, AUDIENCE)))
    assert said == {
        ANA.id: (
            "A qualidade do número caiu: 15550001111 (Sales)",
            "A Meta marcou a qualidade como baixa: se não se recuperar em 7 dias, o limite de "
            "mensagens será reduzido. Classificação de qualidade: YELLOW. Limite de mensagens: "
            "TIER_1K (era TIER_10K).",
        ),
        OLIVER.id: (
            "Number quality dropped: 15550001111 (Sales)",
            "Meta flagged its quality as low: unless it recovers within 7 days, its messaging "
            "limit will be lowered. Quality rating: YELLOW. Messaging limit: TIER_1K "
            "(was TIER_10K).",
        ),
    }


def test_a_disabled_template_in_each_admins_language() -> None:
    event = TemplateStatusChanged(
        template_id=None, meta_id="m1", name="order_update", language="pt_BR",
        status="DISABLED", previous_status="PAUSED", reason=None,
    )  # fmt: skip
    said = _said(list(system_rules.template_status(event, AUDIENCE)))
    assert said == {
        ANA.id: (
            "Modelo desativado: order_update (pt_BR)",
            "Motivo da Meta: nenhum informado. Os envios que o usam falham até a Meta reativá-lo.",
        ),
        OLIVER.id: (
            "Template disabled: order_update (pt_BR)",
            "Meta's reason: none given. Sends that use it fail until Meta enables it again.",
        ),
    }


def test_a_figure_back_to_normal_in_each_admins_language() -> None:
    calm = Crossing("pg.dead.queue_items", "", 12.25, Level.WARN, Level.OK)
    said = _said(list(system_rules.figure_alert(calm, AUDIENCE)))
    assert said == {
        ANA.id: (
            "Linhas mortas em queue_items de volta ao normal",
            "Linhas mortas em queue_items: de novo em 12,2 %.",
        ),
        OLIVER.id: (
            "Dead rows in queue_items back to normal",
            "Dead rows in queue_items is at 12.2 % again.",
        ),
    }
