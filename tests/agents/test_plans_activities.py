"""An agent's activity timeline reads its page whatever the agent's history: the newest page
and pages far back (``before``), by ``agent_activities_agent_idx`` (or the primary key's order
while the agent's rows are among the newest), on an agent with 20,000 activities and a colleague
with as many (interleaved), as the daemon's role under row-level security, for the plan of the
values at hand and the generic plan."""

from __future__ import annotations

from datetime import UTC, datetime

from pytake_daemon.attendance import agents_db
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.plans import assert_bounded, explain

HISTORY = 20_000
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def test_the_timeline_reads_its_page(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT].id
    team = [agent, tenant[Role.ADMIN].id]
    for user in team:
        await admin_conn.execute(
            "INSERT INTO agents (tenant_id, id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            tenant.id,
            user,
        )
    # The two agents' days interleave: one activity each a minute.
    await admin_conn.execute(
        """
        INSERT INTO agent_activities (tenant_id, agent_id, kind, detail, at)
        SELECT $1, u, 'status_changed', '{"status": "online"}',
               $3::timestamptz - make_interval(mins => $4::int - g)
          FROM generate_series(1, $4::int) AS g, unnest($2::uuid[]) AS u
         ORDER BY g
        """,
        tenant.id,
        team,
        NOW,
        HISTORY,
    )
    await admin_conn.execute("VACUUM ANALYZE agent_activities")
    ids = await admin_conn.fetch(
        "SELECT id FROM agent_activities WHERE tenant_id = $1 AND agent_id = $2 ORDER BY id",
        tenant.id,
        agent,
    )
    pages = {"newest": None, "far back": ids[100]["id"], "halfway": ids[HISTORY // 2]["id"]}
    failures = []
    for generic in (False, True):
        for what, before in pages.items():
            sql, args = agents_db.activities_statement(agent, before, 50)
            async with app_conn.transaction():
                await set_tenant(app_conn, tenant.id)
                plan = await explain(app_conn, sql, *args, generic=generic)
            try:
                assert_bounded(
                    plan,
                    uses={("agent_activities_agent_idx", "agent_activities_pkey")},
                    never_scans=("agent_activities",),
                    max_blocks=300,
                )
            except AssertionError:
                failures.append(f"generic={generic} {what}: {plan.blocks} buffers")
    assert not failures, "\n".join(failures)
