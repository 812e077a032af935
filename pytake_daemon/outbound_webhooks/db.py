"""SQL of ``webhook_endpoints`` and ``webhook_deliveries`` (migration 0033).

Functions take a connection inside a tenant transaction, except the two cross-tenant calls
(:func:`subscriptions`, :func:`claim`), SECURITY DEFINER functions of the migration. Every
statement names ``current_tenant_id()`` itself, whoever's connection runs it. The index each one
relies on is named beside it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.db.statements import BoundStatement, Statement
from pytake_daemon.protocol.outbound_webhooks import EndpointOut

_ENDPOINT_COLUMNS = """e.id, e.url, e.description, e.event_types, e.enabled, e.disabled_reason,
    e.previous_secret_until, e.created_at, e.updated_at"""

# The counts probe webhook_deliveries_lane_idx (pending, by endpoint) and
# webhook_deliveries_dead_idx (dead, by tenant; filtered by endpoint).
_COUNTS = """(SELECT count(*) FROM webhook_deliveries d
               WHERE d.endpoint_id = e.id AND d.state = 'pending') AS pending,
    (SELECT count(*) FROM webhook_deliveries d
      WHERE d.tenant_id = current_tenant_id() AND d.state = 'dead' AND d.endpoint_id = e.id)
      AS dead"""

_INSERT_ENDPOINT = f"""
INSERT INTO webhook_endpoints AS e (tenant_id, url, description, event_types, secret_enc,
                                    created_by, created_at, updated_at)
VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $6)
RETURNING {_ENDPOINT_COLUMNS}, 0::bigint AS pending, 0::bigint AS dead
"""


async def insert_endpoint(
    conn: Connection,
    *,
    url: str,
    description: str,
    event_types: Sequence[str],
    secret_enc: bytes,
    created_by: uuid.UUID | None,
    now: datetime,
) -> EndpointOut:
    row = await conn.fetchrow(
        _INSERT_ENDPOINT, url, description, list(event_types), secret_enc, created_by, now
    )
    assert row is not None
    return rows.of(EndpointOut, row)


# webhook_endpoints_tenant_idx
_LIST_ENDPOINTS = f"""
SELECT {_ENDPOINT_COLUMNS}, {_COUNTS} FROM webhook_endpoints e
 WHERE e.tenant_id = current_tenant_id() ORDER BY e.created_at, e.id
"""


async def list_endpoints(conn: Connection) -> list[EndpointOut]:
    return rows.many(EndpointOut, await conn.fetch(_LIST_ENDPOINTS))


# webhook_endpoints_pkey
_GET_ENDPOINT = f"""
SELECT {_ENDPOINT_COLUMNS}, {_COUNTS} FROM webhook_endpoints e
 WHERE e.tenant_id = current_tenant_id() AND e.id = $1
"""


async def get_endpoint(conn: Connection, endpoint_id: uuid.UUID) -> EndpointOut | None:
    return rows.one(EndpointOut, await conn.fetchrow(_GET_ENDPOINT, endpoint_id))


_UPDATE_ENDPOINT = """
UPDATE webhook_endpoints
   SET event_types = coalesce($2, event_types), description = coalesce($3, description),
       enabled = coalesce($4, enabled),
       disabled_reason = CASE WHEN $4 IS NULL THEN disabled_reason
                              WHEN $4 THEN NULL ELSE $5 END,
       updated_at = $6
 WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING id
"""


async def update_endpoint(
    conn: Connection,
    endpoint_id: uuid.UUID,
    *,
    event_types: Sequence[str] | None,
    description: str | None,
    enabled: bool | None,
    disabled_reason: str | None,
    now: datetime,
) -> bool:
    types = None if event_types is None else list(event_types)
    found = await conn.fetchval(
        _UPDATE_ENDPOINT, endpoint_id, types, description, enabled, disabled_reason, now
    )
    return found is not None


_DISABLE = """
UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = $3
 WHERE tenant_id = current_tenant_id() AND id = $1 AND enabled
