"""The notifications' statements read a bounded number of pages whatever a user's history: each
executed plan on a user with 20,000 read notifications and 200 unread (another user of the
tenant with as many), as the daemon's role under row-level security, for the plan of the values
at hand and the generic plan. Counting unread rows is bounded by the unread ones (a partial
index), never by the history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.notifications import db, mail_db, retention
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.plans import assert_bounded, explain

HISTORY = 20_000
UNREAD = 200
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NEVER = ("notifications",)


async def _seed(admin_conn: Connection, make_tenant: MakeTenant) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = await make_tenant()
    for role in (Role.AGENT, Role.ADMIN):
        await admin_conn.execute(
            """
            INSERT INTO notifications (tenant_id, user_id, category, severity, title,
                                       created_at, read_at, group_key)
            SELECT $1, $2, (ARRAY['assignment', 'message', 'mention', 'transfer', 'ai_alert'])[
                       g % 5 + 1], 'info', 'n' || g,
                   $3::timestamptz - make_interval(secs => g * 60),
                   CASE WHEN g > $4 THEN $3::timestamptz END,
                   CASE WHEN g % 5 = 1 AND g <= $4 THEN 'reply:' || g END
              FROM generate_series(1, $5::int) AS g
            """,
            tenant.id, tenant[role].id, NOW, UNREAD, HISTORY + UNREAD,
        )  # fmt: skip
    await admin_conn.execute("VACUUM ANALYZE notifications")
    return tenant.id, tenant[Role.AGENT].id


@pytest.mark.timeout(300)
async def test_list_counts_claims_and_retention_use_their_indexes(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant_id, user = await _seed(admin_conn, make_tenant)
    cursor = (NOW - timedelta(hours=10), uuid.uuid4())
    recent, unread = "notifications_user_recent_idx", "notifications_unread_recent_idx"
    queries: list[tuple[str, tuple[object, ...], set[str | tuple[str, ...]]]] = [
        (*_page(user), {recent}),
        (*_page(user, after=cursor), {recent}),
        (*_page(user, category="mention", read=True, after=cursor), {recent}),
        (*_page(user, since=NOW - timedelta(days=3), until=NOW, after=cursor), {recent}),
        # Either unread index is bounded by the unread rows; with a category the counts' one
        # (tenant, user, category) and a sort of that category's unread rows may be cheaper.
        (*_page(user, category="mention", read=False), {(unread, "notifications_unread_idx")}),
        (*_page(user, severity="info", read=False, after=cursor), {unread}),
    ]
    queries += [
        (db._UNREAD, ([user],), {"notifications_unread_idx"}),
        # The last minute's rows: the user's (recent index) or the tenant's (created index),
        # both bounded by the minute; which one depends on statistics other tests' rows move.
        (db._RECENT_COUNTS, ([user], NOW - timedelta(minutes=1)),
         {("notifications_user_recent_idx", "notifications_created_idx")}),
    ]  # fmt: skip
    # (statement, arguments, indexes, buffers): marking all read writes each unread row and its
    # index entries (about 16 buffers a row here), bounded by the unread rows, not the history.
    writes: list[tuple[str, tuple[object, ...], set[str | tuple[str, ...]], int]] = [
        (db._READ_ALL, (user, None), {"notifications_unread_idx"}, UNREAD * 25),
        (mail_db._CLAIM_IMMEDIATE, (NOW, NOW - mail_db.LEASE, 200), {"notifications_email_idx"},
         300),
        (retention._PRUNE, (NOW - timedelta(days=90),), {"notifications_created_idx"}, 300),
    ]  # fmt: skip
    for generic in (False, True):
        for sql, args, uses in queries:
            async with app_conn.transaction():
                await set_tenant(app_conn, tenant_id)
                plan = await explain(app_conn, sql, *args, generic=generic)
            assert_bounded(plan, uses=uses, never_scans=NEVER, max_blocks=300)
        for sql, args, uses, limit in writes:
            # They really write under ANALYZE: rolled back.
            tr = app_conn.transaction()
            await tr.start()
            await set_tenant(app_conn, tenant_id)
            plan = await explain(app_conn, sql, *args, generic=generic)
            await tr.rollback()
            assert_bounded(plan, uses=uses, never_scans=NEVER, max_blocks=limit)


def _page(
    user: uuid.UUID,
    *,
    category: str | None = None,
    severity: str | None = None,
    read: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> tuple[str, tuple[object, ...]]:
    sql, args = db.page_statement(
        user, category=category, severity=severity, read=read, since=since, until=until,
        after=after, limit=51,
    )  # fmt: skip
    return sql, tuple(args)
