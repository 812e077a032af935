"""The alerts list stays bounded by its page whatever the tenant's history of alerts: all of the
tenant's (newest first, ``ai_alerts_time_idx``) and one conversation's (its few alerts, one per
rule, by the unique index), on a tenant with 20,000 alerts, as the daemon's role under
row-level security, for the plan of the values at hand and the generic plan."""

from __future__ import annotations

from datetime import UTC, datetime

from pytake_daemon.ai import db
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.conversations.factories import insert_number, resolved_conversations
from tests.plans import assert_bounded, explain

CONVERSATIONS = 5_000
RULES = ("negative_sentiment", "escalation_risk", "urgent", "vip")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def test_the_alerts_list_reads_its_page(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant, settings: Settings
) -> None:
    tenant = await make_tenant()
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        number = await insert_number(admin_conn, tenant.id, load_secret_box(settings))
        ids = await resolved_conversations(
            admin_conn, tenant.id, number, CONVERSATIONS, wa_base=73_000_000_000
        )
        # Every conversation had each rule fire once, a minute apart over the months.
        await admin_conn.execute(
            """
            INSERT INTO ai_alerts (tenant_id, conversation_id, rule, detail, created_at)
            SELECT $1, c.id, r.rule, 'seen',
                   $4::timestamptz - make_interval(mins => (c.n * 4 + r.n)::int)
              FROM unnest($2::uuid[]) WITH ORDINALITY AS c (id, n),
                   unnest($3::text[]) WITH ORDINALITY AS r (rule, n)
            """,
            tenant.id,
            ids,
            list(RULES),
            NOW,
        )
    await admin_conn.execute("VACUUM ANALYZE ai_alerts")

    # The oldest conversation's alerts: the ones furthest from the newest end of the list.
    lists = {
        "all": db.alerts_statement(None, 50),
        "one conversation": db.alerts_statement(ids[-1], 50),
    }
    failures = []
    for generic in (False, True):
        for what, (sql, args) in lists.items():
            async with app_conn.transaction():
                await set_tenant(app_conn, tenant.id)
                plan = await explain(app_conn, sql, *args, generic=generic)
            try:
                assert_bounded(plan, never_scans=("ai_alerts",), max_blocks=100)
            except AssertionError:
                failures.append(f"generic={generic} {what}: {plan.blocks} buffers")
    assert not failures, "\n".join(failures)