RETURNING url
"""


async def disable_endpoint(
    conn: Connection, endpoint_id: uuid.UUID, reason: str, now: datetime
) -> str | None:
    """Disable an enabled endpoint; its URL, or None when it was already disabled."""
    url: str | None = await conn.fetchval(_DISABLE, endpoint_id, reason[:500], now)
    return url


_DELETE_ENDPOINT = """
DELETE FROM webhook_endpoints WHERE tenant_id = current_tenant_id() AND id = $1 RETURNING url
"""


async def delete_endpoint(conn: Connection, endpoint_id: uuid.UUID) -> str | None:
    url: str | None = await conn.fetchval(_DELETE_ENDPOINT, endpoint_id)
    return url


_ROTATE = """
UPDATE webhook_endpoints
   SET previous_secret_enc = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE secret_enc END,
       previous_secret_until = $3, secret_enc = $2, updated_at = $4
 WHERE tenant_id = current_tenant_id() AND id = $1
RETURNING id
"""


async def rotate_secret(
    conn: Connection,
    endpoint_id: uuid.UUID,
    secret_enc: bytes,
    previous_until: datetime | None,
    now: datetime,
) -> bool:
    found = await conn.fetchval(_ROTATE, endpoint_id, secret_enc, previous_until, now)
    return found is not None


# Cross-tenant, ids and types only (SECURITY DEFINER): the listener's filter.
_SUBSCRIPTIONS = "SELECT tenant_id, endpoint_id, event_types FROM webhook_subscriptions()"


async def subscriptions(conn: Connection) -> list[asyncpg.Record]:
    return list(await conn.fetch(_SUBSCRIPTIONS))


# One statement per tenant per gathering pass: each event times the enabled endpoints that
# want it (webhook_endpoints_tenant_idx; the table is tiny). Rows are numbered (seq) in event
# order, which is the order of each lane.
_INSERT_DELIVERIES = """
INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, conversation_id,
                                body, next_attempt_at, created_at)
SELECT current_tenant_id(), w.id, e.event_id, e.event_type, e.conversation_id, e.body, $5, $5
  FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[])
           WITH ORDINALITY AS e (event_id, event_type, conversation_id, body, n)
  JOIN webhook_endpoints w ON w.tenant_id = current_tenant_id() AND w.enabled
                          AND e.event_type = ANY (w.event_types)
 ORDER BY e.n, w.id
"""


async def insert_deliveries(
    conn: Connection,
    events: Sequence[tuple[uuid.UUID, str, uuid.UUID | None, str]],
    now: datetime,
) -> int:
    """Queue (event id, type, conversation, body) for every endpoint that wants it."""
    if not events:
        return 0
    ids, types, conversations, bodies = (list(column) for column in zip(*events, strict=True))
    status: str = await conn.execute(_INSERT_DELIVERIES, ids, types, conversations, bodies, now)
    return int(status.rsplit(" ", 1)[-1])


# Which of these messages are their conversation's first: one probe of messages_thread_idx each.
_FIRST_MESSAGES = """
SELECT u.message_id FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[])
           AS u (message_id, conversation_id, created_at)
 WHERE NOT EXISTS (SELECT 1 FROM messages m
                    WHERE m.tenant_id = current_tenant_id()
                      AND m.conversation_id = u.conversation_id
                      AND (m.created_at, m.id) < (u.created_at, u.message_id))
