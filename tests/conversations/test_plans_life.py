"""Plans of the statements issue 17 added to the message path and the thread: the fan-out's
reopen claim (once per batch) is primary-key probes of the batch's conversations, and a page's
system lines are one range of ``conversation_events_thread_idx``, however long the tenant's
history or the conversation's (each page of a thread of 20,000 lines, with or without a
cursor); executed as the daemon's role under row-level security, custom and generic plans (see
tests/plans.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pytake_daemon.attendance import reopen
from pytake_daemon.config import Settings
from pytake_daemon.conversations import timeline_db
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.conversations.factories import insert_number, resolved_conversations
from tests.plans import assert_bounded, explain

CONVERSATIONS = 4000
LINES_EACH = 10
LONG = 20_000


async def test_reopen_claim_and_thread_lines_are_index_bounded(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant, settings: Settings
) -> None:
    tenant = await make_tenant()
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        number = await insert_number(admin_conn, tenant.id, load_secret_box(settings))
        ids = await resolved_conversations(
            admin_conn, tenant.id, number, CONVERSATIONS, wa_base=72_000_000_000
        )
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
        await admin_conn.execute(
            """
            INSERT INTO conversation_events (tenant_id, conversation_id, kind, created_at)
            SELECT $1, $2, 'note_added', $3::timestamptz - make_interval(mins => g)
              FROM generate_series(1, $4::int) AS g
            """,
            tenant.id,
            ids[8],
            datetime.now(UTC) - timedelta(seconds=30),
            LONG,
        )
    await admin_conn.execute("ANALYZE conversation_events")
    await admin_conn.execute("ANALYZE conversations")

    now = datetime.now(UTC)
    batch = sorted(ids[:5])
    tr = app_conn.transaction()
    await tr.start()
    try:
        await set_tenant(app_conn, tenant.id)
        failures: list[str] = []
        for generic in (False, True):
            plan = await explain(app_conn, reopen._CLAIM, batch, generic=generic)
            assert_bounded(
                plan,
                uses={("conversations_pkey", "conversations_tenant_id_id_key")},
                max_blocks=100,
            )
        # A thread's pages over a long-lived conversation (its lines: one a minute, newest
        # first): the first page (no cursor), a middle one, the last (no oldest message) and a
        # thread of one page; each reads its span, not the lines newer than its cursor (50
        # lines a page here; the daemon asks for 500).
        long, line = ids[8], timedelta(minutes=1)
        thread_idx = "conversation_events_thread_idx"
        zero = uuid.UUID(int=0)
        spans = {
            "first": (None, (now - 20 * line, zero)),
            "middle": ((now - 15_000 * line, zero), (now - 15_020 * line, zero)),
            "last": ((now - 19_000 * line, zero), None),
            "whole": (None, None),
        }
        for what, (before, after) in spans.items():
            sql, args = timeline_db.span_statement(long, before=before, after=after, limit=50)
            for generic in (False, True):
                plan = await explain(app_conn, sql, *args, generic=generic)
                assert_bounded(
                    plan,
                    uses={"conversation_events_thread_idx"},
                    never_scans=("conversation_events", "conversations"),
                    max_blocks=2_000,
                )
                # The lines' own reads, without the names' probes under the scan: those follow
                # the page's 50 lines, and users' statistics (a table of a few rows that other
                # tests' tenants grow) can make each a scan of users (573 buffers in a run).
                scan = next(n for n in plan.nodes() if n.get("Index Name") == thread_idx)
                own = _blocks(scan) - sum(_blocks(child) for child in scan.get("Plans", []))
                if own >= 100:
                    failures.append(f"generic={generic} {what}: {own} buffers")
        assert not failures, "\n".join(failures)
    finally:
        await tr.rollback()


def _blocks(node: dict[str, Any]) -> int:
    return int(node["Shared Hit Blocks"]) + int(node["Shared Read Blocks"])
