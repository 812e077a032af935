"""Plans of the statements issue 17 added to the message path and the thread: the fan-out's
reopen claim (once per batch) is primary-key probes of the batch's conversations, and a page's
system lines are one range of ``conversation_events_thread_idx``, however long the tenant's
history; executed as the daemon's role under row-level security, custom and generic plans
(see tests/plans.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pytake_daemon.attendance import reopen
from pytake_daemon.config import Settings
from pytake_daemon.conversations import timeline_db
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.conversations.factories import insert_number
from tests.plans import assert_bounded, explain

CONVERSATIONS = 4000
LINES_EACH = 10


async def test_reopen_claim_and_thread_lines_are_index_bounded(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant, settings: Settings
) -> None:
    tenant = await make_tenant()
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        number = await insert_number(admin_conn, tenant.id, load_secret_box(settings))
        ids: list[uuid.UUID] = [
            r["id"]
            for r in await admin_conn.fetch(
                """
                WITH c AS (
                    INSERT INTO contacts (tenant_id, wa_id)
                    SELECT $1, (72000000000 + g)::text FROM generate_series(1, $2::int) AS g
                    RETURNING id)
                INSERT INTO conversations (tenant_id, number_id, contact_id, status)
                SELECT $1, $3, c.id, 'resolved' FROM c
                RETURNING id
                """,
                tenant.id,
                CONVERSATIONS,
                number,
            )
        ]
        await admin_conn.execute(
            """
            INSERT INTO conversation_events (tenant_id, conversation_id, kind, created_at)
            SELECT $1, c, 'closed', $3::timestamptz - make_interval(mins => g)
              FROM unnest($2::uuid[]) AS c, generate_series(1, $4::int) AS g
            """,
            tenant.id,
            ids,
            datetime.now(UTC),
            LINES_EACH,
        )
    await admin_conn.execute("ANALYZE conversation_events")
    await admin_conn.execute("ANALYZE conversations")

    now = datetime.now(UTC)
    batch = sorted(ids[:5])
    tr = app_conn.transaction()
    await tr.start()
    try:
        await set_tenant(app_conn, tenant.id)
        for generic in (False, True):
            plan = await explain(app_conn, reopen._CLAIM, batch, generic=generic)
            assert_bounded(
                plan,
                uses={("conversations_pkey", "conversations_tenant_id_id_key")},
                max_blocks=100,
            )
            plan = await explain(
                app_conn,
                timeline_db._IN_SPAN,
                ids[7],
                now - timedelta(minutes=3),
                uuid.UUID(int=0),
                now - timedelta(minutes=20),
                uuid.UUID(int=0),
                500,
                generic=generic,
            )
            assert_bounded(
                plan,
                uses={"conversation_events_thread_idx"},
                never_scans=("conversation_events", "conversations"),
                max_blocks=100,
            )
    finally:
        await tr.rollback()