"""


async def first_messages(
    conn: Connection, candidates: Sequence[tuple[uuid.UUID, uuid.UUID, datetime]]
) -> set[uuid.UUID]:
    """The ids among (message, conversation, created_at) that open their conversation."""
    if not candidates:
        return set()
    ids, conversations, times = (list(c) for c in zip(*candidates, strict=True))
    found = await conn.fetch(_FIRST_MESSAGES, ids, conversations, times)
    return {r["message_id"] for r in found}


# webhook_deliveries_due_idx (the due rows in order), webhook_deliveries_lane_idx (the head of
# each lane), webhook_deliveries_pkey (the lease), webhook_endpoints_pkey (URL and secrets).
_CLAIM = "SELECT * FROM claim_webhook_deliveries($1, $2, $3, $4)"


async def claim(
    conn: Connection,
    now: datetime,
    limit: int,
    lease_seconds: float,
    busy: Sequence[uuid.UUID],
) -> list[asyncpg.Record]:
    return list(await conn.fetch(_CLAIM, now, limit, lease_seconds, list(busy)))


# The results, by primary key. A row dead-lettered while its try was in flight stays dead
# unless that try succeeded (then it was delivered, whatever else happened).
_DELIVERED = """
UPDATE webhook_deliveries
   SET state = 'delivered', delivered_at = $2, last_attempt_at = $2, last_status = $3,
       last_error = NULL, locked_until = NULL, dead_at = NULL
 WHERE tenant_id = current_tenant_id() AND id = $1
"""


async def mark_delivered(
    conn: Connection, delivery_id: uuid.UUID, now: datetime, status: int
) -> None:
    await conn.execute(_DELIVERED, delivery_id, now, status)


_RETRY = """
UPDATE webhook_deliveries
   SET next_attempt_at = $2, locked_until = NULL, last_attempt_at = $3, last_status = $4,
       last_error = $5
 WHERE tenant_id = current_tenant_id() AND id = $1 AND state = 'pending'
RETURNING endpoint_id, conversation_id, seq
"""

# The rest of its conversation's line waits as long as the head: not due before it, so the
# claim's scan of webhook_deliveries_due_idx doesn't step over a blocked line on every pass
# (an endpoint down for hours would otherwise make each claim read its whole backlog). Rows
# that join the line later are due until the head's next failure moves them too.
# webhook_deliveries_lane_idx.
_HOLD_LANE = """
UPDATE webhook_deliveries
   SET next_attempt_at = $4
 WHERE tenant_id = current_tenant_id() AND endpoint_id = $1 AND conversation_id = $2
   AND state = 'pending' AND seq > $3 AND next_attempt_at < $4
"""


async def mark_retry(
    conn: Connection,
    delivery_id: uuid.UUID,
    *,
    next_attempt_at: datetime,
    now: datetime,
    status: int | None,
    error: str,
) -> None:
    row = await conn.fetchrow(_RETRY, delivery_id, next_attempt_at, now, status, error[:500])
    if row is not None and row["conversation_id"] is not None:
        await conn.execute(
            _HOLD_LANE, row["endpoint_id"], row["conversation_id"], row["seq"], next_attempt_at
        )


_DEAD = """
UPDATE webhook_deliveries
   SET state = 'dead', dead_at = $2, last_attempt_at = $2, last_status = $3, last_error = $4,
       locked_until = NULL
 WHERE tenant_id = current_tenant_id() AND id = $1 AND state = 'pending'
"""


async def mark_dead(
    conn: Connection, delivery_id: uuid.UUID, now: datetime, status: int | None, error: str
) -> None:
    await conn.execute(_DEAD, delivery_id, now, status, error[:500])


# webhook_deliveries_lane_idx (pending rows of one endpoint).
_DEAD_LETTER_PENDING = """
UPDATE webhook_deliveries
   SET state = 'dead', dead_at = $2, last_error = $3, locked_until = NULL
 WHERE tenant_id = current_tenant_id() AND endpoint_id = $1 AND state = 'pending'
