"""Queue SLA at risk (N3): at 80 % of the queue's longest wait, the queue's members and the
supervisors are told once; a VIP contact or an urgent item makes it urgent. Pinned instants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.keys import DB_POOL, EVENT_BUS, REDIS, SECRET_BOX, SETTINGS
from pytake_daemon.notifications import sla
from pytake_daemon.protocol import Role
from tests.conftest import ApiClient, MakeTenant
from tests.conversations import factories
from tests.notifications.support import add_agent, center

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # entered; at risk at 10:08 (80 % of 10 min)


async def test_waits_at_risk_reach_queue_members_and_supervisors_once(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    member = await add_agent(admin_conn, tenant.id, "Mia", skills=["billing"])
    outsider = await add_agent(admin_conn, tenant.id, "Otto")
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        queue = await admin_conn.fetchval(
            "INSERT INTO queues (tenant_id, name, required_skills, max_wait_minutes)"
            " VALUES ($1, 'Billing', '{billing}', 10) RETURNING id", tenant.id)  # fmt: skip
        number = await factories.insert_number(admin_conn, tenant.id, api.app[SECRET_BOX])
        plain = await factories.insert_conversation(
            admin_conn, tenant.id, number_id=number, profile_name="Ana"
        )
        vip = await factories.insert_conversation(
            admin_conn, tenant.id, number_id=number, profile_name="Rui")  # fmt: skip
        await admin_conn.execute(
            "UPDATE contacts SET attributes = '{\"vip\": \"yes\"}' WHERE id ="
            " (SELECT contact_id FROM conversations WHERE id = $1)", vip)  # fmt: skip
        for conversation, entered in ((plain, T0), (vip, T0 + timedelta(minutes=1))):
            await admin_conn.execute(
                "INSERT INTO queue_items (tenant_id, queue_id, conversation_id, fallback_action,"
                " entered_at) VALUES ($1, $2, $3, 'keep_waiting', $4)",
                tenant.id, queue, conversation, entered)  # fmt: skip

    prefix = f"{api.app[SETTINGS].redis.key_prefix}{uuid.uuid4().hex}:"

    async def sweep(at: datetime) -> int:
        return await sla.sweep(
            api.app[DB_POOL], api.app[EVENT_BUS], api.app[REDIS], prefix=prefix, now=at
        )

    # 10:08:10 closes the slot [10:07:30, 10:08:00): nothing at risk in it yet.
    assert await sweep(T0 + timedelta(minutes=8, seconds=10)) == 0
    # 10:08:40: Ana's wait reached 8 minutes in [10:08:00, 10:08:30).
    assert await sweep(T0 + timedelta(minutes=8, seconds=40)) > 0
    assert await sweep(T0 + timedelta(minutes=8, seconds=50)) == 0  # the slot is done
    assert await sweep(T0 + timedelta(minutes=9, seconds=10)) == 0  # Ana is not told twice
    assert await sweep(T0 + timedelta(minutes=9, seconds=40)) > 0  # Rui, the VIP

    expected = [("VIP waiting long in Billing: Rui", "urgent"),
                ("Waiting long in Billing: Ana", "warning")]  # fmt: skip
    for who in (member, tenant[Role.SUPERVISOR], tenant[Role.ADMIN]):
        items = (await center(api, who, category="sla")).items
        assert [(n.title, n.severity.value) for n in items] == expected
        assert [n.link.id for n in items if n.link] == [vip, plain]
    for who in (outsider, tenant[Role.AGENT]):
        assert (await center(api, who, category="sla")).items == []
