"""SQL of a thread's system lines (``conversation_events``, migration 0021): what happened to a
conversation — queued, assigned, transferred, closed, reopened, rated, note added, timed out.

Lines are written by whoever causes them, in their transaction, a batch per statement; the queue
transitions write theirs in the same statement as their history (``attendance/history.py``). They
are read next to the messages with the same keyset, (created_at, id), by
``conversation_events_thread_idx``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection
from pytake_daemon.db.statements import BoundStatement, Statement

EVENT_COLUMNS = """
    e.id, e.conversation_id, e.kind, e.created_at, e.detail,
    e.actor_id, (SELECT u.name FROM users u
                  WHERE u.tenant_id = e.tenant_id AND u.id = e.actor_id) AS actor_name,
    e.agent_id, (SELECT u.name FROM users u
                  WHERE u.tenant_id = e.tenant_id AND u.id = e.agent_id) AS agent_name,
    e.queue_id, (SELECT q.name FROM queues q
                  WHERE q.tenant_id = e.tenant_id AND q.id = e.queue_id) AS queue_name"""
"""What :func:`pytake_daemon.conversations.views.event_out` reads (``e``: the lines); names
by primary key (``users``, ``queues``)."""


@dataclass(frozen=True)
class Line:
    conversation_id: uuid.UUID
    kind: str
    actor_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    queue_id: uuid.UUID | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# Rows are inserted in the order given (ORDER BY the ordinality), each with its own
# clock_timestamp(), so lines written together keep their order in the thread.
_INSERT = f"""
WITH e AS (
    INSERT INTO conversation_events (tenant_id, conversation_id, kind, actor_id, agent_id,
                                     queue_id, detail)
    SELECT current_tenant_id(), l.conversation_id, l.kind, l.actor_id, l.agent_id, l.queue_id,
           l.detail
      FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::uuid[], $6::jsonb[])
           WITH ORDINALITY AS l (conversation_id, kind, actor_id, agent_id, queue_id, detail, n)
     ORDER BY l.n
    RETURNING *
)
SELECT {EVENT_COLUMNS} FROM e ORDER BY e.created_at, e.id
"""


async def add_lines(conn: Connection, lines: Sequence[Line]) -> list[asyncpg.Record]:
    """Write system lines (one statement); returns them as :data:`EVENT_COLUMNS` rows."""
    if not lines:
        return []
    return await conn.fetch(
        _INSERT,
        [x.conversation_id for x in lines],
        [x.kind for x in lines],
        [x.actor_id for x in lines],
        [x.agent_id for x in lines],
        [x.queue_id for x in lines],
        [x.detail for x in lines],
    )


# The span of one page of messages: lines older than the cursor (or any, on the first page)
# and not older than the page's oldest message (or any, on the last page). Both bounds are
# ranges of conversation_events_thread_idx. The statement holds only the bounds that are set
# (db/statements.py): with "$2 IS NULL OR …" bounds the generic plan kept neither in the index
# condition and walked a long conversation's lines from its newest (tests/conversations/
# test_plans_life.py: 680 buffers for a first page of 20,000 lines).
def span_statement(
    conversation_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> BoundStatement:
    st = Statement("e.tenant_id = current_tenant_id()")
    st.where("e.conversation_id = {}", conversation_id)
    if before is not None:
        st.where("(e.created_at, e.id) < ({}, {})", *before)
    if after is not None:
        st.where("(e.created_at, e.id) > ({}, {})", *after)
    return st.finish(
        f"SELECT {EVENT_COLUMNS} FROM conversation_events e WHERE {st.conditions}"
        f" ORDER BY e.created_at DESC, e.id DESC LIMIT {st.bind(limit)}"
    )


async def lines_in_span(
    conn: Connection,
    conversation_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """A conversation's lines between two keyset positions (exclusive), newest first."""
    sql, args = span_statement(conversation_id, before=before, after=after, limit=limit)
    return await conn.fetch(sql, *args)
