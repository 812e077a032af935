"""Handing one conversation over (``attendance.handover``), under ``/api/v1/conversations``.

``POST …/{id}/transfer`` is the door of the agent attending it (or a supervisor): to a queue or
an agent. ``POST …/{id}/assignment`` is a supervisor's, the one the console's monitor and chat
use, whether or not the conversation is in a queue: take it, give it to an agent (past their
capacity only with an explicit ``override_capacity``, recorded in the audit log), or put it in
a queue. Both keep the ``conversations`` tag of the API they belong to.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.attendance import handover
from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.conversations import db, service, views
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, EVENT_BUS, QUEUES
from pytake_daemon.protocol import ConversationOut, ConversationUpdated, Role
from pytake_daemon.protocol.conversations import AssignmentRequest, NoteOut, TransferRequest
from pytake_daemon.protocol.events import NoteAdded

routes = RouteTable(tag="conversations")


@routes.post(
    "/api/v1/conversations/{id}/assignment",
    summary=(
        "A supervisor takes a conversation, gives it to an agent (override_capacity: past "
        "their capacity, audited) or puts it in a queue, in a queue or not"
    ),
    body=AssignmentRequest,
    response=ConversationOut,
    role=Role.SUPERVISOR,
    errors=(404, 409, 422),
)
async def assign_conversation(request: web.Request, body: AssignmentRequest) -> ConversationOut:
    caller = identity(request)
    conversation_id = path_uuid(request)
    effects = Effects()
    now = datetime.now(UTC)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        done = await handover.assign(
            conn,
            conversation_id,
            body,
            handover.Caller(caller.user_id, caller.role),
            now=now,
            effects=effects,
        )
        if body.note and body.note.strip():
            await service.add_note(
                conn, conversation_id, caller.user_id, body.note.strip(), effects
            )
        agent = caller.user_id if body.take else body.agent_id
        await audit_in(
            request,
            conn,
            "conversation.assignment",
            target_type="conversation",
            target_id=conversation_id,
            diff=difference(
                {"queue_id": _text(done.from_queue_id), "agent_id": _text(done.from_agent_id)},
                {
                    "queue_id": _text(body.queue_id),
                    "agent_id": _text(agent),
                    "override_capacity": body.override_capacity,
                },
            ),
        )
        row = await db.get_conversation(conn, conversation_id)
    assert row is not None
    await request.app[QUEUES].after_commit(caller.tenant_id, effects)
    conversation = views.conversation_out(row, now=datetime.now(UTC))
    await request.app[EVENT_BUS].publish(
        caller.tenant_id, ConversationUpdated(conversation=conversation)
    )
    return conversation


@routes.post(
    "/api/v1/conversations/{id}/transfer",
    summary=(
        "Transfer a conversation to a queue or an agent (the agent attending it, or a "
        "supervisor); 409 when the agent is at capacity or the queue can't take it"
    ),
    body=TransferRequest,
    response=ConversationOut,
    role=Role.AGENT,
    errors=(403, 404, 409, 422),
)
async def transfer(request: web.Request, body: TransferRequest) -> ConversationOut:
    caller = identity(request)
    conversation_id = path_uuid(request)
    queues = request.app[QUEUES]
    effects = Effects()
    now = datetime.now(UTC)
    note: NoteOut | None = None
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        done = await handover.transfer(
            conn,
            conversation_id,
            body,
            handover.Caller(caller.user_id, caller.role),
            now=now,
            effects=effects,
        )
        if body.note and body.note.strip():
            added = await service.add_note(
                conn, conversation_id, caller.user_id, body.note.strip(), effects
            )
            note = added
        await audit_in(
            request,
            conn,
            "conversation.transfer",
            target_type="conversation",
            target_id=conversation_id,
            diff=difference(
                {
                    "queue_id": _text(done.from_queue_id),
                    "agent_id": _text(done.from_agent_id),
                },
                {"queue_id": _text(body.queue_id), "agent_id": _text(body.agent_id)},
            ),
        )
        row = await db.get_conversation(conn, conversation_id)
    assert row is not None
    await queues.after_commit(caller.tenant_id, effects)
    conversation = views.conversation_out(row, now=datetime.now(UTC))
    bus = request.app[EVENT_BUS]
    await bus.publish(caller.tenant_id, ConversationUpdated(conversation=conversation))
    if note is not None:
        await bus.publish(caller.tenant_id, NoteAdded(conversation=conversation, note=note))
    return conversation


def _text(value: object) -> str | None:
    return None if value is None else str(value)
