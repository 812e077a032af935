"""Entering a queue (the flows' transfer, the API, a reopening), with the diversions on the way
(overflow, out of hours). What the item rules share (fallbacks, deadlines, telling the customer,
item events) is in ``items.py``; manual moves are in ``moves.py``, the end of an attendance and
timeouts in ``endings.py``, what a waiting customer is told in ``announce.py``.

Every function works in the caller's tenant transaction and records what must happen after the
commit in an :class:`Effects`; callers publish the events and wake the sender and distributors
(``QueueRuntime.after_commit``). Automatic distribution lives in ``distribution.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pytake_daemon.attendance import customer, history, items_db, queues_db
from pytake_daemon.attendance.hours import is_open
from pytake_daemon.attendance.items import fallback_for, tell, wait_deadline
from pytake_daemon.attendance.views import item_out
from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.errors import Conflict, NotFound
from pytake_daemon.protocol.audit import ActorType
from pytake_daemon.protocol.queues import (
    QueueItemChanged,
    Transition,
)

# How many queues a diversion may chain through (overflow → out of hours → …) before refusing.
_MAX_DIVERSIONS = 3


Outcome = Literal["entered", "already_queued", "rejected"]


@dataclass(frozen=True)
class EnqueueResult:
    outcome: Outcome
    """``entered``: a new waiting item; ``already_queued``: the conversation already had an
    active item (returned as is); ``rejected``: every queue on the way was full."""
    item_id: uuid.UUID | None
    queue_id: uuid.UUID
    """Where the item is (after any diversion), or the queue that refused it."""
    position: int | None


def _queue_uuid(queue_id: uuid.UUID | str) -> uuid.UUID:
    if isinstance(queue_id, uuid.UUID):
        return queue_id
    try:
        return uuid.UUID(queue_id)
    except ValueError:
        raise NotFound(f"no such queue {queue_id!r}") from None


async def enqueue(
    conn: Connection,
    *,
    conversation_id: uuid.UUID,
    queue_id: uuid.UUID | str,
    priority: int = 0,
    message: str = "",
    wait_timeout_minutes: int | None = None,
    fallback_action: str | None = None,
    source: str = "api",
    now: datetime | None = None,
    effects: Effects | None = None,
    actor_id: uuid.UUID | None = None,
) -> EnqueueResult:
    """Put a conversation in a queue (the flows' ``action_transfer_to_queue``), in the caller's
    tenant transaction.

    Args:
        priority: 0 normal, 1 high, 2 urgent.
        message: sent to the customer on entry instead of the queue's welcome message ("" keeps
            the queue's; the flows send the node's own message themselves, so they pass "").
        wait_timeout_minutes: overrides the queue's ``max_wait_minutes``.
        fallback_action: on timeout; the flows' ``close``/``keep_waiting``/``return_to_bot``
            or this module's ``abandon``/``move``/``start_flow``; ``None`` (or the flows'
            ``queue``) takes the queue's ``timeout_action``.
        source: who asked (``flow``, ``api``, ``transfer``…), kept on the item.
        effects: collects events and wake-ups to act on after the commit; without it, the
            periodic sweep distributes the item (and welcomes it, if it must wait) within
            ``queues.sweep_seconds``.
        actor_id: the user who put it there (a supervisor's transfer), for the history.

    Raises NotFound for an unknown queue or conversation, Conflict for an inactive queue.
    """
    now = now or datetime.now(UTC)
    effects = effects if effects is not None else Effects()
    if not 0 <= priority <= 2:
        raise Conflict(f"priority is 0, 1 or 2, not {priority}")
    if not await conversations_db.conversation_exists(conn, conversation_id):
        raise NotFound("no such conversation")
    existing = await items_db.lock_active_item_of(conn, conversation_id)
    if existing is not None:
        return EnqueueResult("already_queued", existing["id"], existing["queue_id"], None)
    return await _enter(
        conn,
        _queue_uuid(queue_id),
        conversation_id=conversation_id,
        priority=priority,
        message=message,
        wait_timeout_minutes=wait_timeout_minutes,
        fallback_action=fallback_action,
        source=source,
        entered_at=now,
        now=now,
        effects=effects,
        hops=0,
        actor_id=actor_id,
    )


async def _enter(
    conn: Connection,
    queue_id: uuid.UUID,
    *,
    conversation_id: uuid.UUID,
    priority: int,
    message: str,
    wait_timeout_minutes: int | None,
    fallback_action: str | None,
    source: str,
    entered_at: datetime,
    now: datetime,
    effects: Effects,
    hops: int,
    actor_id: uuid.UUID | None = None,
) -> EnqueueResult:
    queue = await queues_db.lock_queue(conn, queue_id)
    if queue is None:
        raise NotFound("no such queue")
    if not queue["active"]:
        raise Conflict(f"queue {queue['name']!r} is inactive")
    fields = customer.Fields(queue=queue["name"])

    async def divert(target: uuid.UUID | None) -> EnqueueResult:
        assert target is not None  # the settings model requires a target for 'divert'
        return await _enter(
            conn,
            target,
            conversation_id=conversation_id,
            priority=priority,
            message=message,
            wait_timeout_minutes=wait_timeout_minutes,
            fallback_action=fallback_action,
            source=source,
            entered_at=entered_at,
            now=now,
            effects=effects,
            hops=hops + 1,
            actor_id=actor_id,
        )

    holidays = set(queue["holidays"])
    open_now = is_open(queue["business_hours"], queue["timezone"], holidays, now)
    if not open_now:
        await tell(
            conn,
            effects,
            conversation_id,
            queue["out_of_hours_message"],
            customer.DEFAULT_OUT_OF_HOURS,
            fields,
            now,
        )
        if queue["out_of_hours_action"] == "divert" and hops < _MAX_DIVERSIONS:
            return await divert(queue["out_of_hours_queue_id"])
    if await queues_db.count_waiting(conn, queue_id) >= queue["max_size"]:
        if queue["overflow_action"] == "divert" and hops < _MAX_DIVERSIONS:
            return await divert(queue["overflow_queue_id"])
        await tell(
            conn,
            effects,
            conversation_id,
            queue["full_message"],
            customer.DEFAULT_FULL,
            fields,
            now,
        )
        return EnqueueResult("rejected", None, queue_id, None)
    fallback = fallback_for(fallback_action, queue)
    deadline = wait_deadline(queue, wait_timeout_minutes, fallback, now)
    item_id = await items_db.insert_item(
        conn,
        queue_id=queue_id,
        conversation_id=conversation_id,
        priority=priority,
        source=source,
        fallback_action=fallback,
        entered_at=entered_at,
        wait_deadline=deadline,
    )
    if item_id is None:  # a concurrent transaction queued it between our check and insert
        existing = await items_db.lock_active_item_of(conn, conversation_id)
        assert existing is not None
        return EnqueueResult("already_queued", existing["id"], existing["queue_id"], None)
    position = await items_db.position_of(conn, item_id)
    if open_now and message:
        # A caller's own entry text is said now; the queue's welcome waits for the distribution
        # pass after the commit (announce.py): no place is told to someone assigned at once.
        fields = customer.Fields(queue=queue["name"], position=position)
        await tell(conn, effects, conversation_id, message, "", fields, now)
        await items_db.mark_position_sent(conn, item_id, position, now)
    await history.record(
        conn,
        [
            (
                item_id,
                queue_id,
                conversation_id,
                Transition.ENTERED.value,
                None,
                {"source": source, "priority": priority},
            )
        ],
        actor_id=actor_id,
        at=now,
        effects=effects,
        performed_by=ActorType.BOT if source == "flow" else ActorType.SYSTEM,
    )
    (row,) = await items_db.get_items(conn, [item_id])
    effects.events.append(
        QueueItemChanged(
            transition=Transition.ENTERED, item=item_out(row, now=now, position=position)
        )
    )
    effects.distribute.add(queue_id)
    return EnqueueResult("entered", item_id, queue_id, position)
