"""Queue transitions: ``queue_history`` for the metrics and the monitor, and the audit log for
who did it (a user, the distribution policy, a flow's bot or the system), in the same
transaction as the change."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pytake_daemon.audit.entries import Actor, AuditDraft, append_entry, difference
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.audit import ActorType
from pytake_daemon.queues import db

Transition = tuple[uuid.UUID, uuid.UUID, uuid.UUID, str, uuid.UUID | None, Any]
"""(item, queue, conversation, event, agent, detail), as ``db.record_history`` takes them."""


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
) -> None:
    """Write the transitions and one audit entry for them (a distribution batch is one entry,
    listing every assignment, so the chain lock is taken once per batch)."""
    if not entries:
        return
    await db.record_history(conn, entries, actor_id=actor_id, at=at)
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
    await append_entry(
        conn,
        AuditDraft(
            action=action,
            actor=actor,
            target_type=target_type,
            target_id=target_id,
            diff=difference(None, after),
        ),
    )
