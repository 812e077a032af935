"""SQL of the audit tables. Functions take a connection inside a tenant transaction.

Every statement names ``current_tenant_id()`` itself: the CLI may run them on the owner
connection, which bypasses row-level security.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.audit.chain import CHAINED_FIELDS, LATE_FIELDS
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.db.statements import BoundStatement, Statement
from pytake_daemon.protocol.audit import AuditCount, SecurityAlertOut

# A fixed first key keeps our advisory locks apart from other domains' (two-int form);
# audit_append (migration 0051) takes the same lock.
_LOCK_NAMESPACE = 0x61756474  # "audt"

_LOCK_CHAIN = "SELECT pg_advisory_xact_lock($1::int, hashtext(current_tenant_id()::text))"

# The chain's head: the newest entry, or where the last archive left off.
_HEAD = """
SELECT current_tenant_id() AS tenant_id, h.seq, h.hash
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (
      (SELECT seq, hash FROM audit_entries
        WHERE tenant_id = current_tenant_id() ORDER BY seq DESC LIMIT 1)
      UNION ALL
      (SELECT last_seq, last_hash FROM audit_archives
        WHERE tenant_id = current_tenant_id() ORDER BY last_seq DESC LIMIT 1)
      ORDER BY 1 DESC LIMIT 1
  ) AS h ON true
"""


async def lock_chain_head(conn: Connection) -> asyncpg.Record:
    """Hold the tenant's appends until the transaction ends (archiving, signing the head);
    returns the head.

    The lock is taken in its own statement so the head is read with a snapshot taken after the
    previous holder committed (READ COMMITTED gives each statement a fresh snapshot).
    """
    await conn.execute(_LOCK_CHAIN, _LOCK_NAMESPACE)
    row = await conn.fetchrow(_HEAD)
    assert row is not None
    if row["tenant_id"] is None:
        raise RuntimeError("audit entries need a tenant transaction")
    return row


# The entry's own fields (the ones the daemon knows), in audit_append's order; the function
# takes the tenant's chain lock, reads the head and inserts the chained entry in one call, so
# the lock is held from there to the commit only (migration 0051 says why).
APPENDED_FIELDS = tuple(n for n in CHAINED_FIELDS if n not in LATE_FIELDS)
_APPEND = f"""
SELECT tenant_id, seq, at, prev_hash, hash
  FROM audit_append({", ".join(f"${n}" for n in range(1, len(APPENDED_FIELDS) + 2))})
