"""The inbox stats (``GET /api/v1/conversations/stats``, read by every console's header) read a
bounded number of pages whatever the tenant's history: executed plans on a tenant with 25,000
conversations (most resolved, over a month) and 120,000 messages today, as the daemon's role
under row-level security, for the plan of the values at hand and the generic plan (see
tests/plans.py). Each figure reads the rows it counts, never every conversation or every
message of the day: today's messages come from the report roll-up's quarters plus the
messages after its watermark. The clock is pinned (``NOW``): the day's start matters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from pytake_daemon.config import Settings
from pytake_daemon.conversations import db
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role
from pytake_daemon.reports.rollup import roll_up_tenant
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.conversations.factories import insert_number
from tests.plans import assert_bounded, explain

CONVERSATIONS = 25_000
TODAY = 120_000
"""Messages since 00:00 UTC, evenly up to ``NOW`` (one every 0.6 s)."""
YESTERDAY = 20_000
NOW = datetime(2026, 6, 1, 20, 7, tzinfo=UTC)


async def seed_big_tenant(
    admin_conn: Connection, app_conn: Connection, tenant_id: uuid.UUID, agent: uuid.UUID,
    number: uuid.UUID, now: datetime = NOW,
) -> None:  # fmt: skip
    """The tenant's month: 1,000 open conversations (half unassigned), 250 pending, 250
    snoozed, the rest resolved over 16 days; a third of the unresolved unread; customers who
    wrote over 30 days; ``TODAY`` messages today (one outbound in 97 failed) and ``YESTERDAY``
    before; the roll-up run five minutes before ``now``."""
    await admin_conn.execute(
        """
        WITH ct AS (
            INSERT INTO contacts (tenant_id, wa_id)
            SELECT $1, (74000000000 + g)::text FROM generate_series(1, $2::int) AS g
            RETURNING id, (wa_id::bigint - 74000000000)::int AS g),
        s AS (
            SELECT ct.id, ct.g,
                   CASE WHEN ct.g % 25 = 0 THEN 'open' WHEN ct.g % 100 = 1 THEN 'pending'
                        WHEN ct.g % 100 = 2 THEN 'snoozed' ELSE 'resolved' END AS status
              FROM ct)
        INSERT INTO conversations (tenant_id, number_id, contact_id, status, assigned_user_id,
                                   unread_count, last_message_at, last_inbound_at, resolved_at)
        SELECT $1, $3, s.id, s.status,
               CASE WHEN s.status = 'open' AND s.g % 50 = 0 THEN $4::uuid END,
               CASE WHEN s.status <> 'resolved' AND s.g % 3 = 0 THEN s.g % 5 + 1
                    WHEN s.g % 1000 = 7 THEN 2 ELSE 0 END,
               $5::timestamptz - make_interval(mins => s.g),
               $5::timestamptz - make_interval(mins => s.g * 7 % 43200),
               CASE WHEN s.status = 'resolved'
                    THEN $5::timestamptz - make_interval(mins => s.g) END
          FROM s
        """,
        tenant_id, CONVERSATIONS, number, agent, now,
    )  # fmt: skip
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    spacing = (now - day).total_seconds() / TODAY * 0.99
    await admin_conn.execute(
        """
        INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text,
                              status, created_at)
        SELECT $1, conv.ids[1 + g % cardinality(conv.ids)], d.direction, 'text', '{}'::jsonb,
               'm' || g,
               CASE WHEN d.direction = 'in' THEN 'received' WHEN g % 97 = 0 THEN 'failed'
                    ELSE 'read' END,
               CASE WHEN g <= $2 THEN $4::timestamptz - make_interval(secs => g * $6::float8)
                    ELSE $5::timestamptz - make_interval(secs => (g - $2) * 3) END
          FROM (SELECT array_agg(id ORDER BY id) AS ids FROM conversations
                 WHERE tenant_id = $1) AS conv,
               generate_series(1, $2 + $3::int) AS g,
               LATERAL (SELECT CASE WHEN g % 2 = 0 THEN 'in' ELSE 'out' END AS direction) d
        """,
        tenant_id, TODAY, YESTERDAY, now, day, spacing,
    )  # fmt: skip
    async with app_conn.transaction():
        await roll_up_tenant(app_conn, tenant_id, now - timedelta(minutes=5))
    await admin_conn.execute("VACUUM ANALYZE conversations, messages, report_quarters")


@pytest.mark.timeout(300)
async def test_stats_read_what_they_count(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant, settings: Settings
) -> None:
    tenant = await make_tenant()
    number = await insert_number(admin_conn, tenant.id, load_secret_box(settings))
    await seed_big_tenant(admin_conn, app_conn, tenant.id, tenant[Role.AGENT].id, number)
    for generic in (False, True):
        async with app_conn.transaction():
            await set_tenant(app_conn, tenant.id)
            plan = await explain(app_conn, db._STATS, NOW, generic=generic)
        # The live messages (about 700 rows: seven minutes), the non-resolved conversations
        # (1,500 spread over the table: a page each at worst) and the day's quarters, unread,
        # window and resolutions; the unbounded statement read every conversation and every
        # message of the day (3,082 buffers here, 130 ms, and more every hour of the day). The
        # tenant's quarters are few here (two days), so the planner may read them in a
        # sequential scan of a few pages; in production it's a range of their key. Alone it
        # reads 670-850 buffers; beside the whatsapp tests under -n 2, 1,231 (the tables and
        # their indexes are shared with other tests' tenants and dead rows), so the bound is
        # 1,500: still half of what the unbounded statement read, and that grew every hour.
        assert_bounded(
            plan,
            uses={
                "messages_created_idx", "messages_failed_idx", "conversations_status_idx",
                "conversations_unread_idx", "conversations_inbound_idx",
                "conversations_resolved_idx",
            },
            never_scans=("messages", "conversations"),
            max_blocks=1000,
        )  # fmt: skip
