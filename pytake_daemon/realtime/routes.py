"""``WS /api/v1/ws`` (also at the original path ``/api/v1/conversations/ws``)."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from aiohttp import WSMsgType, web
from pydantic import TypeAdapter, ValidationError

from pytake_daemon.http.api import RouteTable, identity
from pytake_daemon.keys import DB_POOL, EVENT_BUS, HUB, QUEUES, READ_RECEIPTS, SETTINGS
from pytake_daemon.protocol import EventEnvelope, Hello
from pytake_daemon.protocol.events import ClientEvent, Typing, TypingStart, TypingStop
from pytake_daemon.realtime.bus import current_seq
from pytake_daemon.realtime.hub import Client

log = structlog.get_logger("pytake.realtime")

routes = RouteTable(tag="realtime")

_client_event: TypeAdapter[ClientEvent] = TypeAdapter(ClientEvent)


async def _typing(request: web.Request, frame: Typing) -> None:
    """Show other agents who is typing; show the customer "typing…" (debounced)."""
    who = identity(request)
    event: TypingStart | TypingStop
    if frame.typing:
        event = TypingStart(conversation_id=frame.conversation_id, user_id=who.user_id)
        request.app[READ_RECEIPTS].agent_typing(who.tenant_id, frame.conversation_id)
    else:
        event = TypingStop(conversation_id=frame.conversation_id, user_id=who.user_id)
    await request.app[EVENT_BUS].publish(who.tenant_id, event)


async def websocket(request: web.Request) -> web.StreamResponse:
    # Authentication already happened: the route table answers 401 (no 101) without a token.
    who = identity(request)
    settings = request.app[SETTINGS].realtime
    ws = web.WebSocketResponse(heartbeat=settings.heartbeat_seconds, max_msg_size=64 * 1024)
    client = Client(ws, who, queue_size=settings.client_queue_size)
    hub = request.app[HUB]
    # Join the hub before reading the sequence number: an event published in between is then
    # queued (and ignored by the client as not newer than Hello) instead of silently missed.
    hub.add(client)
    presence: str | None = None
    try:
        # Read before the upgrade, so an unreachable database is a 503, not a broken socket.
        seq = await current_seq(request.app[DB_POOL], who.tenant_id)
        await ws.prepare(request)
        hello = EventEnvelope(
            seq=seq,
            tenant_id=who.tenant_id,
            at=datetime.now(UTC),
            event=Hello(
                user_id=who.user_id,
                tenant_id=who.tenant_id,
                role=who.role,
                server_time=datetime.now(UTC),
            ),
        )
        await ws.send_str(hello.model_dump_json())
        hub.started_at(who.tenant_id, seq)
        client.start()
        presence = await request.app[QUEUES].presence.connected(who.tenant_id, who.user_id)
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                try:
                    frame = _client_event.validate_json(message.data)
                except ValidationError:
                    continue
                if isinstance(frame, Typing):
                    await _typing(request, frame)
            elif message.type is WSMsgType.ERROR:
                log.info("websocket error", error=str(ws.exception()))
    finally:
        hub.remove(client)
        await client.stop()
        if presence is not None:
            await request.app[QUEUES].presence.disconnected(presence)
    return ws


_SUMMARY = "WebSocket of live events (Authorization: Bearer at the upgrade; 401, no 101)"
routes.get("/api/v1/ws", summary=_SUMMARY)(websocket)
# The original product's path, kept so its clients' URL works unchanged.
routes.get("/api/v1/conversations/ws", summary=_SUMMARY, operation_id="conversations_websocket")(
    websocket
)
