"""The notifications' SQL: each statement next to the one function that runs it, the connection
first so callers compose them in one tenant transaction. The index each one uses is named in
migration 0025 and in a comment here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.db.statements import BoundStatement, Statement
from pytake_daemon.protocol.notifications import (
    NotificationCategory,
    NotificationLink,
    NotificationOut,
    NotificationSeverity,
    UnreadCounts,
)

_COLUMNS = (
    "id, category, severity, title, body, link_kind, link_id, group_key, group_count, "
    "created_at, read_at"
)


@dataclass(frozen=True, slots=True)
class NewNotification:
    """One row to write (several with one ``group_key`` for one user are merged first)."""

    user_id: uuid.UUID
    category: NotificationCategory
    severity: NotificationSeverity
    title: str
    body: str = ""
    link: NotificationLink | None = None
    group_key: str | None = None
    count: int = 1
    email: str = "none"
    """'none' or 'pending'."""
    email_digest: bool = False
    many_title: str | None = None
    """The title once the unread group stands for several ({n} is the count)."""


def to_out(row: asyncpg.Record) -> NotificationOut:
    link = None
    if row["link_kind"] is not None:
        link = NotificationLink(kind=row["link_kind"], id=row["link_id"])
    return rows.of(NotificationOut, row, link=link)


# notifications_group_idx is the arbiter: an unread row with the key grows instead of a new one,
# retitled with its count in the same statement ("Ana: 3 new messages"). The severity keeps the
# highest seen; an e-mail already sent for the group is asked again. clock_timestamp(), not
# now(): rows written by one statement keep the order of their events in the list.
_UPSERT = f"""
WITH r AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::uuid[], $8::text[], $9::int[], $10::text[], $11::bool[], $12::text[])
           WITH ORDINALITY AS r (user_id, category, severity, title, body, link_kind, link_id,
                                 group_key, group_count, email_status, email_digest, many_title,
                                 ord)
)
INSERT INTO notifications AS n (tenant_id, user_id, category, severity, title, body, link_kind,
                                link_id, group_key, group_count, email_status, email_digest,
                                created_at)
SELECT current_tenant_id(), r.user_id, r.category, r.severity,
       CASE WHEN r.group_count > 1 AND r.many_title IS NOT NULL
            THEN left(replace(r.many_title, '{{n}}', r.group_count::text), 200)
            ELSE r.title END,
       r.body, r.link_kind, r.link_id, r.group_key, r.group_count, r.email_status,
       r.email_digest, clock_timestamp()
  FROM r ORDER BY r.ord
ON CONFLICT (tenant_id, user_id, group_key) WHERE read_at IS NULL AND group_key IS NOT NULL
DO UPDATE SET group_count = n.group_count + excluded.group_count,
              title = coalesce((SELECT left(replace(r.many_title, '{{n}}',
                                                    (n.group_count + excluded.group_count)::text),
                                            200)
                                  FROM r WHERE r.user_id = excluded.user_id
                                   AND r.group_key = excluded.group_key), excluded.title),
              body = excluded.body, created_at = clock_timestamp(),
              severity = CASE WHEN excluded.severity = 'urgent' OR n.severity = 'urgent'
                              THEN 'urgent'
                              WHEN excluded.severity = 'warning' OR n.severity = 'warning'
                              THEN 'warning' ELSE 'info' END,
              email_status = CASE WHEN n.email_status IN ('pending', 'sending')
                                  THEN n.email_status ELSE excluded.email_status END,
              email_digest = excluded.email_digest
RETURNING n.user_id, {_COLUMNS}
"""


async def upsert(
    conn: Connection, rows: Sequence[NewNotification]
) -> list[tuple[uuid.UUID, NotificationOut]]:
    """Write the rows (grouped ones grow their unread row); (user, notification) per row."""
    if not rows:
        return []
    records = await conn.fetch(
        _UPSERT,
        [r.user_id for r in rows],
        [r.category.value for r in rows],
        [r.severity.value for r in rows],
        [r.title for r in rows],
        [r.body for r in rows],
        [r.link.kind.value if r.link else None for r in rows],
        [r.link.id if r.link else None for r in rows],
        [r.group_key for r in rows],
        [r.count for r in rows],
        [r.email for r in rows],
        [r.email_digest for r in rows],
        [r.many_title for r in rows],
    )
    return [(rec["user_id"], to_out(rec)) for rec in records]


# notifications_user_recent_idx: the users' rows of the last minute.
_RECENT_COUNTS = """
SELECT user_id, count(*) AS n FROM notifications
 WHERE tenant_id = current_tenant_id() AND user_id = ANY($1::uuid[]) AND created_at > $2
 GROUP BY user_id
