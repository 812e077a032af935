"""The whole WhatsApp path through the real app and the simulator (Meta's side): a customer's
message in, replies out through the outbox, statuses back, the 24-hour window, templates,
idempotency, and Meta's errors turned into sentences."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import ClientWebSocketResponse, web
from aiohttp.test_utils import TestClient

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, set_tenant, tenant_transaction
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import (
    MessageStatusUpdated,
    Role,
    TypingStart,
    TypingStop,
    parse_server_event,
)
from pytake_daemon.protocol import Typing as TypingFrame
from pytake_daemon.protocol.outgoing import SendMessageRequest, TextOut
from pytake_daemon.whatsapp.send_service import queue_message
from pytake_simulator.config import NumberConfig
from pytake_simulator.simulator import Simulator
from tests.conftest import MakeTenant
from tests.support import TenantData
from tests.whatsapp.wa_support import digits, simulated_world, stage_settled, stop_simulated_world

ApiClient = TestClient[web.Request, web.Application]
T = TypeVar("T")


@dataclass
class World:
    api: ApiClient
    sim: Simulator
    tenant: TenantData
    number_id: uuid.UUID
    number: NumberConfig

    @property
    def agent(self) -> dict[str, str]:
        return self.tenant[Role.AGENT].headers

    async def conversation_of(self, wa_id: str) -> dict[str, Any]:
        resp = await self.api.get("/api/v1/conversations", params={"q": wa_id}, headers=self.agent)
        assert resp.status == 200, await resp.text()
        items = (await resp.json())["items"]
        assert len(items) == 1, items
        return dict(items[0])

    async def customer_writes(self, wa_id: str, text: str) -> dict[str, Any]:
        wamid = await self.sim.customer(wa_id, name="Ana Souza").send_text(text)
        await self.sim.wait_acked(wamid)
        await stage_settled(self.api, self.tenant.id)
        return await self.conversation_of(wa_id)

    async def send(self, conversation_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        resp = await self.api.post(
            f"/api/v1/conversations/{conversation_id}/messages", json=body, headers=self.agent
        )
        return resp.status, await resp.json()

    async def message(self, conversation_id: str, message_id: str) -> dict[str, Any]:
        resp = await self.api.get(
            f"/api/v1/conversations/{conversation_id}/messages", headers=self.agent
        )
        for item in (await resp.json())["items"]:
            if item["id"] == message_id:
                return dict(item)
        raise AssertionError(f"message {message_id} not listed")


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[World]:
    base = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=7)
    try:
        yield World(base.api, base.sim, base.tenant, base.number_id, base.sim.default_number)
    finally:
        await stop_simulated_world(base, base.api)


async def status_event(ws: ClientWebSocketResponse, message_id: str, status: str) -> None:
    while True:
        envelope = parse_server_event(await asyncio.wait_for(ws.receive_str(), timeout=10))
        event = envelope.event
        if (
            isinstance(event, MessageStatusUpdated)
            and str(event.message_id) == message_id
            and event.status == status
        ):
            return


async def test_the_handshake_meta_performs_succeeds(world: World) -> None:
    result = await world.sim.verify_webhook()
    assert result.ok, result


async def test_customer_message_in_reply_out_and_statuses_back(world: World) -> None:
    customer = digits(12)
    conversation = await world.customer_writes(customer, "Hi! Where is my order #123?")
    assert conversation["contact"]["profile_name"] == "Ana Souza"
    assert conversation["unread_count"] == 1
    assert conversation["window"]["open"] is True
    async with world.api.ws_connect("/api/v1/ws", headers=world.agent) as ws:
        await ws.receive_str()  # hello
        code, message = await world.send(
            conversation["id"], {"content": {"type": "text", "body": "It ships today!"}}
        )
        assert code == 201, message
        assert message["status"] == "pending"
        [sent] = await world.sim.wait_for_outbound(to=customer)
        assert sent.body["text"]["body"] == "It ships today!"
        await world.sim.wait_for_status(sent.id, "delivered")
        world.sim.customer_read(customer)
        await status_event(ws, message["id"], "read")
    stored = await world.message(conversation["id"], message["id"])
    assert stored["status"] == "read"
    assert stored["wa_message_id"] == sent.id


async def test_free_form_outside_the_window_is_refused_and_a_template_goes_through(
    world: World, admin_conn: Connection
) -> None:
    customer = digits(12)
    conversation = await world.customer_writes(customer, "hello")
    # A day and more passes: for Meta (the simulator's clock) and for us (the stored window).
    world.sim.advance_clock(timedelta(hours=25).total_seconds())
    async with admin_conn.transaction():
        await set_tenant(admin_conn, world.tenant.id)
        await admin_conn.execute(
            "UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = $1",
            uuid.UUID(conversation["id"]),
        )
    code, problem = await world.send(
        conversation["id"], {"content": {"type": "text", "body": "Still there?"}}
    )
    assert code == 409
    assert "24 hours" in problem["detail"]
    assert "template" in problem["detail"]
    assert world.sim.outbound_messages(to=customer) == []

    sync = await world.api.post(
        "/api/v1/whatsapp/templates/sync", headers=world.tenant[Role.ADMIN].headers
    )
    assert sync.status == 200, await sync.text()
    assert (await sync.json())["templates"] >= 3
    template = {
        "type": "template",
        "name": "order_update",
        "language": "en_US",
        "components": [{"type": "body", "parameters": ["Ana", "#123"]}],
    }
    code, message = await world.send(conversation["id"], {"content": template})
    assert code == 201, message
    [sent] = await world.sim.wait_for_outbound(to=customer)
    assert sent.type == "template"
    await world.sim.wait_for_status(sent.id, "sent")

    wrong = {**template, "components": [{"type": "body", "parameters": ["Ana"]}]}
    code, problem = await world.send(conversation["id"], {"content": wrong})
    assert code == 422
    assert "2 parameters" in problem["detail"] or "expects 2" in problem["detail"]
    unknown = {**template, "name": "no_such_template"}
    code, problem = await world.send(conversation["id"], {"content": unknown})
    assert code == 422
    assert "doesn't exist" in problem["detail"]


async def test_a_window_meta_says_is_closed_fails_with_the_plain_explanation(
    world: World,
) -> None:
    customer = digits(12)
    conversation = await world.customer_writes(customer, "hello")
    # Our copy still thinks the window is open; Meta's clock moved on.
    world.sim.advance_clock(timedelta(hours=25).total_seconds())
    code, message = await world.send(
        conversation["id"], {"content": {"type": "text", "body": "Are you there?"}}
    )
    assert code == 201
    [sent] = await world.sim.wait_for_outbound(to=customer)
    await world.sim.wait_for_status(sent.id, "failed")

    async def failed() -> dict[str, Any]:
        while True:
            stored = await world.message(conversation["id"], message["id"])
            if stored["status"] == "failed":
                return stored
            await asyncio.sleep(0.02)  # polling the API as a client would

    stored = await asyncio.wait_for(failed(), timeout=10)
    assert stored["error"]["code"] == 131047
    assert "24 hours" in stored["error"]["explanation"]


async def test_an_idempotency_key_sends_once(world: World) -> None:
    customer = digits(12)
    conversation = await world.customer_writes(customer, "hello")
    body = {"content": {"type": "text", "body": "Once only"}, "idempotency_key": "k-1"}
    first = await world.send(conversation["id"], body)
    second = await world.send(conversation["id"], body)
    assert first[0] == 201
    assert second[0] == 200
    assert first[1]["id"] == second[1]["id"]
    other = await world.send(
        conversation["id"],
        {"content": {"type": "text", "body": "Different"}, "idempotency_key": "k-1"},
    )
    assert other[0] == 409
    await world.sim.wait_for_outbound(to=customer)
    await world.sim.wait_settled()
    assert len(world.sim.outbound_messages(to=customer)) == 1


async def test_a_retry_after_the_window_closed_still_gets_the_first_answer(
    world: World, admin_conn: Connection
) -> None:
    """The key is looked up only when a send is refused or the key is taken: a retry that
    would now be refused (the 24-hour window closed in between) is still the first send."""
    customer = digits(12)
    conversation = await world.customer_writes(customer, "hello")
    body = {"content": {"type": "text", "body": "Chegou!"}, "idempotency_key": "k-window"}
    first = await world.send(conversation["id"], body)
    assert first[0] == 201
    await admin_conn.execute(
        "UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = $1",
        uuid.UUID(conversation["id"]),
    )
    retry = await world.send(conversation["id"], body)
    assert retry[0] == 200
    assert retry[1]["id"] == first[1]["id"]
    fresh = await world.send(
        conversation["id"], {"content": {"type": "text", "body": "Outro"}, "idempotency_key": "k-2"}
    )
    assert fresh[0] == 409


async def test_a_customer_not_on_whatsapp_fails_with_131026(world: World) -> None:
    customer = digits(12)
    conversation = await world.customer_writes(customer, "hello")
    world.sim.set_customer(customer, on_whatsapp=False)
    # Listening before the send (see the rejected token's test).
    async with world.api.ws_connect("/api/v1/ws", headers=world.agent) as ws:
        await ws.receive_str()
        code, message = await world.send(
            conversation["id"], {"content": {"type": "text", "body": "ping"}}
        )
        assert code == 201
        await status_event(ws, message["id"], "failed")
    stored = await world.message(conversation["id"], message["id"])
    assert stored["error"]["code"] == 131026
    assert stored["error"]["explanation"]


async def test_a_rejected_token_fails_at_once_without_retrying(
    world: World, admin_conn: Connection
) -> None:
    customer = digits(12)
    conversation = await world.customer_writes(customer, "hello")
    box = world.api.app[__import__("pytake_daemon.keys", fromlist=["SECRET_BOX"]).SECRET_BOX]
    await admin_conn.execute(
        "UPDATE whatsapp_numbers SET access_token_enc = $1 WHERE id = $2",
        box.encrypt("EAAGexpired"),
        world.number_id,
    )
    # Listening before the send: a refusal can be recorded (and its event sent) before a
    # stream opened after the send is subscribed.
    async with world.api.ws_connect("/api/v1/ws", headers=world.agent) as ws:
        await ws.receive_str()
        code, message = await world.send(
            conversation["id"], {"content": {"type": "text", "body": "ping"}}
        )
        assert code == 201
        await status_event(ws, message["id"], "failed")
    stored = await world.message(conversation["id"], message["id"])
    assert stored["error"]["code"] == 190
    assert "token" in stored["error"]["explanation"]
    assert world.sim.outbound_messages(to=customer) == []
    attempts = await admin_conn.fetchval(
        "SELECT count(*) FROM outbox WHERE message_id = $1", uuid.UUID(message["id"])
    )
    assert attempts == 0


async def test_throughput_limit_is_retried_until_everything_is_sent(world: World) -> None:
    # Meta lets this number send 2/s; we believe 80/s: the excess gets 130429 and is retried.
    world.sim.number(world.number.phone_number_id).throughput_mps = 2.0
    customer = digits(12)
    conversation = await world.customer_writes(customer, "hello")
    ids = []
    for i in range(6):
        code, message = await world.send(
            conversation["id"], {"content": {"type": "text", "body": f"part {i}"}}
        )
        assert code == 201
        ids.append(message["id"])
    sent = await world.sim.wait_for_outbound(to=customer, count=6, timeout=20)
    # Retries hold the later parts back: they still arrive in the order they were queued.
    assert [m.body["text"]["body"] for m in sent] == [f"part {i}" for i in range(6)]


async def test_messages_queued_in_one_transaction_leave_in_that_order(world: World) -> None:
    # A flow step queues several messages in one transaction (one created_at for all), and the
    # sender runs many sends at once: the customer must still read them in order.
    customer = digits(12)
    conversation = await world.customer_writes(customer, "hello")
    texts = [f"step {i}" for i in range(8)]
    async with tenant_transaction(world.api.app[DB_POOL], world.tenant.id) as conn:
        for text in texts:
            request = SendMessageRequest(content=TextOut(body=text))
            await queue_message(
                conn, uuid.UUID(conversation["id"]), request, sent_by=None, now=datetime.now(UTC)
            )
    sent = await world.sim.wait_for_outbound(to=customer, count=len(texts), timeout=20)
    assert [m.body["text"]["body"] for m in sent] == texts


async def test_templates_list_filters_and_a_submitted_template_gets_approved(
    world: World,
) -> None:
    admin = world.tenant[Role.ADMIN].headers
    assert (await world.api.post("/api/v1/whatsapp/templates/sync", headers=admin)).status == 200
    resp = await world.api.get(
        "/api/v1/whatsapp/templates",
        params={"status": "approved", "language": "pt_BR"},
        headers=admin,
    )
    names = {t["name"] for t in (await resp.json())["items"]}
    assert "appointment_reminder" in names
    created = await world.api.post(
        "/api/v1/whatsapp/templates",
        json={
            "number_id": str(world.number_id),
            "name": "shipping_notice",
            "language": "en_US",
            "category": "UTILITY",
            "components": [
                {
                    "type": "BODY",
                    "text": "Hi {{1}}, it shipped.",
                    "example": {"body_text": [["Ana"]]},
                }
            ],
        },
        headers=admin,
    )
    assert created.status == 201, await created.text()
    assert (await created.json())["status"] == "PENDING"

    async def approved() -> None:
        while True:
            resp = await world.api.get(
                "/api/v1/whatsapp/templates", params={"name": "shipping_notice"}, headers=admin
            )
            items = (await resp.json())["items"]
            if items and items[0]["status"] == "APPROVED":
                return
            await asyncio.sleep(0.02)  # polling the API as a client would

    await asyncio.wait_for(approved(), timeout=10)


async def test_media_both_ways(world: World) -> None:
    customer = digits(12)
    await world.customer_writes(customer, "hello")
    wamid = await world.sim.customer(customer).send_image(caption="my receipt")
    await world.sim.wait_acked(wamid)
    await stage_settled(world.api, world.tenant.id)
    conversation = await world.conversation_of(customer)
    resp = await world.api.get(
        f"/api/v1/conversations/{conversation['id']}/messages", headers=world.agent
    )
    image = next(m for m in (await resp.json())["items"] if m["type"] == "image")
    assert image["text"] == "[image] my receipt"
    media = await world.api.get(
        f"/api/v1/conversations/{conversation['id']}/messages/{image['id']}/media",
        headers=world.agent,
    )
    assert media.status == 200, await media.text()
    assert media.content_type.startswith("image/")
    assert len(await media.read()) > 0

    form = aiohttp.FormData()
    form.add_field(
        "file", b"\x89PNG\r\n\x1a\n" + b"0" * 64, filename="a.png", content_type="image/png"
    )
    up = await world.api.post(
        f"/api/v1/whatsapp/numbers/{world.number_id}/media", data=form, headers=world.agent
    )
    assert up.status == 201, await up.text()
    media_id = (await up.json())["media_id"]
    code, message = await world.send(
        conversation["id"], {"content": {"type": "image", "media_id": media_id, "caption": "here"}}
    )
    assert code == 201, message
    [sent] = await world.sim.wait_for_outbound(to=customer)
    assert sent.body["image"]["id"] == media_id
    text = await world.api.get(
        f"/api/v1/conversations/{conversation['id']}/messages/{message['id']}/media",
        headers=world.agent,
    )
    assert text.status == 404  # our own message: nothing to download from Meta


async def test_reading_and_typing_show_on_the_customers_phone(world: World) -> None:
    customer = digits(12)
    wamid = await world.sim.customer(customer, name="Ana").send_text("anyone there?")
    await world.sim.wait_acked(wamid)
    await stage_settled(world.api, world.tenant.id)
    conversation = await world.conversation_of(customer)

    read = await world.api.patch(
        f"/api/v1/conversations/{conversation['id']}/read", headers=world.agent
    )
    assert read.status == 200
    assert (await read.json())["unread_count"] == 0
    await world.sim.wait_for(
        lambda: world.sim.inbound_message(wamid).read_by_business, what="the read receipt"
    )

    supervisor = world.tenant[Role.SUPERVISOR]
    async with (
        world.api.ws_connect("/api/v1/ws", headers=world.agent) as agent_ws,
        world.api.ws_connect("/api/v1/ws", headers=supervisor.headers) as watcher,
    ):
        await agent_ws.receive_str()
        await watcher.receive_str()
        await agent_ws.send_str(
            TypingFrame(
                conversation_id=uuid.UUID(conversation["id"]), typing=True
            ).model_dump_json()
        )
        started = await next_of(watcher, TypingStart)
        assert started.user_id == world.tenant[Role.AGENT].id
        await world.sim.wait_for(
            lambda: world.sim.inbound_message(wamid).typing_indicator, what="typing…"
        )
        await agent_ws.send_str(
            TypingFrame(
                conversation_id=uuid.UUID(conversation["id"]), typing=False
            ).model_dump_json()
        )
        stopped = await next_of(watcher, TypingStop)
        assert str(stopped.conversation_id) == conversation["id"]


async def next_of(ws: ClientWebSocketResponse, kind: type[T]) -> T:
    while True:
        event = parse_server_event(await asyncio.wait_for(ws.receive_str(), timeout=10)).event
        if isinstance(event, kind):
            return event