"""


async def dead_letter_pending(
    conn: Connection, endpoint_id: uuid.UUID, now: datetime, reason: str
) -> int:
    """Every pending delivery of a disabled endpoint becomes a dead letter (replayable)."""
    status: str = await conn.execute(_DEAD_LETTER_PENDING, endpoint_id, now, reason[:500])
    return int(status.rsplit(" ", 1)[-1])


_DELIVERY_COLUMNS = """d.id, d.endpoint_id, d.event_id, d.event_type, d.conversation_id,
    d.state, d.attempts, d.created_at, d.next_attempt_at, d.last_attempt_at, d.last_status,
    d.last_error, d.delivered_at, d.dead_at, d.replay_of"""

# webhook_deliveries_dead_idx
_DEAD_LETTERS = f"""
SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries d
 WHERE d.tenant_id = current_tenant_id() AND d.state = 'dead'
 ORDER BY d.dead_at DESC, d.seq DESC LIMIT $1
"""

# The consoles' lists hold only the filters that are set (db/statements.py). One endpoint:
# webhook_deliveries_recent_idx, or for its dead letters webhook_deliveries_endpoint_dead_idx
# (0046: under "$2 IS NULL OR state = $2" both plans walked the endpoint's delivered history
# to find them). The state is a constant fragment so the partial index matches in the generic
# plan too. Every endpoint: the recent index once per endpoint, merged.
_STATES = {s: f"d.state = '{s}'" for s in ("pending", "delivered", "dead")}
_ORDER = "ORDER BY d.created_at DESC, d.seq DESC LIMIT {limit}"
_BY_ENDPOINT = f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE {{where}} {_ORDER}"
_RECENT = f"""
SELECT r.* FROM webhook_endpoints e,
       LATERAL (SELECT {_DELIVERY_COLUMNS}, d.seq FROM webhook_deliveries d
                 WHERE {{where}} {_ORDER}) r
 WHERE e.tenant_id = current_tenant_id()
 ORDER BY r.created_at DESC, r.seq DESC LIMIT {{limit}}
"""


def deliveries_statement(
    *, endpoint_id: uuid.UUID | None, state: str | None, limit: int
) -> BoundStatement:
    st = Statement("d.tenant_id = current_tenant_id()")
    if endpoint_id is not None:
        st.where("d.endpoint_id = {}", endpoint_id)
    else:
        st.where("d.endpoint_id = e.id")
    if state is not None:
        st.where(_STATES[state])
    shape = _RECENT if endpoint_id is None else _BY_ENDPOINT
    return st.finish(shape.format(where=st.conditions, limit=st.bind(limit)))


async def list_deliveries(
    conn: Connection, *, endpoint_id: uuid.UUID | None, state: str | None, limit: int
) -> list[asyncpg.Record]:
    if endpoint_id is None and state == "dead":
        return list(await conn.fetch(_DEAD_LETTERS, limit))
    sql, args = deliveries_statement(endpoint_id=endpoint_id, state=state, limit=limit)
    return list(await conn.fetch(sql, *args))


# webhook_deliveries_pkey
_GET_DELIVERY = f"""
SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries d
 WHERE d.tenant_id = current_tenant_id() AND d.id = $1
"""


async def get_delivery(conn: Connection, delivery_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_GET_DELIVERY, delivery_id)


# A new row with the same event and bytes, at the end of its lane (webhook_deliveries_pkey).
_REPLAY = f"""
INSERT INTO webhook_deliveries AS d (tenant_id, endpoint_id, event_id, event_type,
                                     conversation_id, body, next_attempt_at, created_at,
                                     replay_of)
SELECT o.tenant_id, o.endpoint_id, o.event_id, o.event_type, o.conversation_id, o.body, $2, $2,
       o.id
  FROM webhook_deliveries o
 WHERE o.tenant_id = current_tenant_id() AND o.id = $1
RETURNING {_DELIVERY_COLUMNS}
"""


async def replay(conn: Connection, delivery_id: uuid.UUID, now: datetime) -> asyncpg.Record:
    row = await conn.fetchrow(_REPLAY, delivery_id, now)
    assert row is not None
    return row
