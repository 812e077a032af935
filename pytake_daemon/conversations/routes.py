"""``/api/v1/conversations``: the inbox (lists, search, a thread's messages, read and status)
and the agents' actions on a conversation (internal notes, tags). Handing one over (transfer,
assignment) is attendance's: ``attendance/handover_routes.py``.

Every agent sees every conversation of the tenant for now; queues will narrow what an agent sees
(supervisors and above keep seeing everything). Sending a message is the outbox's route.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.conversations import cursors, db, notes_db, service, timeline_db, views
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.errors import NotFound
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, EVENT_BUS, QUEUES, READ_RECEIPTS
from pytake_daemon.protocol import (
    ConversationList,
    ConversationOut,
    ConversationQuery,
    ConversationStats,
    ConversationStatusUpdate,
    ConversationUpdated,
    MessageList,
    MessageQuery,
    Role,
)
from pytake_daemon.protocol.conversations import (
    NoteCreate,
    NoteList,
    NoteOut,
    TagsUpdate,
)
from pytake_daemon.protocol.events import NoteAdded

routes = RouteTable(tag="conversations")

_NOT_FOUND = "no such conversation"


def _filters(query: ConversationQuery, caller_id: uuid.UUID) -> db.ConversationFilters:
    agent = query.agent
    assigned: uuid.UUID | None = None
    if agent == "me":
        assigned = caller_id
    elif isinstance(agent, uuid.UUID):
        assigned = agent
    return db.ConversationFilters(
        status=query.status.value if query.status is not None else None,
        assigned_user_id=assigned,
        unassigned=agent == "none",
        number_id=query.number_id,
        since=query.since,
        until=query.until,
        unread=query.unread,
        search=query.q,
    )


@routes.get(
    "/api/v1/conversations",
    summary="Conversations, most recent message first (filters, search, keyset pages)",
    query=ConversationQuery,
    response=ConversationList,
    role=Role.AGENT,
)
async def list_conversations(request: web.Request, query: ConversationQuery) -> ConversationList:
    caller = identity(request)
    after = cursors.decode(query.cursor, nullable=True) if query.cursor else None
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await db.list_conversations(
            conn, _filters(query, caller.user_id), after=after, limit=query.limit + 1
        )
    now = datetime.now(UTC)
    page = rows[: query.limit]
    next_cursor = None
    if len(rows) > query.limit:
        last = page[-1]
        next_cursor = cursors.encode(last["last_message_at"], last["id"])
    return ConversationList(
        items=[views.conversation_out(r, now=now) for r in page], next_cursor=next_cursor
    )


# Registered before "/{id}" so "stats" is never read as an id (aiohttp prefers the literal path
# anyway; the order makes that independent of the router's version).
@routes.get(
    "/api/v1/conversations/stats",
    summary="Inbox counts for the tenant; 'today' is the current UTC day (since 00:00 UTC)",
    response=ConversationStats,
    role=Role.AGENT,
)
async def conversation_stats(request: web.Request) -> ConversationStats:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await db.stats(conn, datetime.now(UTC))
    return views.stats_out(row)


@routes.get(
    "/api/v1/conversations/{id}",
    summary="One conversation",
    response=ConversationOut,
    role=Role.AGENT,
    errors=(404,),
)
async def get_conversation(request: web.Request) -> ConversationOut:
    caller = identity(request)
    conversation_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await db.get_conversation(conn, conversation_id)
    if row is None:
        raise NotFound(_NOT_FOUND)
    return views.conversation_out(row, now=datetime.now(UTC))


@routes.get(
    "/api/v1/conversations/{id}/messages",
    summary="A conversation's messages, newest first (keyset pages)",
    query=MessageQuery,
    response=MessageList,
    role=Role.AGENT,
    errors=(404,),
)
async def list_messages(request: web.Request, query: MessageQuery) -> MessageList:
    caller = identity(request)
    conversation_id = path_uuid(request)
    after = None
    if query.cursor:
        at, message_id = cursors.decode(query.cursor)
        assert at is not None  # decode() refuses a null timestamp unless nullable
        after = (at, message_id)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if not await db.conversation_exists(conn, conversation_id):
            raise NotFound(_NOT_FOUND)
        rows = await db.list_messages(conn, conversation_id, after=after, limit=query.limit + 1)
        page = rows[: query.limit]
        # This page's span of system lines: newer than its oldest message (unless it is the
        # last page) and older than the cursor, so the pages' spans never overlap.
        oldest = (page[-1]["created_at"], page[-1]["id"]) if len(rows) > query.limit else None
        lines = await timeline_db.lines_in_span(
            conn, conversation_id, before=after, after=oldest, limit=service.LINES_SHOWN
        )
    next_cursor = None
    if oldest is not None:
        next_cursor = cursors.encode(*oldest)
    return MessageList(
        items=[views.message_out(r) for r in page],
        next_cursor=next_cursor,
        events=[views.event_out(r) for r in lines],
    )


@routes.patch(
    "/api/v1/conversations/{id}/read",
    summary="Mark a conversation read (unread count to zero)",
    response=ConversationOut,
    role=Role.AGENT,
    errors=(404,),
)
async def mark_read(request: web.Request) -> ConversationOut:
    caller = identity(request)
    conversation_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        changed = await db.mark_read(conn, conversation_id)
        row = await db.get_conversation(conn, conversation_id)
    if row is None:
        raise NotFound(_NOT_FOUND)
    conversation = views.conversation_out(row, now=datetime.now(UTC))
    if changed:
        # The blue ticks on the customer's phone (best effort, in the background).
        request.app[READ_RECEIPTS].conversation_read(caller.tenant_id, conversation_id)
        await request.app[EVENT_BUS].publish(
            caller.tenant_id, ConversationUpdated(conversation=conversation)
        )
    return conversation


@routes.patch(
    "/api/v1/conversations/{id}/status",
    summary="Change a conversation's status (open, pending, snoozed, resolved)",
    body=ConversationStatusUpdate,
    response=ConversationOut,
    role=Role.AGENT,
    errors=(404,),
)
async def set_status(request: web.Request, body: ConversationStatusUpdate) -> ConversationOut:
    caller = identity(request)
    conversation_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before = await db.get_conversation(conn, conversation_id)
        # Closing ends its queue attendance first (item → agent → conversation lock order).
        queues = request.app[QUEUES]
        closing = await queues.on_status(conn, before, body.status.value, caller.user_id)
        changed = await db.set_status(conn, conversation_id, body.status.value)
        await queues.after_status(conn, before, body.status.value, caller.user_id, closing)
        row = await db.get_conversation(conn, conversation_id)
        if changed and before is not None:
            await audit_in(
                request,
                conn,
                "conversation.status",
                target_type="conversation",
                target_id=conversation_id,
                diff=difference({"status": before["status"]}, {"status": body.status.value}),
            )
    if row is None:
        raise NotFound(_NOT_FOUND)
    await request.app[QUEUES].after_commit(caller.tenant_id, closing)
    conversation = views.conversation_out(row, now=datetime.now(UTC))
    if changed:
        await request.app[EVENT_BUS].publish(
            caller.tenant_id, ConversationUpdated(conversation=conversation)
        )
    return conversation


# --- agents' actions -------------------------------------------------------------------------


@routes.get(
    "/api/v1/conversations/{id}/notes",
    summary="A conversation's internal notes, oldest first (the latest 500)",
    response=NoteList,
    role=Role.AGENT,
    errors=(404,),
)
async def list_notes(request: web.Request) -> NoteList:
    caller = identity(request)
    conversation_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if not await db.conversation_exists(conn, conversation_id):
            raise NotFound(_NOT_FOUND)
        rows = await notes_db.list_notes(conn, conversation_id, limit=service.NOTES_SHOWN)
    return NoteList(items=rows)


@routes.post(
    "/api/v1/conversations/{id}/notes",
    summary="Add an internal note: agents see it in the thread, the customer never does",
    body=NoteCreate,
    response=NoteOut,
    status=201,
    role=Role.AGENT,
    errors=(404,),
)
async def add_note(request: web.Request, body: NoteCreate) -> NoteOut:
    caller = identity(request)
    conversation_id = path_uuid(request)
    lines = Effects()
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await service.add_note(conn, conversation_id, caller.user_id, body.body, lines)
        # The note's text stays out of the audit log: it is the agents' own, and it is kept.
        await audit_in(
            request,
            conn,
            "conversation.note",
            target_type="conversation",
            target_id=conversation_id,
            diff=difference(None, {"note_id": str(row.id)}),
        )
        conversation = await db.get_conversation(conn, conversation_id)
    assert conversation is not None  # add_note found it in this transaction
    note = row
    await request.app[EVENT_BUS].publish(
        caller.tenant_id,
        NoteAdded(
            conversation=views.conversation_out(conversation, now=datetime.now(UTC)), note=note
        ),
    )
    await request.app[EVENT_BUS].publish_many(caller.tenant_id, lines.events)
    return note


@routes.put(
    "/api/v1/conversations/{id}/tags",
    summary="Replace a conversation's tags (trimmed, lower-cased, sorted)",
    body=TagsUpdate,
    response=ConversationOut,
    role=Role.AGENT,
    errors=(404,),
)
async def set_tags(request: web.Request, body: TagsUpdate) -> ConversationOut:
    caller = identity(request)
    conversation_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before = await db.lock_conversation(conn, conversation_id)
        if before is None:
            raise NotFound(_NOT_FOUND)
        changed = await db.set_tags(conn, conversation_id, body.tags)
        if changed:
            await audit_in(
                request,
                conn,
                "conversation.tags",
                target_type="conversation",
                target_id=conversation_id,
                diff=difference({"tags": list(before["tags"])}, {"tags": body.tags}),
            )
        row = await db.get_conversation(conn, conversation_id)
    assert row is not None
    conversation = views.conversation_out(row, now=datetime.now(UTC))
    if changed:
        await request.app[EVENT_BUS].publish(
            caller.tenant_id, ConversationUpdated(conversation=conversation)
        )
    return conversation
