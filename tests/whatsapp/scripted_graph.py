"""A Graph API send endpoint whose answers a test scripts (a refusal without a code, an answer
held until the test has stopped PostgreSQL), and a conversation with a reply queued to it."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestServer

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol.outgoing import SendMessageRequest, TextOut
from pytake_daemon.whatsapp.send_service import queue_message
from tests.whatsapp.wa_support import ApiClient, Number, envelope, post_signed, text_message

Answer = Callable[[], Awaitable[web.Response]]


@dataclass
class ScriptedGraph:
    """Answers each send with the next of ``answers`` (then accepts), noting when it came."""

    answers: list[Answer] = field(default_factory=list)
    calls: list[float] = field(default_factory=list)
    called: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, request: web.Request) -> web.Response:
        await request.read()
        self.calls.append(asyncio.get_running_loop().time())
        self.called.set()
        if self.answers:
            return await self.answers.pop(0)()
        return accepted()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{number}/messages", self.send)
        return app


def accepted() -> web.Response:
    return web.json_response(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": "5511999990000", "wa_id": "5511999990000"}],
            "messages": [{"id": f"wamid.{secrets.token_urlsafe(24)}"}],
        }
    )


async def serve(graph: ScriptedGraph) -> TestServer:
    server = TestServer(graph.app(), host="127.0.0.1")
    await server.start_server()
    return server


CUSTOMER = "5511999990000"
_TS = 1_700_000_000


async def queued_reply(
    api: ApiClient, admin_conn: Connection, tenant_id: uuid.UUID, number: Number
) -> uuid.UUID:
    """The customer writes (through the webhook) and a reply is queued inside their window."""
    payload = envelope(number, messages=[text_message(CUSTOMER, "hello", ts=_TS)])
    code, body = await post_signed(api, payload, number.app_secret)
    assert code == 200, body
    conversation: uuid.UUID | None = None
    deadline = asyncio.get_running_loop().time() + 10.0
    while conversation is None:
        assert asyncio.get_running_loop().time() < deadline, "the conversation never appeared"
        async with admin_conn.transaction():
            await set_tenant(admin_conn, tenant_id)
            conversation = await admin_conn.fetchval(
                "SELECT id FROM conversations WHERE number_id = $1", number.id
            )
        if conversation is None:
            await asyncio.sleep(0.02)  # polling the database with a deadline
    request = SendMessageRequest(content=TextOut(body="we are on it"))
    # The clock pinned a minute after the customer wrote: inside the 24 h window.
    now = datetime.fromtimestamp(_TS, UTC) + timedelta(minutes=1)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant_id)
        queued = await queue_message(admin_conn, conversation, request, sent_by=None, now=now)
    return queued.message_id
