"""The end of a queue item: the attendance completes (or the wait is abandoned) when its
conversation is resolved, and the sweep applies overdue items' timeout fallbacks.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pytake_daemon.attendance import (
    agent_status,
    agents_db,
    customer,
    goals,
    history,
    items_db,
    queues_db,
    satisfaction,
)
from pytake_daemon.attendance.items import changed, tell
from pytake_daemon.attendance.moves import move_item
from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations import timeline
from pytake_daemon.conversations.sent import message_sent_events
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.flows import starts
from pytake_daemon.protocol.audit import ActorType
from pytake_daemon.protocol.conversations import TimelineKind
from pytake_daemon.protocol.queues import ItemStatus, TimeoutAction, Transition


async def conversation_closed(
    conn: Connection,
    conversation_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    effects: Effects,
    satisfaction_template: tuple[str, str] | None = None,
) -> uuid.UUID | None:
    """The conversation was resolved: its assignment completes (the customer is asked for a
    rating, the agent's capacity frees up), or its waiting item is abandoned.

    Call it *before* changing the conversation's row, in the same transaction: locks are then
    taken item → agent → conversation, the order distribution uses, so the two never deadlock.
    """
    item = await items_db.lock_active_item_of(conn, conversation_id)
    if item is None:
        return None
    item_id: uuid.UUID = item["id"]
    if item["status"] == ItemStatus.WAITING:
        await items_db.end_item(conn, item["id"], ItemStatus.ABANDONED.value, now)
        await history.record(
            conn,
            [
                (
                    item["id"],
                    item["queue_id"],
                    conversation_id,
                    Transition.ABANDONED.value,
                    None,
                    {"reason": "conversation closed"},
                )
            ],
            actor_id=actor_id,
            at=now,
            effects=effects,
            performed_by=ActorType.SYSTEM,
        )
        await changed(conn, effects, Transition.ABANDONED, item["id"], now)
        return item_id
    agent_id = item["agent_id"]
    await items_db.end_item(conn, item["id"], ItemStatus.COMPLETED.value, now)
    await history.record(
        conn,
        [(item["id"], item["queue_id"], conversation_id, Transition.COMPLETED.value, agent_id, {})],
        actor_id=actor_id,
        at=now,
        effects=effects,
        performed_by=ActorType.SYSTEM,
    )
    await agents_db.add_activities(
        conn,
        [
            (
                agent_id,
                "conversation_finished",
                conversation_id,
                {
                    "queue_id": str(item["queue_id"]),
                    "handling_seconds": (now - item["assigned_at"]).total_seconds(),
                },
            )
        ],
        now,
    )
    asked = await satisfaction.ask(
        conn,
        item_id=item["id"],
        conversation_id=conversation_id,
        agent_id=agent_id,
        now=now,
        template=satisfaction_template,
    )
    if asked is not None:
        effects.messages_queued = True
        effects.events.extend(await message_sent_events(conn, [asked], now=now))
    await changed(conn, effects, Transition.COMPLETED, item["id"], now)
    effects.events.extend(await goals.check(conn, agent_id, now))
    await agent_status.capacity_back(conn, agent_id, now=now, effects=effects)
    effects.capacity_freed = True
    return item_id


async def expire_overdue(
    conn: Connection, queue_id: uuid.UUID, *, now: datetime, effects: Effects, limit: int = 200
) -> int:
    """Apply each overdue waiting item's fallback; returns how many timed out."""
    queue = await queues_db.lock_queue(conn, queue_id)
    if queue is None:
        return 0
    overdue = await items_db.claim_overdue(conn, queue_id, now, limit)
    fields = customer.Fields(queue=queue["name"])
    for item in overdue:
        action = item["fallback_action"]
        if action == TimeoutAction.KEEP_WAITING:
            await items_db.set_deadline(conn, item["id"], None)
            continue
        if action == TimeoutAction.MOVE and queue["timeout_queue_id"] is not None:
            await move_item(
                conn,
                item,
                queue["timeout_queue_id"],
                Transition.TIMED_OUT,
                ItemStatus.TIMED_OUT,
                actor_id=None,
                now=now,
                effects=effects,
            )
            continue
        flow_id: uuid.UUID | None = queue["timeout_flow_id"]
        starts_flow = action == TimeoutAction.START_FLOW and flow_id is not None
        # A flow speaks for itself: the timeout message goes first only when one is written.
        if not starts_flow or queue["timeout_message"]:
            await tell(
                conn,
                effects,
                item["conversation_id"],
                queue["timeout_message"],
                customer.DEFAULT_TIMEOUT,
                fields,
                now,
            )
        await items_db.end_item(conn, item["id"], ItemStatus.TIMED_OUT.value, now)
        details: dict[str, str] = {"fallback": action}
        if starts_flow:
            details["flow_id"] = str(flow_id)
        await history.record(
            conn,
            [
                (
                    item["id"],
                    queue_id,
                    item["conversation_id"],
                    Transition.TIMED_OUT.value,
                    None,
                    details,
                )
            ],
            actor_id=None,
            at=now,
            effects=effects,
            performed_by=ActorType.POLICY,
        )
        if action == TimeoutAction.ABANDON:
            line = timeline.Line(
                item["conversation_id"],
                TimelineKind.CLOSED.value,
                queue_id=queue_id,
                detail={"reason": "wait timeout"},
            )
            effects.events.extend(await timeline.record(conn, [line]))
            await conversations_db.set_status(conn, item["conversation_id"], "resolved")
        elif starts_flow:
            assert flow_id is not None
            await starts.request_start(
                conn, item["conversation_id"], flow_id, reason="queue_timeout"
            )
        # (start_flow whose queue has no flow anymore is return_to_bot: released to the bot.)
        await changed(conn, effects, Transition.TIMED_OUT, item["id"], now)
    return len(overdue)