"""


async def append_entry(
    conn: Connection, entry: dict[str, Any], canonical: Sequence[bytes]
) -> asyncpg.Record:
    """Chain ``entry`` (its :data:`APPENDED_FIELDS`) onto the tenant's log; returns the values
    the database gave it: ``tenant_id``, ``seq``, ``at``, ``prev_hash`` and ``hash``.
    ``canonical`` is its canonical form in the four pieces :func:`chain.canonical_pieces`
    makes."""
    row = await conn.fetchrow(_APPEND, *(entry[n] for n in APPENDED_FIELDS), list(canonical))
    assert row is not None
    return row


# The chained fields, then the chain itself (the hash covers everything before it).
ENTRY_COLUMNS = (*CHAINED_FIELDS, "prev_hash", "hash")
_SELECT = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM audit_entries"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_statement(
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    target_type: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> BoundStatement:
    """Newest first; every filter is a bound parameter (the SQL text is fixed fragments)."""
    st = Statement("tenant_id = current_tenant_id()")
    if actor is not None:
        # An e-mail also finds the user's entries recorded with their id only (calls made
        # with a token carry no label): admins search people by e-mail.
        st.where(
            "(actor_id::text = {0} OR actor_label = {0} OR actor_id IN"
            " (SELECT id FROM users WHERE lower(email) = lower({0})))",
            actor,
        )
    if action is not None:
        if action.endswith("."):
            st.where("action LIKE {}", _escape_like(action) + "%")
        else:
            st.where("action = {}", action)
    if target is not None:
        st.where("target_id = {}", target)
    if target_type is not None:
        st.where("target_type = {}", target_type)
    if outcome is not None:
        st.where("outcome = {}", outcome)
    if since is not None:
        st.where("at >= {}", since)
    if until is not None:
        st.where("at < {}", until)
    if text is not None:
        st.where(
            "(action ILIKE {0} OR actor_label ILIKE {0} OR target_id ILIKE {0} OR route ILIKE {0})",
            "%" + _escape_like(text) + "%",
        )
    if before_seq is not None:
        st.where("seq < {}", before_seq)
    return st.finish(f"{_SELECT} WHERE {st.conditions} ORDER BY seq DESC LIMIT {st.bind(limit)}")


async def search_entries(conn: Connection, statement: BoundStatement) -> list[asyncpg.Record]:
    """The entries a :func:`search_statement` selects."""
    return await conn.fetch(statement.sql, *statement.args)


_GET = f"{_SELECT} WHERE tenant_id = current_tenant_id() AND id = $1"


async def get_entry(conn: Connection, entry_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_GET, entry_id)


# The export's window: audit_entries_at_idx, then the window's rows in chain order. The
# statement holds only the bounds that are set (db/statements.py): with "$1 IS NULL OR at >= $1"
# the generic plan walked the whole chain by seq for an hour's entries (834 buffers among
# 30,000; tests/audit/test_plans.py). A window open at the end is closed at 'infinity' (no
# entry is excluded): the generic plan then estimates a window, not a third of the log, which
# also walked the chain (1,102 buffers).
def range_statement(since: datetime | None, until: datetime | None) -> BoundStatement:
    st = Statement("tenant_id = current_tenant_id()")
    if since is not None:
        st.where("at >= {}", since)
    if until is not None:
        st.where("at < {}", until)
    elif since is not None:
        st.where("at < 'infinity'")
    return st.finish(f"{_SELECT} WHERE {st.conditions} ORDER BY seq")


async def iter_entries(
    conn: Connection, *, since: datetime | None = None, until: datetime | None = None
) -> AsyncIterator[asyncpg.Record]:
    """Entries in chain order with a server-side cursor (the caller's transaction)."""
    sql, args = range_statement(since, until)
    async for row in conn.cursor(sql, *args, prefetch=1000):
        yield row


_ANCHOR = """
SELECT last_seq, last_hash FROM audit_archives
 WHERE tenant_id = current_tenant_id() ORDER BY last_seq DESC LIMIT 1
"""


async def chain_anchor(conn: Connection) -> asyncpg.Record | None:
    """Where the online chain resumes after archiving, or ``None`` when it is whole."""
    return await conn.fetchrow(_ANCHOR)


_PREV_HASH_AT = """
SELECT prev_hash, seq FROM audit_entries
 WHERE tenant_id = current_tenant_id() AND ($1::timestamptz IS NULL OR at >= $1)
 ORDER BY seq LIMIT 1
"""


async def first_in_range(conn: Connection, since: datetime | None) -> asyncpg.Record | None:
    return await conn.fetchrow(_PREV_HASH_AT, since)


_COUNTS = """
SELECT date_trunc($1, at) AS bucket, count(*) AS count,
       count(*) FILTER (WHERE outcome <> 'success') AS failures
  FROM audit_entries
 WHERE tenant_id = current_tenant_id() AND at >= $2 AND at < $3
 GROUP BY 1 ORDER BY 1
"""


async def counts(
    conn: Connection, bucket: str, since: datetime, until: datetime
) -> list[AuditCount]:
    return rows.many(AuditCount, await conn.fetch(_COUNTS, bucket, since, until))


# Each action's count in [start, end) and in the same window 1..weeks weeks earlier.
_WEEKLY_WINDOWS = """
SELECT e.action, w.k AS weeks_ago, count(*) AS count
  FROM generate_series(0, $3::int) AS w(k)
  JOIN audit_entries e
    ON e.tenant_id = current_tenant_id()
   AND e.at >= $1::timestamptz - make_interval(weeks => w.k)
   AND e.at < $2::timestamptz - make_interval(weeks => w.k)
 GROUP BY e.action, w.k
"""


async def weekly_windows(
    conn: Connection, start: datetime, end: datetime, weeks: int
) -> list[asyncpg.Record]:
    return await conn.fetch(_WEEKLY_WINDOWS, start, end, weeks)


# --- evidence for the alert rules -------------------------------------------------------------

_RECENT_IDS = """
SELECT id FROM audit_entries
 WHERE tenant_id = current_tenant_id() AND action = ANY($1::text[]) AND at >= $2
   AND ($3::text IS NULL OR target_id = $3)
   AND ($4::text IS NULL OR ip = $4)
   AND ($5::uuid IS NULL OR actor_id = $5)
 ORDER BY seq DESC LIMIT 100
"""


async def recent_entry_ids(
    conn: Connection,
    actions: Sequence[str],
    since: datetime,
    *,
    target_id: str | None = None,
    ip: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    found = await conn.fetch(_RECENT_IDS, list(actions), since, target_id, ip, actor_id)
    return [row["id"] for row in found]


# A user's earlier successful logins: how many, how many from this IP, and how many within an
# hour of this time of day (UTC hours, compared on a 24-hour circle).
_LOGIN_HISTORY = """
SELECT count(*) AS logins,
       count(*) FILTER (WHERE ip = $3) AS from_ip,
       count(*) FILTER (WHERE least(abs(extract(hour FROM at AT TIME ZONE 'UTC') - $4),
                                    24 - abs(extract(hour FROM at AT TIME ZONE 'UTC') - $4)) <= 1)
           AS near_hour
  FROM audit_entries
 WHERE tenant_id = current_tenant_id() AND action = 'auth.login' AND outcome = 'success'
   AND actor_id = $1 AND at >= $2 AND id <> $5
"""


async def login_history(
    conn: Connection,
    user_id: uuid.UUID,
    since: datetime,
    ip: str | None,
    hour: int,
    exclude: uuid.UUID,
) -> asyncpg.Record:
    row = await conn.fetchrow(_LOGIN_HISTORY, user_id, since, ip, hour, exclude)
    assert row is not None
    return row


_INSERT_ALERT = """
INSERT INTO security_alerts (tenant_id, kind, severity, subject, summary, entry_ids, dedupe_key)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
RETURNING id, at, kind, severity, subject, summary, entry_ids
"""


async def insert_alert(
    conn: Connection,
    *,
    kind: str,
    severity: str,
    subject: str,
    summary: str,
    entry_ids: Sequence[uuid.UUID],
    dedupe_key: str,
) -> SecurityAlertOut | None:
    """The new alert, or ``None`` when the same burst already raised one."""
    row = await conn.fetchrow(
        _INSERT_ALERT, kind, severity, subject, summary, list(entry_ids), dedupe_key
    )
    return rows.one(SecurityAlertOut, row)


_LIST_ALERTS = """
SELECT id, at, kind, severity, subject, summary, entry_ids FROM security_alerts
 WHERE tenant_id = current_tenant_id() ORDER BY at DESC LIMIT $1
"""


async def list_alerts(conn: Connection, limit: int) -> list[SecurityAlertOut]:
    return rows.many(SecurityAlertOut, await conn.fetch(_LIST_ALERTS, limit))


# --- checkpoints and archives -----------------------------------------------------------------

_INSERT_CHECKPOINT = """
INSERT INTO audit_checkpoints (tenant_id, seq, hash, signed_at, public_key, signature)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, seq) DO NOTHING
"""


async def insert_checkpoint(
    conn: Connection,
    *,
    seq: int,
    hash_: bytes,
    signed_at: datetime,
    public_key: bytes,
    signature: bytes,
) -> None:
    await conn.execute(_INSERT_CHECKPOINT, seq, hash_, signed_at, public_key, signature)


_CHECKPOINTS = """
SELECT seq, hash, signed_at, public_key, signature FROM audit_checkpoints
 WHERE tenant_id = current_tenant_id() ORDER BY seq
"""


async def list_checkpoints(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(_CHECKPOINTS)


_LAST_BEFORE = """
SELECT seq, hash FROM audit_entries
 WHERE tenant_id = current_tenant_id() AND at < $1 ORDER BY seq DESC LIMIT 1
"""


async def last_entry_before(conn: Connection, before: datetime) -> asyncpg.Record | None:
    return await conn.fetchrow(_LAST_BEFORE, before)


_INSERT_ARCHIVE = """
INSERT INTO audit_archives (tenant_id, first_seq, last_seq, last_hash, file_name, file_sha256)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5)
"""

# Only the owner role may delete (the daemon has no grant), and only with the trigger's
# archiving switch on, set LOCAL to this transaction.
_ALLOW_ARCHIVE_DELETE = "SELECT set_config('pytake.audit_archiving', 'on', true)"
_DELETE_UP_TO = "DELETE FROM audit_entries WHERE tenant_id = current_tenant_id() AND seq <= $1"


async def remove_archived(
    conn: Connection,
    *,
    first_seq: int,
    last_seq: int,
    last_hash: bytes,
    file_name: str,
    file_sha256: str,
) -> int:
    """Record the archive and delete the entries it holds; returns how many were deleted."""
    await conn.execute(_INSERT_ARCHIVE, first_seq, last_seq, last_hash, file_name, file_sha256)
    await conn.execute(_ALLOW_ARCHIVE_DELETE)
    status = await conn.execute(_DELETE_UP_TO, last_seq)
    return int(status.split()[-1])