"""


async def recent_counts(
    conn: Connection, user_ids: Sequence[uuid.UUID], since: datetime
) -> dict[uuid.UUID, int]:
    rows = await conn.fetch(_RECENT_COUNTS, list(user_ids), since)
    return {r["user_id"]: r["n"] for r in rows}


# The list: notifications_user_recent_idx gives the order and the filters apply to its rows; the
# next pages put the cursor in the index condition. Unread only: notifications_unread_recent_idx
# (partial, in the page's order), so a page reads its own rows however long the history. The
# statement holds only the filters that are set: with optional "$n IS NULL OR …" filters the
# generic plan guessed one matching row and read a user's whole history (bitmap scan, sort).
def page_statement(
    user_id: uuid.UUID,
    *,
    category: str | None,
    severity: str | None,
    read: bool | None,
    since: datetime | None,
    until: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> BoundStatement:
    st = Statement("tenant_id = current_tenant_id()")
    st.where("user_id = {}", user_id)
    if read is not None:
        st.where("read_at IS NOT NULL" if read else "read_at IS NULL")
    if category is not None:
        st.where("category = {}", category)
    if severity is not None:
        st.where("severity = {}", severity)
    if since is not None:
        st.where("created_at >= {}", since)
    if until is not None:
        st.where("created_at < {}", until)
    if after is not None:
        st.where("(created_at, id) < ({}, {})", *after)
    return st.finish(
        f"SELECT {_COLUMNS} FROM notifications WHERE {st.conditions}"
        f" ORDER BY created_at DESC, id DESC LIMIT {st.bind(limit)}"
    )


async def page(conn: Connection, statement: BoundStatement) -> list[NotificationOut]:
    """The notifications a :func:`page_statement` selects."""
    return [to_out(r) for r in await conn.fetch(statement.sql, *statement.args)]


# notifications_unread_idx (index-only for the counts).
_UNREAD = """
SELECT category, count(*) AS n FROM notifications
 WHERE tenant_id = current_tenant_id() AND user_id = ANY($1::uuid[]) AND read_at IS NULL
 GROUP BY category
"""
_UNREAD_BY_USER = """
SELECT user_id, category, count(*) AS n FROM notifications
 WHERE tenant_id = current_tenant_id() AND user_id = ANY($1::uuid[]) AND read_at IS NULL
 GROUP BY user_id, category
"""


async def unread_counts(conn: Connection, user_id: uuid.UUID) -> UnreadCounts:
    rows = await conn.fetch(_UNREAD, [user_id])
    by_category = {r["category"]: r["n"] for r in rows}
    return UnreadCounts(total=sum(by_category.values()), by_category=by_category)


async def unread_counts_of(
    conn: Connection, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, UnreadCounts]:
    """Several users' counts in one statement (the fan-out's events carry them)."""
    found: dict[uuid.UUID, dict[Any, int]] = {u: {} for u in user_ids}
    for r in await conn.fetch(_UNREAD_BY_USER, list(user_ids)):
        found[r["user_id"]][r["category"]] = r["n"]
    return {u: UnreadCounts(total=sum(c.values()), by_category=c) for u, c in found.items()}


# notifications_pkey; the user's own rows only.
_SET_READ = """
UPDATE notifications SET read_at = CASE WHEN $3 THEN coalesce(read_at, now()) END
 WHERE tenant_id = current_tenant_id() AND user_id = $1 AND id = ANY($2::uuid[])
   AND (read_at IS NULL) = $3
RETURNING id
"""
# notifications_pkey for the ids the user owns; a row that went unread again leaves its group
# (another unread row may hold the key by now: that is the one that grows).
_SET_UNREAD = """
UPDATE notifications n SET read_at = NULL,
       group_key = CASE WHEN EXISTS (
           SELECT 1 FROM notifications o
            WHERE o.tenant_id = n.tenant_id AND o.user_id = n.user_id
              AND o.group_key = n.group_key AND o.read_at IS NULL) THEN NULL ELSE n.group_key END
 WHERE n.tenant_id = current_tenant_id() AND n.user_id = $1 AND n.id = ANY($2::uuid[])
   AND n.read_at IS NOT NULL
RETURNING n.id
"""


async def set_read(
    conn: Connection, user_id: uuid.UUID, ids: Sequence[uuid.UUID], read: bool
) -> list[uuid.UUID]:
    if read:
        rows = await conn.fetch(_SET_READ, user_id, list(ids), True)
    else:
        rows = await conn.fetch(_SET_UNREAD, user_id, list(ids))
    return [r["id"] for r in rows]


# notifications_unread_idx.
_READ_ALL = """
UPDATE notifications SET read_at = now()
 WHERE tenant_id = current_tenant_id() AND user_id = $1 AND read_at IS NULL
   AND ($2::text IS NULL OR category = $2)
"""


async def read_all(conn: Connection, user_id: uuid.UUID, category: str | None) -> int:
    status: str = await conn.execute(_READ_ALL, user_id, category)
    return int(status.rsplit(" ", 1)[-1])


_DELETE = """
DELETE FROM notifications
 WHERE tenant_id = current_tenant_id() AND user_id = $1 AND id = ANY($2::uuid[])
RETURNING id
"""


async def delete(conn: Connection, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(_DELETE, user_id, list(ids))]


_GET = f"""
SELECT {_COLUMNS} FROM notifications
 WHERE tenant_id = current_tenant_id() AND user_id = $1 AND id = $2
"""


async def get(
    conn: Connection, user_id: uuid.UUID, notification_id: uuid.UUID
) -> NotificationOut | None:
    row = await conn.fetchrow(_GET, user_id, notification_id)
    return None if row is None else to_out(row)
