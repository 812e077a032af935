"""Queue transitions: ``queue_history`` for the metrics and the monitor, the thread's system
lines (``conversation_events``, written by the same statement) and the audit log for who did it
(a user, the distribution policy, a flow's bot or the system), in the same transaction as the
change."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pytake_daemon.audit.entries import Actor, AuditDraft, append_entry, difference
from pytake_daemon.conversations.timeline_db import EVENT_COLUMNS
from pytake_daemon.conversations.views import event_out
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.protocol.audit import ActorType
from pytake_daemon.protocol.events import ConversationEventAdded

Transition = tuple[uuid.UUID, uuid.UUID, uuid.UUID, str, uuid.UUID | None, Any]
"""(item, queue, conversation, event, agent, detail), as :func:`record_history` takes them."""

# One statement: the transitions, and the system lines they make in their conversations'
# threads. An entry that is the second half of a move (``from_queue`` in its detail) adds no
# line: the move's own row says where it went; completed/abandoned items add none either
# (closing writes its own line, in or out of a queue), nor does entering on the way to a
# reopening or a direct assignment (each has its own line).
_RECORD = f"""
WITH h AS (
    INSERT INTO queue_history (tenant_id, item_id, queue_id, conversation_id, event, agent_id,
                               actor_id, detail, at)
    SELECT current_tenant_id(), h.item_id, h.queue_id, h.conversation_id, h.event, h.agent_id,
           $7, coalesce(h.detail, '{{}}'), $8
      FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::jsonb[])
           AS h (item_id, queue_id, conversation_id, event, agent_id, detail)
    RETURNING id, queue_id, conversation_id, event, agent_id, detail
), e AS (
    INSERT INTO conversation_events (tenant_id, conversation_id, kind, actor_id, agent_id,
                                     queue_id, detail)
    SELECT current_tenant_id(), h.conversation_id,
           CASE h.event WHEN 'entered' THEN
                            CASE WHEN h.detail->>'source' = 'transfer' THEN 'transferred'
                                 ELSE 'queued' END
                        WHEN 'reassigned' THEN 'transferred'
                        ELSE h.event END,
           $7, CASE WHEN h.event IN ('assigned', 'reassigned') THEN h.agent_id END,
           CASE WHEN h.event = 'transferred' THEN (h.detail->>'to_queue')::uuid
                ELSE h.queue_id END,
           CASE WHEN h.event = 'transferred' THEN
                    jsonb_build_object('from_queue', h.queue_id, 'from_agent', h.agent_id)
                WHEN h.event IN ('assigned', 'reassigned') THEN
                    jsonb_strip_nulls(jsonb_build_object(
                        'from_agent', h.detail->>'from_agent',
                        'override_capacity', h.detail->'override_capacity'))
                WHEN h.event = 'entered' THEN
                    jsonb_build_object('priority', h.detail->'priority',
                                       'source', h.detail->>'source')
                ELSE '{{}}'::jsonb END
      FROM h
     WHERE h.event IN ('assigned', 'reassigned', 'transferred', 'timed_out')
        OR (h.event = 'entered' AND NOT h.detail ? 'from_queue'
            AND coalesce(h.detail->>'source', '') NOT IN ('reopen', 'assign'))
     ORDER BY h.id
    RETURNING *
)
SELECT {EVENT_COLUMNS} FROM e ORDER BY e.created_at, e.id
"""  # noqa: S608 - a constant column list; values are bound


async def record_history(
    conn: Connection,
    entries: Sequence[Transition],
    *,
    actor_id: uuid.UUID | None,
    at: datetime,
) -> list[ConversationEventAdded]:
    """Write transitions and their system lines; returns the lines' events."""
    if not entries:
        return []
    columns = list(zip(*entries, strict=True))
    rows = await conn.fetch(_RECORD, *(list(c) for c in columns), actor_id, at)
    return [ConversationEventAdded(event=event_out(r)) for r in rows]


def _jsonable(entry: Transition) -> dict[str, Any]:
    item_id, queue_id, conversation_id, event, agent_id, detail = entry
    return {
        "event": event,
        "item_id": str(item_id),
        "queue_id": str(queue_id),
        "conversation_id": str(conversation_id),
        "agent_id": None if agent_id is None else str(agent_id),
        **({"detail": detail} if detail else {}),
    }


async def record(
    conn: Connection,
    entries: Sequence[Transition],
    *,
    at: datetime,
    actor_id: uuid.UUID | None = None,
    performed_by: ActorType = ActorType.SYSTEM,
    effects: Effects | None = None,
) -> None:
    """Write the transitions, their system lines (their events go to ``effects``) and one
    audit entry for them."""
    if not entries:
        return
    lines = await record_history(conn, entries, actor_id=actor_id, at=at)
    if effects is not None:
        effects.events.extend(lines)
    await append_entry(conn, audit_draft(entries, actor_id=actor_id, performed_by=performed_by))


def audit_draft(
    entries: Sequence[Transition],
    *,
    actor_id: uuid.UUID | None = None,
    performed_by: ActorType = ActorType.SYSTEM,
) -> AuditDraft:
    """The one audit entry for a set of transitions (a distribution batch is one entry, listing
    every assignment, so the tenant's chain lock is taken once per batch)."""
    actor = Actor(ActorType.USER, id=actor_id) if actor_id is not None else Actor(performed_by)
    events = sorted({e[3] for e in entries})
    action = f"queue.{events[0]}" if len(events) == 1 else "queue.transitions"
    target_id: str | None
    if len(entries) == 1:
        after = _jsonable(entries[0])
        target_type, target_id = "conversation", str(entries[0][2])
    else:
        after = {"transitions": [_jsonable(e) for e in entries]}
        queues = {e[1] for e in entries}
        target_type = "queue"
        target_id = str(next(iter(queues))) if len(queues) == 1 else None
    return AuditDraft(
        action=action,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        diff=difference(None, after),
    )
