"""``POST /api/v1/conversations/{id}/messages``: queue a message for sending; and
``POST /api/v1/conversations/{id}/phone-request``: ask a username customer for their phone."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from asyncpg import Record

from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.conversations.views import conversation_out, message_out
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.http.api import RouteTable, identity, json_response, path_uuid
from pytake_daemon.http.identity import Identity
from pytake_daemon.keys import DB_POOL, EVENT_BUS, SENDER
from pytake_daemon.protocol import MessageOut, MessageSent
from pytake_daemon.protocol.outgoing import PhoneRequest, SendMessageRequest
from pytake_daemon.whatsapp.phone_request import ask_for_phone
from pytake_daemon.whatsapp.send_service import Queued, queue_message

routes = RouteTable(tag="conversations")


@routes.post(
    "/api/v1/conversations/{id}/messages",
    summary=(
        "Queue a message (201; 200 when idempotency_key repeats an earlier request). "
        "409 outside the 24-hour window for anything but a template, and for an "
        "authentication template to a customer without a phone number (Meta: 131062)"
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
        read = await _read_back(conn, queued)
    return await _answer(request, who, queued, read, now)


@routes.post(
    "/api/v1/conversations/{id}/phone-request",
    summary=(
        "Ask a customer known only by their username to share their phone number: WhatsApp's "
        "request_contact_info message inside the 24-hour window, an approved utility template "
        "with a REQUEST_CONTACT_INFO button outside it (201; 200 when idempotency_key repeats). "
        "409 when the phone is already known, or outside the window with no such template"
    ),
    body=PhoneRequest,
    response=MessageOut,
    status=201,
    also_ok=(200,),
    errors=(404, 409, 422),
)
async def request_phone(request: web.Request, body: PhoneRequest) -> web.StreamResponse:
    who = identity(request)
    conversation_id = path_uuid(request)
    now = datetime.now(UTC)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        queued, _ = await ask_for_phone(
            conn,
            conversation_id,
            text=body.text,
            sent_by=who.user_id,
            now=now,
            idempotency_key=body.idempotency_key,
        )
        read = await _read_back(conn, queued)
    return await _answer(request, who, queued, read, now)


async def _read_back(conn: Connection, queued: Queued) -> tuple[Record, Record | None]:
    """The queued message and its conversation, read in the transaction that queued it."""
    if queued.row is not None:
        row = queued.row
    else:  # a replayed request: the message queued the first time
        (row,) = await conversations_db.get_messages(conn, [queued.message_id])
    return row, await conversations_db.get_conversation(conn, queued.conversation_id)


async def _answer(
    request: web.Request,
    who: Identity,
    queued: Queued,
    read: tuple[Record, Record | None],
    now: datetime,
) -> web.StreamResponse:
    """The queued message (201, or 200 for a replay); a new one wakes the sender and is
    announced to the tenant's clients."""
    row, conversation_row = read
    message = message_out(row)
    if queued.created:
        request.app[SENDER].wake()
        assert conversation_row is not None
        await request.app[EVENT_BUS].publish(
            who.tenant_id,
            MessageSent(conversation=conversation_out(conversation_row, now=now), message=message),
        )
    return json_response(message, status=201 if queued.created else 200)
