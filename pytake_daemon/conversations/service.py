"""Agents' actions on a conversation: internal notes, tags, and the agent-side transfer.

Functions work in the caller's tenant transaction. The transfer reuses the queues' rules
(``queues.service``): one active item per conversation, capacity enforced by the database, the
item's history; what it leaves to do after the commit is collected in an :class:`Effects`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from pytake_daemon.agents import db as agents_db
from pytake_daemon.conversations import db, notes_db
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.conversations import TransferRequest
from pytake_daemon.protocol.queues import ItemStatus
from pytake_daemon.queues import db as queues_db
from pytake_daemon.queues import service as queues_service
from pytake_daemon.queues.effects import Effects

NOT_FOUND = "no such conversation"
NOTES_SHOWN = 500
"""The latest notes a conversation's note list returns."""


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    role: Role


async def add_note(
    conn: Connection, conversation_id: uuid.UUID, author_id: uuid.UUID, body: str
) -> asyncpg.Record:
    """Write an internal note. It goes to ``conversation_notes`` only: nothing that sends or
    lists ``messages`` ever sees it."""
    if not await db.conversation_exists(conn, conversation_id):
        raise NotFound(NOT_FOUND)
    return await notes_db.insert_note(conn, conversation_id, author_id, body)


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
    conversation = await db.get_conversation(conn, conversation_id)
    if conversation is None:
        raise NotFound(NOT_FOUND)
    if request.queue_id is not None and await queues_db.get_queue(conn, request.queue_id) is None:
        raise UnprocessableEntity("queue_id: no such queue")
    if request.agent_id is not None:
        await agents_db.ensure(conn, request.agent_id)
        if await agents_db.get_agent(conn, request.agent_id) is None:
            raise UnprocessableEntity("agent_id: no such agent")
    # The item first, then the agent and the conversation: the lock order distribution uses.
    item = await queues_db.lock_active_item_of(conn, conversation_id)
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
            if item is None:
                raise Conflict(
                    "this conversation is in no queue: transfer it to a queue, "
                    "or ask a supervisor to assign it from one"
                )
            item_id = await queues_service.assign_manually(
                conn,
                item["queue_id"],
                item["id"],
                request.agent_id,
                actor_id=caller.user_id,
                now=now,
                effects=effects,
            )
    except asyncpg.CheckViolationError:
        raise Conflict("the agent is at capacity") from None
    return Transferred(from_queue_id=from_queue, from_agent_id=holder, item_id=item_id)


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
        return await queues_service.transfer(
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
