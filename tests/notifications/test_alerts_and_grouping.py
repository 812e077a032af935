"""Alerts by role (security and backups to admins and owners, AI alerts to supervisors and the
agent attending), a customer's burst grouped into one row, and the per-minute cap."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import EVENT_BUS
from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol import MessageReceived, Role, parse_server_event
from pytake_daemon.protocol.ai import AlertOut, AlertRaised, AlertRule
from pytake_daemon.protocol.audit import AlertKind, SecurityAlertOut, SecurityAlertRaised, Severity
from pytake_daemon.protocol.backups import BackupAlert
from pytake_daemon.protocol.notifications import NotificationCategory as Cat
from pytake_daemon.protocol.notifications import NotificationSeverity as Sev
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.support import center, settled, tell, unread
from tests.support import Member
from tests.whatsapp.payloads_2026 import bsuid, text_from
from tests.whatsapp.wa_support import add_number, digits, post_signed

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


async def _of(api: ApiClient, member: Member, category: Cat) -> list[tuple[str, str]]:
    page = await center(api, member, category=category.value)
    return [(n.title, n.severity.value) for n in page.items]


async def test_alerts_go_by_role_and_the_customers_burst_is_one_row(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    number = await add_number(api, tenant)
    user, phone = bsuid(), digits(12)
    ws = await api.ws_connect("/api/v1/ws", headers=tenant[Role.SUPERVISOR].headers)

    async def customer_says(text: str, ts: int) -> uuid.UUID:
        """Post the message and wait until the fan-out has handled it (the hub's frame comes
        after the bus handed the event to the fan-out)."""
        payload, _ = text_from(number, user_id=user, phone=phone, body=text, ts=ts)
        assert (await post_signed(api, payload, number.app_secret))[0] == 200
        while True:
            event = parse_server_event(await ws.receive_str(timeout=10.0)).event
            if isinstance(event, MessageReceived) and event.message.text == text:
                await settled(api)
                return event.conversation.id

    conversation = await customer_says("oi", 1_700_000_000)
    await admin_conn.execute(
        "UPDATE conversations SET assigned_user_id = $2 WHERE tenant_id = $1", tenant.id, agent.id
    )
    for n in range(3):
        await customer_says(f"hello {n}", 1_700_000_001 + n)
    await ws.close()
    [replied] = (await center(api, agent, category="message")).items
    assert (replied.title, replied.group_count) == ("Ana Souza: 3 new messages", 3)
    assert replied.body == "hello 2"

    bus = api.app[EVENT_BUS]
    await bus.publish(tenant.id, AlertRaised(alert=AlertOut(
        id=uuid.uuid4(), conversation_id=conversation, rule=AlertRule.CANCEL_OR_COMPLAINT,
        message_id=None, detail="quero cancelar", created_at=NOW)))  # fmt: skip
    await bus.publish(tenant.id, SecurityAlertRaised(alert=SecurityAlertOut(
        id=uuid.uuid4(), at=NOW, kind=AlertKind.BRUTE_FORCE_USER, severity=Severity.CRITICAL,
        subject="x@example.test", summary="12 failed logins", entry_ids=[])))  # fmt: skip
    await bus.publish(tenant.id, BackupAlert(reason="backup_failed", message="backup failed: disk"))
    await settled(api)

    angry = ("Cancellation or complaint: Ana Souza", "urgent")
    for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.OWNER):
        assert await _of(api, tenant[role], Cat.AI_ALERT) == [angry], role
    for role in (Role.ADMIN, Role.OWNER):
        assert ("Security: 12 failed logins", "urgent") in await _of(
            api, tenant[role], Cat.SECURITY
        )
        assert await _of(api, tenant[role], Cat.BACKUP) == [("Backup failed", "urgent")]
    for role in (Role.AGENT, Role.SUPERVISOR):
        assert await _of(api, tenant[role], Cat.SECURITY) == []
        assert await _of(api, tenant[role], Cat.BACKUP) == []


async def test_beyond_the_per_minute_cap_notifications_are_grouped_except_urgent_ones(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    resp = await api.put(
        "/api/v1/notifications/preferences", json={"per_minute_cap": 3}, headers=agent.headers
    )
    assert resp.status == 200, await resp.text()

    def transfer(n: int, severity: Sev = Sev.INFO) -> Intent:
        return Intent(agent.id, Cat.TRANSFER, severity, f"Transferred to Support: customer {n}",
                      scope="Support")  # fmt: skip

    # Two passes of the fan-out: 5, then 7 with an urgent one: 3 rows, then one that grows;
    # the urgent one stands alone.
    await tell(api, tenant.id, *(transfer(n) for n in range(5)))
    await tell(api, tenant.id, *(transfer(n) for n in range(5, 11)), transfer(11, Sev.URGENT))
    items = (await center(api, agent)).items
    assert sorted((n.title, n.group_count) for n in items) == [
        ("8 new notifications in Support: transfers", 8),
        ("Transferred to Support: customer 0", 1),
        ("Transferred to Support: customer 1", 1),
        ("Transferred to Support: customer 11", 1),
        ("Transferred to Support: customer 2", 1),
    ]
    assert (await unread(api, agent)).total == 5
