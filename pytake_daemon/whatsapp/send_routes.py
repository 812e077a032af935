"""``POST /api/v1/conversations/{id}/messages``: queue a message for sending."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations.views import conversation_out, message_out
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.http.api import RouteTable, identity, json_response, path_uuid
from pytake_daemon.keys import DB_POOL, EVENT_BUS, SENDER
from pytake_daemon.protocol import MessageOut, MessageSent
from pytake_daemon.protocol.outgoing import SendMessageRequest
from pytake_daemon.whatsapp.send_service import queue_message

routes = RouteTable(tag="conversations")


@routes.post(
    "/api/v1/conversations/{id}/messages",
    summary=(
        "Queue a message (201; 200 when idempotency_key repeats an earlier request). "
        "409 outside the 24-hour window for anything but a template"
    ),
    body=SendMessageRequest,
    response=MessageOut,
    status=201,
    also_ok=(200,),
    errors=(404, 409, 422),
)
async def send_message(request: web.Request, body: SendMessageRequest) -> web.StreamResponse:
    who = identity(request)
    conversation_id = path_uuid(request)
    now = datetime.now(UTC)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        queued = await queue_message(conn, conversation_id, body, sent_by=who.user_id, now=now)
        (row,) = await conversations_db.get_messages(conn, [queued.message_id])
        conversation_row = await conversations_db.get_conversation(conn, conversation_id)
    message = message_out(row)
    if queued.created:
        request.app[SENDER].wake()
        assert conversation_row is not None
        await request.app[EVENT_BUS].publish(
            who.tenant_id,
            MessageSent(conversation=conversation_out(conversation_row, now=now), message=message),
        )
    return json_response(message, status=201 if queued.created else 200)
