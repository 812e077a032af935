"""Automatic distribution: waiting items of a queue to available agents, in one transaction.

1. Claim the queue's first waiting items in serving order (urgent, then high, then normal; the
   longest waiting first) with ``FOR UPDATE SKIP LOCKED``: another distributor (task or
   process) takes the next ones instead of waiting for ours.
2. Lock the candidate agents the same way: online, with free capacity, the queue's skills and
   department; then keep those inside their working hours. Their counts can't move under us.
3. Pair items with agents by the queue's policy and write the assignments. The database has the
   last word: a trigger counts each agent's active items under ``CHECK (active_count <=
   capacity)`` and a partial unique index allows one active item per conversation, so even a
   bug here could not double-assign or overload anyone (the transaction would fail instead).

All of a queue's items need the same skills, so the agents eligible for one are eligible for
all: serving a prefix of the waiting list is exactly "priority, then waiting time".
"""

from __future__ import annotations

import heapq
import uuid
from datetime import UTC, datetime

import asyncpg

from pytake_daemon.attendance import agents_db, announce, history, items_db, queues_db
from pytake_daemon.attendance.hours import is_open
from pytake_daemon.attendance.views import item_out, queue_open
from pytake_daemon.audit.entries import append_entry
from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations.views import conversation_out
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.protocol import ConversationUpdated
from pytake_daemon.protocol.agents import AgentStatus, AgentStatusChanged
from pytake_daemon.protocol.audit import ActorType
from pytake_daemon.protocol.queues import Policy, QueueItemChanged, Transition

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _pair(
    policy: str, items: list[asyncpg.Record], agents: list[asyncpg.Record]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(item, agent) pairs for as many items as there is free capacity, in item order."""
    # Round robin: whoever was assigned least recently goes next, then to the back of the line.
    # Least loaded: the lowest share of capacity in use, ties by least recent assignment.
    heap: list[tuple[float, datetime, int, uuid.UUID, int, int]] = []
    for n, a in enumerate(agents):
        last = a["last_assigned_at"] or _EPOCH
        load = a["active_count"] / a["capacity"] if policy == Policy.LEAST_LOADED else 0.0
        heap.append((load, last, n, a["id"], a["active_count"], a["capacity"]))
    heapq.heapify(heap)
    pairs: list[tuple[uuid.UUID, uuid.UUID]] = []
    turn = datetime.max.replace(tzinfo=UTC)
    for seq, item in enumerate(items):
        if not heap:
            break
        load, _last, n, agent_id, active, capacity = heapq.heappop(heap)
        pairs.append((item["id"], agent_id))
        active += 1
        if active < capacity:
            load = active / capacity if policy == Policy.LEAST_LOADED else 0.0
            # Just assigned: behind everyone else (the sequence keeps the order among them).
            heapq.heappush(heap, (load, turn, len(agents) + seq, agent_id, active, capacity))
    return pairs


async def distribute(
    conn: Connection,
    queue_id: uuid.UUID,
    *,
    now: datetime,
    effects: Effects,
    batch: int = 100,
    events: bool = True,
) -> int:
    """Assign what can be assigned from one queue's head; returns how many items were assigned.

    ``events=False`` leaves out the per-item live-monitor events and the welcomes of those left
    waiting (the benchmark's bulk runs)."""
    queue = await queues_db.queue_settings(conn, queue_id)
    if queue is None or not queue["active"] or not queue_open(queue, now):
        return 0
    items = await items_db.claim_waiting(conn, queue_id, batch)
    if not items:
        return 0
    locked, candidates = await _lock_agents(conn, queue, len(items), now)
    assignments = await _assign(
        conn, queue, items, candidates, now=now, effects=effects, events=events
    )
    assigned = len(assignments)
    if events and (assigned < len(items) or len(items) < batch):
        await _the_rest(conn, queue, locked, candidates, assigned, len(items), now, effects)
    if assignments:
        # Last, just before the commit: the tenant's audit chain is locked from here to the
        # commit, and every other distributor and writer of the tenant waits for it.
        await append_entry(conn, history.audit_draft(assignments, performed_by=ActorType.POLICY))
    return assigned


async def _the_rest(
    conn: Connection,
    queue: asyncpg.Record,
    locked: list[asyncpg.Record],
    candidates: list[asyncpg.Record],
    assigned: int,
    claimed: int,
    now: datetime,
    effects: Effects,
) -> None:
    """Those claimed and not assigned, and those behind them: told their place, or left to the
    next pass."""
    left = assigned < claimed
    if left and await _held_elsewhere(conn, queue, [a["id"] for a in locked], now):
        # An agent who may take them is held by another pass (an agent coming online while a
        # customer enters): ask again once it commits rather than tell a place to someone
        # about to be assigned (QueueRuntime.distribute_queue backs off).
        effects.distribute.add(queue["id"])
        return
    if not left and _room_left(candidates, assigned):
        # Everything claimed was assigned and an agent held here still has room: a customer who
        # entered the queue since the claim is the next pass's to assign, not one to tell a
        # place (they were told "number 1" and assigned a moment later).
        effects.distribute.add(queue["id"])
        return
    # No agent left for the rest (or nothing behind them): they wait, so they are told their
    # place now, after the flow's hand-over message and never before an assignment.
    await announce.welcome_waiting(conn, queue, now=now, effects=effects)


async def _lock_agents(
    conn: Connection, queue: asyncpg.Record, wanted: int, now: datetime
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Every agent row locked, and of those up to ``wanted`` inside their working hours, in the
    policy's order (one agent per item at most is all a batch can use).

    An agent online outside their hours is passed over for the next in line. Round robin puts
    them first (never assigned, they stay the least recently assigned): locking only as many
    as the items found them all off hours and assigned nobody, while an agent in their hours
    waited behind them."""
    locked: list[asyncpg.Record] = []
    candidates: list[asyncpg.Record] = []
    while len(candidates) < wanted:
        asked = wanted - len(candidates)
        more = await agents_db.lock_candidates(
            conn,
            queue["required_skills"],
            queue["department"],
            limit=asked,
            least_loaded=queue["policy"] == Policy.LEAST_LOADED,
            besides=[a["id"] for a in locked],
        )
        locked.extend(more)
        candidates.extend(a for a in more if is_open(a["working_hours"], a["timezone"], (), now))
        if len(more) < asked:
            break  # nobody else is free
    return locked, candidates


def _room_left(candidates: list[asyncpg.Record], assigned: int) -> bool:
    """Whether the agents this pass holds have room for more than it assigned them."""
    room: int = sum(int(a["capacity"]) - int(a["active_count"]) for a in candidates)
    return room > assigned


async def _held_elsewhere(
    conn: Connection, queue: asyncpg.Record, locked: list[uuid.UUID], now: datetime
) -> bool:
    """Whether an agent who could serve the queue now has room but was skipped: another
    transaction holds its row."""
    others = await agents_db.others_with_room(
        conn, queue["required_skills"], queue["department"], besides=locked, limit=20
    )
    return any(is_open(a["working_hours"], a["timezone"], (), now) for a in others)


async def _assign(
    conn: Connection,
    queue: asyncpg.Record,
    items: list[asyncpg.Record],
    candidates: list[asyncpg.Record],
    *,
    now: datetime,
    effects: Effects,
    events: bool,
) -> list[history.Transition]:
    """The assignments made (their audit entry is the caller's to append)."""
    queue_id: uuid.UUID = queue["id"]
    pairs = _pair(queue["policy"], items, candidates)
    if not pairs:
        return []
    item_ids = [p[0] for p in pairs]
    agent_ids = [p[1] for p in pairs]
    await items_db.assign_items(conn, item_ids, agent_ids, now)
    conversation_of = {i["id"]: i["conversation_id"] for i in items}
    assignments: list[history.Transition] = [
        (i, queue_id, conversation_of[i], Transition.ASSIGNED.value, a, None) for i, a in pairs
    ]
    lines = await history.record_history(conn, assignments, actor_id=None, at=now)
    if events:
        effects.events.extend(lines)
    await agents_db.add_activities(
        conn,
        [
            (a, "conversation_started", conversation_of[i], {"queue_id": str(queue_id)})
            for i, a in pairs
        ],
        now,
    )
    await _busy_when_full(conn, candidates, agent_ids, now, effects)
    if events:
        for row in await items_db.get_items(conn, item_ids):
            effects.events.append(
                QueueItemChanged(transition=Transition.ASSIGNED, item=item_out(row, now=now))
            )
        # The inbox rows and thread headers show the assignee: one read for the batch.
        assigned = sorted(conversation_of[i] for i in item_ids)
        effects.events.extend(
            ConversationUpdated(conversation=conversation_out(r, now=now))
            for r in await conversations_db.get_conversations(conn, assigned)
        )
    return assignments


async def _busy_when_full(
    conn: Connection,
    candidates: list[asyncpg.Record],
    assigned: list[uuid.UUID],
    now: datetime,
    effects: Effects,
) -> None:
    """Agents who asked for it turn "busy" when this batch filled them up."""
    for agent in candidates:
        if not agent["busy_at_capacity"]:
            continue
        if agent["active_count"] + assigned.count(agent["id"]) < agent["capacity"]:
            continue
        row = await agents_db.set_status_if(
            conn, agent["id"], AgentStatus.BUSY.value, now, [AgentStatus.ONLINE.value]
        )
        if row is not None:
            effects.events.append(
                AgentStatusChanged(
                    agent_id=agent["id"],
                    status=AgentStatus.BUSY,
                    active=row["active_count"],
                    capacity=row["capacity"],
                    reason="capacity",
                )
            )
