"""The inbox stats (``db.stats``) equal plain counts of the tenant's rows, with the clock pinned
(the day's start matters): today's messages half from the report roll-up's quarters and half
after its watermark, failed sends on both sides of it and yesterday's, conversations resolved
today and before, and another tenant's rows, none of which count."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pytake_daemon.config import Settings
from pytake_daemon.conversations import db
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role
from pytake_daemon.reports.rollup import roll_up_tenant
from pytake_daemon.whatsapp import outbox_db
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.conversations.factories import insert_conversation, insert_message, insert_number

NOW = datetime(2026, 3, 10, 14, 7, tzinfo=UTC)
DAY = datetime(2026, 3, 10, tzinfo=UTC)

# What the statement replaced (every row of the tenant, the day's messages by created_at),
# with the pinned clock: the figures must not change.
_PLAIN = """
SELECT count(*) FILTER (WHERE status = 'open') AS open,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'snoozed') AS snoozed,
       count(*) FILTER (WHERE status = 'resolved' AND resolved_at >= $2::timestamptz) AS resolved,
       count(*) FILTER (WHERE status = 'open' AND assigned_user_id IS NULL) AS unassigned_open,
       count(*) FILTER (WHERE unread_count > 0) AS unread_conversations,
       coalesce(sum(unread_count), 0)::bigint AS unread_messages,
       count(*) FILTER (WHERE last_inbound_at > $3::timestamptz - interval '24 hours')
           AS window_open,
       (SELECT count(*) FROM messages m WHERE m.tenant_id = $1 AND m.created_at >= $2::timestamptz
           AND m.direction = 'in') AS messages_today_in,
       (SELECT count(*) FROM messages m WHERE m.tenant_id = $1 AND m.created_at >= $2::timestamptz
           AND m.direction = 'out') AS messages_today_out,
       (SELECT count(*) FROM messages m WHERE m.tenant_id = $1 AND m.created_at >= $2::timestamptz
           AND m.direction = 'out' AND m.status = 'failed') AS failed_today
  FROM conversations WHERE tenant_id = $1
