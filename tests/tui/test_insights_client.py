"""The insights screen's and the AI settings page's DaemonClient calls against the real daemon
(app, PostgreSQL, Redis): an angry customer's message analysed through the webhook shows in the
insights, per queue too; the settings are read and changed; the daemon's refusals."""

from __future__ import annotations

import uuid

import pytest

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.ai import (
    AiSettingsUpdate,
    AlertRaised,
    AlertRule,
    MessageAnalyzed,
)
from pytake_tui.client import DaemonClient, DaemonError
from tests.ai.test_ai_api import ANGRY, next_of, say, setup
from tests.conftest import ApiClient, MakeTenant
from tests.support import Member
from tests.whatsapp.wa_support import digits


def _client(api: ApiClient, member: Member) -> DaemonClient:
    return DaemonClient(str(api.make_url("/")), token=member.token)


async def _in_queue(conn: Connection, tenant_id: uuid.UUID, conversation: uuid.UUID) -> None:
    """Put the conversation in a "Billing" queue since before its message was analysed."""
    queue_id = await conn.fetchval(
        "INSERT INTO queues (tenant_id, name) VALUES ($1, 'Billing') RETURNING id", tenant_id
    )
    await conn.execute(
        "INSERT INTO queue_items (tenant_id, queue_id, conversation_id, fallback_action,"
        " entered_at) VALUES ($1, $2, $3, 'keep_waiting', now() - interval '1 hour')",
        tenant_id,
        queue_id,
        conversation,
    )


async def test_insights_show_the_analysed_message_by_queue_and_agent(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, number = await setup(api, make_tenant)
    supervisor = tenant[Role.SUPERVISOR]
    async with api.ws_connect("/api/v1/ws", headers=supervisor.headers) as ws:
        await say(api, number, digits(12), ANGRY)
        conversation = (await next_of(ws, MessageAnalyzed)).analysis.conversation_id
        await next_of(ws, AlertRaised)
    await _in_queue(admin_conn, tenant.id, conversation)

    async with _client(api, supervisor) as client:
        insights = await client.ai_insights(1)
    assert insights.days == 1
    assert insights.distribution.negative == 1
    assert [(q.queue_name, q.messages) for q in insights.by_queue] == [("Billing", 1)]
    assert insights.by_queue[0].average < 0
    assert sum(a.messages for a in insights.by_agent) == 1
    assert insights.top_intents[0].name == "cancel"
    assert AlertRule.STRONGLY_NEGATIVE.value in {a.name for a in insights.alerts_by_rule}
    assert [t.conversation_id for t in insights.turned_negative] == [conversation]

    async with _client(api, tenant[Role.AGENT]) as client:
        with pytest.raises(DaemonError) as refused:
            await client.ai_insights(7)
    assert refused.value.status == 403


async def test_ai_settings_are_read_and_changed_by_admins_only(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    async with _client(api, tenant[Role.ADMIN]) as client:
        before = await client.ai_settings()
        rules = [r for r in before.alert_rules if r is not AlertRule.WORSENING_TREND]
        after = await client.update_ai_settings(
            AiSettingsUpdate(intent_threshold=0.45, alert_rules=rules, languages=["pt"])
        )
        assert after.intent_threshold == 0.45
        assert after.languages == ["pt"]
        assert AlertRule.WORSENING_TREND not in after.alert_rules
        assert after.strongly_negative == before.strongly_negative  # untouched fields stay
        assert (await client.ai_settings()) == after

    async with _client(api, tenant[Role.SUPERVISOR]) as client:
        assert (await client.ai_settings()).intent_threshold == 0.45
        with pytest.raises(DaemonError) as refused:
            await client.update_ai_settings(AiSettingsUpdate(intent_threshold=0.2))
    assert refused.value.status == 403
