"""What the ingest fan-out's batch reads and writes once for all its customer messages, instead
of once a message: the conversations' flow locks, the messages' processed keys, and what routing
needs to know about each conversation (its contact, its active session, whether it waits in a
queue) plus which flow versions are published.

Per message this was six round trips (lock, conversation, processed key, session, queue, stamp);
for a batch it is two whatever its size. The lock is a statement of its own: a statement's
snapshot is taken before it starts, so reads in the statement that waited for the lock could
miss what the lock's previous holder committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pytake_daemon.db.pool import Connection
from pytake_daemon.flows.db import SESSION_COLUMNS
from pytake_daemon.flows.stepping import Row

# The namespace of `flows.db.lock_conversation`: the same lock, taken for many conversations.
_LOCK_CONVERSATIONS = """
SELECT count(pg_advisory_xact_lock(hashtextextended(c::text, 7305)))
  FROM (SELECT DISTINCT c FROM unnest($1::uuid[]) AS c ORDER BY c) AS keys
"""


async def lock_conversations(conn: Connection, conversation_ids: Sequence[uuid.UUID]) -> None:
    """Serialise flow work on these conversations, taking the locks in id order (as every
    batch does, so two batches never wait on each other in a cycle)."""
    await conn.execute(_LOCK_CONVERSATIONS, list(conversation_ids))


# Each conversation by primary key (`conversations_pkey` through the unnest), its contact by
# `contacts_pkey`, its active session by `flow_sessions_active_idx`, its waiting item by
# `queue_items_one_active_idx`; the processed keys by their primary key; the published stamp
# is an uncorrelated subquery, run once. Session columns carry an `s_` prefix (both tables
# have `id` and `status`).
_SESSION_SELECT = ", ".join(
    f"{column.strip()} AS s_{column.strip()[2:]}" for column in SESSION_COLUMNS.split(",")
)
_PREPARE = f"""
WITH marked AS (
    INSERT INTO flow_processed_messages (tenant_id, message_id, session_id)
    SELECT current_tenant_id(), m, NULL FROM unnest($2::uuid[]) AS m
    ON CONFLICT DO NOTHING
    RETURNING message_id)
SELECT c.id, c.status, c.assigned_user_id, c.last_inbound_at,
       ct.profile_name AS contact_profile_name, ct.wa_id AS contact_wa_id,
       EXISTS (SELECT 1 FROM queue_items q
                WHERE q.tenant_id = c.tenant_id AND q.conversation_id = c.id
                  AND q.status = 'waiting') AS waiting,
       {_SESSION_SELECT},
       (SELECT coalesce(array_agg(message_id), '{{}}') FROM marked) AS marked,
       (SELECT coalesce(array_agg(f.id::text || ':' || f.published_version ORDER BY f.id), '{{}}')
          FROM flows f
         WHERE f.tenant_id = current_tenant_id() AND f.published_version IS NOT NULL
           AND f.archived_at IS NULL) AS stamp
  FROM unnest($1::uuid[]) AS wanted (id)
  JOIN conversations c ON c.tenant_id = current_tenant_id() AND c.id = wanted.id
  JOIN contacts ct ON ct.tenant_id = c.tenant_id AND ct.id = c.contact_id
  LEFT JOIN flow_sessions s
         ON s.tenant_id = c.tenant_id AND s.conversation_id = c.id AND s.status = 'active'
"""  # noqa: S608 - a constant column list; values are bound
_MARK_ONLY = """
INSERT INTO flow_processed_messages (tenant_id, message_id, session_id)
SELECT current_tenant_id(), m, NULL FROM unnest($1::uuid[]) AS m
ON CONFLICT DO NOTHING
RETURNING message_id
"""


@dataclass(frozen=True)
class ConversationState:
    """What routing reads about a conversation, as it stood when the batch read it."""

    conversation: Row
    session: Row | None
    waiting: bool


@dataclass(frozen=True)
class Prepared:
    states: dict[uuid.UUID, ConversationState]
    marked: frozenset[uuid.UUID]
    """The messages this batch marked processed (the others were processed before)."""
    stamp: list[str] | None
    """The published flow versions (`PublishedFlows`' cache key); None when nothing was read."""


async def prepare(
    conn: Connection,
    conversation_ids: Sequence[uuid.UUID],
    message_ids: Sequence[uuid.UUID],
) -> Prepared:
    """Mark ``message_ids`` processed and read the state of ``conversation_ids`` (locked by the
    caller), in one round trip."""
    if not conversation_ids:
        marked = await conn.fetch(_MARK_ONLY, list(message_ids))
        return Prepared({}, frozenset(r["message_id"] for r in marked), None)
    rows = await conn.fetch(_PREPARE, list(conversation_ids), list(message_ids))
    if not rows:
        # None of the conversations exists any more: their messages' steps find them gone.
        return Prepared({}, frozenset(), None)
    states = {}
    for row in rows:
        session = (
            {key[2:]: value for key, value in row.items() if key.startswith("s_")}
            if row["s_id"] is not None
            else None
        )
        states[row["id"]] = ConversationState(row, session, row["waiting"])
    return Prepared(states, frozenset(rows[0]["marked"]), list(rows[0]["stamp"]))


_UNMARK = """
DELETE FROM flow_processed_messages WHERE tenant_id = current_tenant_id() AND message_id = $1
"""


async def unmark(conn: Connection, message_id: uuid.UUID) -> None:
    """Take back a batch's processed key for a message whose step failed (it is retried as a
    job of its own, which must find the message unprocessed)."""
    await conn.execute(_UNMARK, message_id)
