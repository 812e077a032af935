"""Queue rules: entering a queue (the flows' transfer), manual assignment and transfer, the end
of an attendance, wait timeouts and position updates.

Every function works in the caller's tenant transaction and records what must happen after the
commit in an :class:`Effects`; callers publish the events and wake the sender and distributors
(``QueueRuntime.after_commit``). Automatic distribution lives in ``distribution.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg

from pytake_daemon.agents import db as agents_db
from pytake_daemon.agents import goals, satisfaction
from pytake_daemon.agents import service as agents_service
from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations import timeline
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, NotFound
from pytake_daemon.flows import starts
from pytake_daemon.protocol.audit import ActorType
from pytake_daemon.protocol.conversations import TimelineKind
from pytake_daemon.protocol.queues import (
    ItemStatus,
    QueueItemChanged,
    TimeoutAction,
    Transition,
)
from pytake_daemon.queues import customer, db, history
from pytake_daemon.queues.effects import Effects
from pytake_daemon.queues.hours import is_open, next_opening
from pytake_daemon.queues.views import item_out

# How many queues a diversion may chain through (overflow → out of hours → …) before refusing.
_MAX_DIVERSIONS = 3

# The flows' fallbackAction values, in this module's terms; the node's ``queue`` is no
# override at all (the queue's own timeout_action, e.g. ``move`` or ``start_flow``).
_FLOW_FALLBACKS = {
    "close": TimeoutAction.ABANDON,
    "keep_waiting": TimeoutAction.KEEP_WAITING,
    "return_to_bot": TimeoutAction.RETURN_TO_BOT,
}
_QUEUE_DECIDES = "queue"

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


def _fallback(value: str | None, queue: asyncpg.Record) -> str:
    if value is None or value == _QUEUE_DECIDES:
        return str(queue["timeout_action"])
    if value in _FLOW_FALLBACKS:
        return _FLOW_FALLBACKS[value].value
    try:
        return TimeoutAction(value).value
    except ValueError:
        raise Conflict(f"unknown fallback action {value!r}") from None


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
    existing = await db.lock_active_item_of(conn, conversation_id)
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
    queue = await db.lock_queue(conn, queue_id)
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
        await _tell(
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
    if await db.count_waiting(conn, queue_id) >= queue["max_size"]:
        if queue["overflow_action"] == "divert" and hops < _MAX_DIVERSIONS:
            return await divert(queue["overflow_queue_id"])
        await _tell(
            conn,
            effects,
            conversation_id,
            queue["full_message"],
            customer.DEFAULT_FULL,
            fields,
            now,
        )
        return EnqueueResult("rejected", None, queue_id, None)
    fallback = _fallback(fallback_action, queue)
    deadline = _deadline(queue, wait_timeout_minutes, fallback, now)
    item_id = await db.insert_item(
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
        existing = await db.lock_active_item_of(conn, conversation_id)
        assert existing is not None
        return EnqueueResult("already_queued", existing["id"], existing["queue_id"], None)
    position = await db.position_of(conn, item_id)
    if open_now and message:
        # A caller's own entry text is said now; the queue's welcome waits for the distribution
        # pass after the commit (announce.py): no place is told to someone assigned at once.
        fields = customer.Fields(queue=queue["name"], position=position)
        await _tell(conn, effects, conversation_id, message, "", fields, now)
        await db.mark_position_sent(conn, item_id, position, now)
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
    (row,) = await db.get_items(conn, [item_id])
    effects.events.append(
        QueueItemChanged(
            transition=Transition.ENTERED, item=item_out(row, now=now, position=position)
        )
    )
    effects.distribute.add(queue_id)
    return EnqueueResult("entered", item_id, queue_id, position)


def _deadline(
    queue: asyncpg.Record, wait_timeout_minutes: int | None, fallback: str, now: datetime
) -> datetime | None:
    """When the wait times out; the clock starts when the queue opens (a night doesn't count)."""
    if fallback == TimeoutAction.KEEP_WAITING.value:
        return None
    opens = next_opening(queue["business_hours"], queue["timezone"], set(queue["holidays"]), now)
    if opens is None:
        return None
    return opens + timedelta(minutes=wait_timeout_minutes or queue["max_wait_minutes"])


async def _tell(
    conn: Connection,
    effects: Effects,
    conversation_id: uuid.UUID,
    template: str,
    default: str,
    fields: customer.Fields,
    now: datetime,
) -> None:
    if await customer.tell(
        conn, conversation_id, customer.render(template, default, fields), now=now
    ):
        effects.messages_queued = True


async def _changed(
    conn: Connection, effects: Effects, transition: Transition, item_id: uuid.UUID, now: datetime
) -> None:
    (row,) = await db.get_items(conn, [item_id])
    effects.events.append(QueueItemChanged(transition=transition, item=item_out(row, now=now)))


# --- manual assignment and transfer ----------------------------------------------------------


async def _locked_item(conn: Connection, queue_id: uuid.UUID, item_id: uuid.UUID) -> asyncpg.Record:
    item = await db.lock_item(conn, item_id)
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
        await db.assign_items(conn, [item_id], [agent_id], now)
        transition = Transition.ASSIGNED
    else:
        await db.reassign_item(conn, item_id, agent_id, now)
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
    await _changed(conn, effects, transition, item_id, now)
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
    await db.set_priority(conn, item_id, priority)
    (row,) = await db.get_items(conn, [item_id])
    position = await db.position_of(conn, item_id)
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
    return await _move(
        conn,
        item,
        to_queue_id,
        Transition.TRANSFERRED,
        ItemStatus.TRANSFERRED,
        actor_id=actor_id,
        now=now,
        effects=effects,
    )


async def _move(
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
    target = await db.lock_queue(conn, to_queue_id)
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
    await db.end_item(conn, item["id"], ended_as.value, now)
    fallback = _fallback(None, target)
    new_id = await db.insert_item(
        conn,
        queue_id=to_queue_id,
        conversation_id=item["conversation_id"],
        priority=item["priority"],
        source="transfer",
        fallback_action=fallback,
        entered_at=item["entered_at"],
        wait_deadline=_deadline(target, None, fallback, now),
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
    await _changed(conn, effects, transition, item["id"], now)
    await _changed(conn, effects, Transition.ENTERED, new_id, now)
    effects.distribute.add(to_queue_id)
    return new_id


# --- the end of an attendance ----------------------------------------------------------------


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
    item = await db.lock_active_item_of(conn, conversation_id)
    if item is None:
        return None
    item_id: uuid.UUID = item["id"]
    if item["status"] == ItemStatus.WAITING:
        await db.end_item(conn, item["id"], ItemStatus.ABANDONED.value, now)
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
        await _changed(conn, effects, Transition.ABANDONED, item["id"], now)
        return item_id
    agent_id = item["agent_id"]
    await db.end_item(conn, item["id"], ItemStatus.COMPLETED.value, now)
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
    if await satisfaction.ask(
        conn,
        item_id=item["id"],
        conversation_id=conversation_id,
        agent_id=agent_id,
        now=now,
        template=satisfaction_template,
    ):
        effects.messages_queued = True
    await _changed(conn, effects, Transition.COMPLETED, item["id"], now)
    effects.events.extend(await goals.check(conn, agent_id, now))
    await agents_service.capacity_back(conn, agent_id, now=now, effects=effects)
    effects.capacity_freed = True
    return item_id


# --- timeouts and positions (the sweep) ------------------------------------------------------


async def expire_overdue(
    conn: Connection, queue_id: uuid.UUID, *, now: datetime, effects: Effects, limit: int = 200
) -> int:
    """Apply each overdue waiting item's fallback; returns how many timed out."""
    queue = await db.lock_queue(conn, queue_id)
    if queue is None:
        return 0
    overdue = await db.claim_overdue(conn, queue_id, now, limit)
    fields = customer.Fields(queue=queue["name"])
    for item in overdue:
        action = item["fallback_action"]
        if action == TimeoutAction.KEEP_WAITING:
            await db.set_deadline(conn, item["id"], None)
            continue
        if action == TimeoutAction.MOVE and queue["timeout_queue_id"] is not None:
            await _move(
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
            await _tell(
                conn,
                effects,
                item["conversation_id"],
                queue["timeout_message"],
                customer.DEFAULT_TIMEOUT,
                fields,
                now,
            )
        await db.end_item(conn, item["id"], ItemStatus.TIMED_OUT.value, now)
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
        await _changed(conn, effects, Transition.TIMED_OUT, item["id"], now)
    return len(overdue)
