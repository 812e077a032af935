"""Plans of a distribution pass's reads on a tenant with a long history (issue 16): the queue's
settings, the claim of its head and the audit chain's head stay index-bounded whatever the
number of items that ended in the queue and of audit entries behind them; executed as the
daemon's role under row-level security, custom and generic plans (tests/plans.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from pytake_daemon.attendance import items_db, queues_db
from pytake_daemon.audit import db as audit_db
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.conversations.factories import insert_number, resolved_conversations
from tests.plans import assert_bounded, explain

ENDED = 20_000
WAITING = 300
AUDIT_ENTRIES = 20_000


async def test_a_distribution_pass_reads_are_bounded_by_indexes(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant, settings: Settings
) -> None:
    tenant = await make_tenant()
    now = datetime.now(UTC)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        number = await insert_number(admin_conn, tenant.id, load_secret_box(settings))
        conversations = await resolved_conversations(
            admin_conn, tenant.id, number, ENDED + WAITING, wa_base=73_000_000_000
        )
        queue_id = await admin_conn.fetchval(
            "INSERT INTO queues (tenant_id, name) VALUES ($1, 'Suporte') RETURNING id", tenant.id
        )
        # A queue's history: every attendance it served ended (completed), a few wait now.
        await admin_conn.execute(
            """
            INSERT INTO queue_items (tenant_id, queue_id, conversation_id, priority, status,
                                     fallback_action, entered_at, ended_at)
            SELECT $1, $2, c, 0,
                   CASE WHEN n <= $4 THEN 'completed' ELSE 'waiting' END, 'keep_waiting',
                   $5::timestamptz - make_interval(mins => n::int),
                   CASE WHEN n <= $4 THEN $5::timestamptz - make_interval(secs => n::int) END
              FROM unnest($3::uuid[]) WITH ORDINALITY AS x (c, n)
            """,
            tenant.id,
            queue_id,
            conversations,
            ENDED,
            now,
        )
        # The audit chain's length does not matter to an append (the hashes are not checked
        # here: only the head is read).
        await admin_conn.execute(
            """
            INSERT INTO audit_entries (tenant_id, seq, at, actor_type, action, outcome,
                                       prev_hash, hash)
            SELECT $1, g, $3::timestamptz - make_interval(secs => $2 - g), 'policy',
                   'queue.assigned', 'success', decode(repeat('00', 32), 'hex'),
                   decode(repeat('11', 32), 'hex')
              FROM generate_series(1, $2::int) AS g
            """,
            tenant.id,
            AUDIT_ENTRIES,
            now,
        )
    for table in ("queue_items", "queues", "audit_entries", "audit_archives"):
        await admin_conn.execute(f"ANALYZE {table}")

    tr = app_conn.transaction()
    await tr.start()
    try:
        await set_tenant(app_conn, tenant.id)
        for generic in (False, True):
            settings_plan = await explain(
                app_conn, queues_db._QUEUE_SETTINGS, queue_id, generic=generic
            )
            # A handful of queues fit a page (a sequential scan here); their number grows with
            # tenants and configuration, never with history.
            assert_bounded(settings_plan, max_blocks=10)
            claim = await explain(app_conn, items_db._CLAIM_WAITING, queue_id, 25, generic=generic)
            assert_bounded(claim, uses={"queue_items_waiting_idx"}, max_blocks=150)
            # The same head audit_append reads under the chain's lock (migration 0051).
            head = await explain(app_conn, audit_db._HEAD, generic=generic)
            assert_bounded(head, uses={"audit_entries_pkey"}, max_blocks=20)
    finally:
        await tr.rollback()