"""


async def _activity(
    admin_conn: Connection, tenant_id: uuid.UUID, number: uuid.UUID, agent: uuid.UUID
) -> list[uuid.UUID]:
    """A small inbox: every status, unread, windows open and closed, resolutions today and
    yesterday, and messages yesterday, this morning and in the last minutes."""

    async def conv(**kwargs: Any) -> uuid.UUID:
        return await insert_conversation(admin_conn, tenant_id, number_id=number, **kwargs)

    convs = [
        await conv(unread_count=3, last_inbound_at=NOW - timedelta(hours=1)),
        await conv(assigned_user_id=agent, last_inbound_at=NOW - timedelta(hours=30)),
        await conv(status="pending", unread_count=1),
        await conv(status="snoozed", last_inbound_at=NOW - timedelta(hours=23)),
        await conv(status="resolved", unread_count=2, last_inbound_at=NOW - timedelta(hours=2)),
        await conv(status="resolved"),
    ]
    # Resolved at nine this morning, and yesterday at eleven at night.
    for conversation, at in (
        (convs[4], DAY + timedelta(hours=9)),
        (convs[5], DAY - timedelta(hours=1)),
    ):
        await admin_conn.execute(
            "UPDATE conversations SET resolved_at = $2 WHERE id = $1", conversation, at
        )
    a, b = convs[0], convs[1]
    times = [
        DAY - timedelta(hours=3), DAY - timedelta(microseconds=1), DAY, DAY + timedelta(hours=8),
        NOW - timedelta(minutes=20), NOW - timedelta(minutes=6), NOW - timedelta(minutes=1),
    ]  # fmt: skip
    for at in times:
        await insert_message(
            admin_conn, tenant_id, conversation_id=a, direction="in", created_at=at
        )  # fmt: skip
        await insert_message(
            admin_conn, tenant_id, conversation_id=b, direction="out", created_at=at
        )  # fmt: skip
        # A failed send with and without Meta's code, and one that was later delivered.
        await insert_message(
            admin_conn, tenant_id, conversation_id=b, direction="out", status="failed",
            error_code=131026, created_at=at,
        )  # fmt: skip
        await insert_message(
            admin_conn, tenant_id, conversation_id=b, direction="out", status="failed",
            created_at=at,
        )  # fmt: skip
        await insert_message(
            admin_conn, tenant_id, conversation_id=b, direction="out", status="delivered",
            error_code=131026, created_at=at,
        )  # fmt: skip
    return convs


async def test_stats_equal_plain_counts(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant, settings: Settings
) -> None:
    box = load_secret_box(settings)
    tenant, other = await make_tenant(), await make_tenant()
    number = await insert_number(admin_conn, tenant.id, box)
    convs = await _activity(admin_conn, tenant.id, number, tenant[Role.AGENT].id)
    number = await insert_number(admin_conn, other.id, box)
    await _activity(admin_conn, other.id, number, other[Role.AGENT].id)
    # Sends the status path failed (an UPDATE: the trigger sets failed_at), one of them later
    # delivered after all (which clears it: the index holds the failed messages only).
    for later in (None, "delivered"):
        sent = await insert_message(
            admin_conn, tenant.id, conversation_id=convs[1], direction="out",
            created_at=NOW - timedelta(minutes=2),
        )  # fmt: skip
        async with app_conn.transaction():
            await set_tenant(app_conn, tenant.id)
            await outbox_db.advance(app_conn, sent, "failed", NOW, explanation="Not on WhatsApp")
            if later is not None:
                await outbox_db.advance(app_conn, sent, later, NOW)
    failed_at = await admin_conn.fetch(
        "SELECT status FROM messages WHERE tenant_id = $1 AND failed_at IS NOT NULL"
        " AND created_at = $2 ORDER BY status",
        tenant.id, NOW - timedelta(minutes=2),
    )  # fmt: skip
    assert [r["status"] for r in failed_at] == ["failed"]
    async with app_conn.transaction():
        # The roll-up ran five minutes ago: its watermark is 14:00, so the messages of the last
        # seven minutes are live and the rest of today's are in its quarters.
        until = await roll_up_tenant(app_conn, tenant.id, NOW - timedelta(minutes=5))
    assert until == DAY + timedelta(hours=14)
    rolled_today = await admin_conn.fetchval(
        "SELECT sum(inbound + outbound) FROM report_quarters"
        " WHERE tenant_id = $1 AND quarter >= $2",
        tenant.id, DAY,
    )  # fmt: skip
    assert rolled_today == 3 * 5  # three instants today before 14:00, five messages each

    async with app_conn.transaction():
        await set_tenant(app_conn, tenant.id)
        got = dict(await db.stats(app_conn, NOW))
    plain = await admin_conn.fetchrow(_PLAIN, tenant.id, DAY, NOW)
    assert plain is not None
    want = dict(plain)
    assert got == want
    assert want == {
        "open": 2, "pending": 1, "snoozed": 1, "resolved": 1, "unassigned_open": 1,
        "unread_conversations": 3, "unread_messages": 6, "window_open": 3,
        "messages_today_in": 5, "messages_today_out": 22, "failed_today": 11,
    }  # fmt: skip

    # The other tenant was never rolled up: all of its day is live, and its figures are its own.
    async with app_conn.transaction():
        await set_tenant(app_conn, other.id)
        theirs = dict(await db.stats(app_conn, NOW))
    assert theirs == dict(await admin_conn.fetchrow(_PLAIN, other.id, DAY, NOW) or {})
    assert (theirs["messages_today_out"], theirs["failed_today"]) == (20, 10)
    # Tomorrow nothing of today counts; the conversations' states still do.
    async with app_conn.transaction():
        await set_tenant(app_conn, tenant.id)
        tomorrow = dict(await db.stats(app_conn, DAY + timedelta(days=1, minutes=1)))
    today_only = ("messages_today_in", "messages_today_out", "failed_today")
    assert [tomorrow[k] for k in today_only] == [0, 0, 0]
    assert (tomorrow["open"], tomorrow["resolved"]) == (2, 0)


async def test_resolving_sets_resolved_at(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant, settings: Settings
) -> None:
    """Every writer of ``status`` gets resolved_at (a trigger): resolved counts today, reopened
    doesn't, and a conversation resolved again is counted once."""
    tenant = await make_tenant()
    number = await insert_number(admin_conn, tenant.id, load_secret_box(settings))
    conversation = await insert_conversation(admin_conn, tenant.id, number_id=number)

    async def resolved_today(clock: datetime) -> int:
        async with app_conn.transaction():
            await set_tenant(app_conn, tenant.id)
            return int((await db.stats(app_conn, clock))["resolved"])

    async def resolve(status: str) -> datetime | None:
        """Set the status as the agents' route does; the row's resolved_at after it."""
        async with app_conn.transaction():
            await set_tenant(app_conn, tenant.id)
            assert await db.set_status(app_conn, conversation, status)
        # asyncpg types fetchval as Any; the column is timestamptz (a datetime or NULL).
        return await admin_conn.fetchval(  # type: ignore[no-any-return]
            "SELECT resolved_at FROM conversations WHERE id = $1", conversation
        )

    # The clock is the resolution's own time (the trigger's now()), so no midnight can fall
    # between the write and the read.
    first = await resolve("resolved")
    assert first is not None
    assert await resolved_today(first) == 1
    assert await resolved_today(first + timedelta(days=1)) == 0
    assert await resolve("open") == first  # kept, but no longer resolved
    assert await resolved_today(first) == 0
    again = await resolve("resolved")
    assert again is not None
    assert again >= first
    assert await resolved_today(again) == 1
