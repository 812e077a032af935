"""Moves of queue items by people and rules: a supervisor's (re)assignment, priority change and
transfer to another queue, and the move a timeout makes (``move_item``). Each works in the
caller's tenant transaction and leaves its after-commit work in an :class:`Effects`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from pytake_daemon.attendance import agents_db, history, items_db, queues_db
from pytake_daemon.attendance.items import changed, fallback_for, wait_deadline
from pytake_daemon.attendance.views import item_out
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.errors import Conflict, NotFound
from pytake_daemon.protocol.audit import ActorType
from pytake_daemon.protocol.queues import ItemStatus, QueueItemChanged, Transition


async def _locked_item(conn: Connection, queue_id: uuid.UUID, item_id: uuid.UUID) -> asyncpg.Record:
    item = await items_db.lock_item(conn, item_id)
    if item is None or item["queue_id"] != queue_id:
        raise NotFound("no such item in this queue")
    if item["status"] not in (ItemStatus.WAITING, ItemStatus.ASSIGNED):
        raise Conflict(f"this item has already ended ({item['status']})")
    return item


async def assign_manually(
    conn: Connection,
    queue_id: uuid.UUID,
    item_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    effects: Effects,
    override_capacity: bool = False,
) -> uuid.UUID:
    """A supervisor assigns a waiting item or reassigns an assigned one (audited in history);
    ``override_capacity`` lets an agent at capacity take it anyway (``agents.make_room``)."""
    item = await _locked_item(conn, queue_id, item_id)
    await agents_db.ensure(conn, agent_id)
    agent = await agents_db.lock_agent(conn, agent_id)
    if agent is None:
        raise NotFound("no such agent")
    if item["agent_id"] == agent_id and item["status"] == ItemStatus.ASSIGNED:
        return item_id
    overridden = agent["active_count"] >= agent["capacity"]
    if overridden and not override_capacity:
        raise Conflict(
            f"the agent is at capacity ({agent['active_count']} of {agent['capacity']}): "
            "assign with override_capacity to give them one more"
        )
    if overridden:
        await agents_db.make_room(conn, agent_id)
    previous = item["agent_id"] if item["status"] == ItemStatus.ASSIGNED else None
    if previous is None:
        await items_db.assign_items(conn, [item_id], [agent_id], now)
        transition = Transition.ASSIGNED
    else:
        await items_db.reassign_item(conn, item_id, agent_id, now)
        transition = Transition.REASSIGNED
        await agents_db.add_activities(
            conn,
            [
                (
                    previous,
                    "conversation_finished",
                    item["conversation_id"],
                    {"reason": "reassigned", "to": str(agent_id)},
                )
            ],
            now,
        )
        effects.capacity_freed = True
    await agents_db.add_activities(
        conn,
        [
            (
                agent_id,
                "conversation_started",
                item["conversation_id"],
                {"queue_id": str(queue_id), "manual": True},
            )
        ],
        now,
    )
    await history.record(
        conn,
        [
            (
                item_id,
                queue_id,
                item["conversation_id"],
                transition.value,
                agent_id,
                {
                    **({"from_agent": str(previous)} if previous else {}),
                    **({"override_capacity": True} if overridden else {}),
                },
            )
        ],
        actor_id=actor_id,
        at=now,
        effects=effects,
    )
    await changed(conn, effects, transition, item_id, now)
    return item_id


async def change_priority(
    conn: Connection,
    queue_id: uuid.UUID,
    item_id: uuid.UUID,
    priority: int,
    *,
    now: datetime,
    effects: Effects,
) -> int | None:
    """A supervisor moves a waiting item up or down the line; returns the old priority, or
    ``None`` when it already had this one (nothing changes, nothing is told)."""
    item = await _locked_item(conn, queue_id, item_id)
    if item["status"] != ItemStatus.WAITING:
        raise Conflict("only a waiting item's priority can change (this one is assigned)")
    previous: int = item["priority"]
    if previous == priority:
        return None
    await items_db.set_priority(conn, item_id, priority)
    (row,) = await items_db.get_items(conn, [item_id])
    position = await items_db.position_of(conn, item_id)
    effects.events.append(
        QueueItemChanged(
            transition=Transition.REPRIORITIZED, item=item_out(row, now=now, position=position)
        )
    )
    return previous


async def transfer(
    conn: Connection,
    queue_id: uuid.UUID,
    item_id: uuid.UUID,
    to_queue_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    effects: Effects,
) -> uuid.UUID:
    """Move an item to another queue, where it waits (keeping its priority and its place in
    time); an assigned item leaves its agent."""
    if to_queue_id == queue_id:
        raise Conflict("the item is already in this queue")
    item = await _locked_item(conn, queue_id, item_id)
    return await move_item(
        conn,
        item,
        to_queue_id,
        Transition.TRANSFERRED,
        ItemStatus.TRANSFERRED,
        actor_id=actor_id,
        now=now,
        effects=effects,
    )


async def move_item(
    conn: Connection,
    item: asyncpg.Record,
    to_queue_id: uuid.UUID,
    transition: Transition,
    ended_as: ItemStatus,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    effects: Effects,
) -> uuid.UUID:
    target = await queues_db.lock_queue(conn, to_queue_id)
    if target is None:
        raise NotFound("no such target queue")
    if item["status"] == ItemStatus.ASSIGNED:
        await agents_db.add_activities(
            conn,
            [
                (
                    item["agent_id"],
                    "conversation_finished",
                    item["conversation_id"],
                    {"reason": "transferred", "to_queue": str(to_queue_id)},
                )
            ],
            now,
        )
        effects.capacity_freed = True
    await items_db.end_item(conn, item["id"], ended_as.value, now)
    fallback = fallback_for(None, target)
    new_id = await items_db.insert_item(
        conn,
        queue_id=to_queue_id,
        conversation_id=item["conversation_id"],
        priority=item["priority"],
        source="transfer",
        fallback_action=fallback,
        entered_at=item["entered_at"],
        wait_deadline=wait_deadline(target, None, fallback, now),
    )
    assert new_id is not None  # the old item ended just above, in this transaction
    await history.record(
        conn,
        [
            (
                item["id"],
                item["queue_id"],
                item["conversation_id"],
                transition.value,
                item["agent_id"],
                {"to_queue": str(to_queue_id), "new_item": str(new_id)},
            ),
            (
                new_id,
                to_queue_id,
                item["conversation_id"],
                Transition.ENTERED.value,
                None,
                {"source": "transfer", "from_queue": str(item["queue_id"])},
            ),
        ],
        actor_id=actor_id,
        at=now,
        effects=effects,
        performed_by=ActorType.POLICY,
    )
    await changed(conn, effects, transition, item["id"], now)
    await changed(conn, effects, Transition.ENTERED, new_id, now)
    effects.distribute.add(to_queue_id)
    return new_id
