"""Handing a conversation over: the agent-side transfer and a supervisor's assignment.

Functions work in the caller's tenant transaction and reuse the queues' rules
(``attendance.entry`` and ``attendance.moves``): one active item per conversation, capacity
enforced by the database, the item's history; what they leave to do after the commit is
collected in an :class:`Effects`. Moved here from ``conversations.service`` so conversations,
below attendance in the daemon's layers, never imports it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from pytake_daemon.attendance import agents_db, items_db, queues_db
from pytake_daemon.attendance import entry as queues_service
from pytake_daemon.attendance import moves as queues_moves
from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations.service import NOT_FOUND
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.conversations import AssignmentRequest, TransferRequest
from pytake_daemon.protocol.queues import ItemStatus


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    role: Role


@dataclass(frozen=True)
class Transferred:
    """What the transfer did, for the audit record."""

    from_queue_id: uuid.UUID | None
    from_agent_id: uuid.UUID | None
    item_id: uuid.UUID | None
    """The conversation's active queue item afterwards."""


async def transfer(
    conn: Connection,
    conversation_id: uuid.UUID,
    request: TransferRequest,
    caller: Caller,
    *,
    now: datetime,
    effects: Effects,
) -> Transferred:
    """Hand a conversation to a queue (it waits there for the next agent) or to an agent.

    Allowed to the agent attending it and to supervisors and above. Raises NotFound (the
    conversation), UnprocessableEntity (an unknown queue or agent), Forbidden, and Conflict (the
    agent is at capacity, the queue is full or inactive, nothing to transfer).
    """
    conversation = await conversations_db.get_conversation(conn, conversation_id)
    if conversation is None:
        raise NotFound(NOT_FOUND)
    if (
        request.queue_id is not None
        and await queues_db.queue_settings(conn, request.queue_id) is None
    ):
        raise UnprocessableEntity("queue_id: no such queue")
    if request.agent_id is not None:
        await agents_db.ensure(conn, request.agent_id)
        if await agents_db.get_agent(conn, request.agent_id) is None:
            raise UnprocessableEntity("agent_id: no such agent")
    # The item first, then the agent and the conversation: the lock order distribution uses.
    item = await items_db.lock_active_item_of(conn, conversation_id)
    holder = _holder(item, conversation)
    if holder != caller.user_id and not caller.role.at_least(Role.SUPERVISOR):
        raise Forbidden(
            "only the agent attending this conversation or a supervisor can transfer it"
        )
    from_queue = item["queue_id"] if item is not None else None
    try:
        if request.queue_id is not None:
            item_id = await _to_queue(
                conn, conversation_id, item, request.queue_id, caller, now, effects
            )
        else:
            assert request.agent_id is not None  # the request model requires one of the two
            item_id = await _to_agent(
                conn, conversation, item, request.agent_id, caller, now, effects, override=False
            )
    except asyncpg.CheckViolationError:
        raise Conflict("the agent is at capacity") from None
    return Transferred(from_queue_id=from_queue, from_agent_id=holder, item_id=item_id)


async def _to_agent(
    conn: Connection,
    conversation: asyncpg.Record,
    item: asyncpg.Record | None,
    agent_id: uuid.UUID,
    caller: Caller,
    now: datetime,
    effects: Effects,
    *,
    override: bool,
) -> uuid.UUID:
    """Assign to an agent; a conversation in no queue first enters the queue it was last in
    (or the tenant's default), which is what the agent's metrics and the monitor count."""
    if item is None:
        queue_id = conversation["last_queue_id"] or await queues_db.default_queue_id(conn)
        if queue_id is None:
            raise Conflict("there is no queue to attend it from: create a queue first")
        entered = await queues_service.enqueue(
            conn,
            conversation_id=conversation["id"],
            queue_id=queue_id,
            source="assign",
            now=now,
            effects=effects,
            actor_id=caller.user_id,
        )
        if entered.item_id is None:
            raise Conflict("the queue is full")
        item = await items_db.lock_item(conn, entered.item_id)
        assert item is not None  # inserted just above, in this transaction
    return await queues_moves.assign_manually(
        conn,
        item["queue_id"],
        item["id"],
        agent_id,
        actor_id=caller.user_id,
        now=now,
        effects=effects,
        override_capacity=override,
    )


async def assign(
    conn: Connection,
    conversation_id: uuid.UUID,
    request: AssignmentRequest,
    caller: Caller,
    *,
    now: datetime,
    effects: Effects,
) -> Transferred:
    """A supervisor's move (the route checks the role): take it, give it to an agent (past
    their capacity with ``override_capacity``) or put it in a queue, whether or not it is in a
    queue now."""
    conversation = await conversations_db.get_conversation(conn, conversation_id)
    if conversation is None:
        raise NotFound(NOT_FOUND)
    if request.queue_id is not None:
        return await transfer(
            conn,
            conversation_id,
            TransferRequest(queue_id=request.queue_id),
            caller,
            now=now,
            effects=effects,
        )
    agent_id = caller.user_id if request.take else request.agent_id
    assert agent_id is not None  # the request model requires one target
    await agents_db.ensure(conn, agent_id)
    if await agents_db.get_agent(conn, agent_id) is None:
        raise UnprocessableEntity("agent_id: no such agent")
    item = await items_db.lock_active_item_of(conn, conversation_id)
    holder = _holder(item, conversation)
    try:
        item_id = await _to_agent(
            conn,
            conversation,
            item,
            agent_id,
            caller,
            now,
            effects,
            override=request.override_capacity,
        )
    except asyncpg.CheckViolationError:
        raise Conflict("the agent is at capacity") from None
    return Transferred(
        from_queue_id=item["queue_id"] if item is not None else None,
        from_agent_id=holder,
        item_id=item_id,
    )


def _holder(item: asyncpg.Record | None, conversation: asyncpg.Record) -> uuid.UUID | None:
    """Who attends the conversation: its queue item's agent, else the conversation's assignee."""
    if item is not None:
        return item["agent_id"] if item["status"] == ItemStatus.ASSIGNED else None
    holder: uuid.UUID | None = conversation["assigned_user_id"]
    return holder


async def _to_queue(
    conn: Connection,
    conversation_id: uuid.UUID,
    item: asyncpg.Record | None,
    queue_id: uuid.UUID,
    caller: Caller,
    now: datetime,
    effects: Effects,
) -> uuid.UUID:
    if item is not None:
        if item["queue_id"] == queue_id:
            raise Conflict("the conversation is already in this queue")
        return await queues_moves.transfer(
            conn,
            item["queue_id"],
            item["id"],
            queue_id,
            actor_id=caller.user_id,
            now=now,
            effects=effects,
        )
    result = await queues_service.enqueue(
        conn,
        conversation_id=conversation_id,
        queue_id=queue_id,
        source="transfer",
        now=now,
        effects=effects,
    )
    if result.outcome == "rejected" or result.item_id is None:
        raise Conflict("the queue is full")
    return result.item_id
