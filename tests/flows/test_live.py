"""Flows against the real app and the simulator (Meta's side): the API, a segment flow from a
customer's "oi" to the transfer, the execution log, restarts in the middle of an ask or a delay,
and a message delivered twice."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientWebSocketResponse, web
from aiohttp.test_utils import TestClient

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.flows import stepping
from pytake_daemon.flows.engine import FlowEngine, Inbound
from pytake_daemon.keys import FLOW_RUNNER
from pytake_daemon.protocol import MessageSent, Role, parse_server_event
from pytake_simulator.simulator import Simulator
from pytake_simulator.state import OutboundMessage
from tests.conftest import MakeTenant
from tests.flows.builders import chain
from tests.queues.support import eventually
from tests.support import TenantData
from tests.whatsapp.wa_support import (
    WEBHOOK,
    digits,
    simulated_world,
    stop_simulated_world,
)

ApiClient = TestClient[web.Request, web.Application]
SEGMENTS = Path(__file__).resolve().parents[2] / "flows" / "segments"


def shown(message: OutboundMessage) -> str:
    body = message.body
    if message.type == "text":
        return str(body["text"]["body"])
    if message.type == "interactive":
        return str(body["interactive"]["body"]["text"])
    return message.type


@dataclass
class World:
    make_api: Callable[[], Awaitable[ApiClient]]
    api: ApiClient
    sim: Simulator
    tenant: TenantData

    @property
    def admin(self) -> dict[str, str]:
        return self.tenant[Role.ADMIN].headers

    async def restart(self) -> None:
        await self.api.close()
        self.api = await self.make_api()
        self.sim.webhook_url = str(self.api.make_url(WEBHOOK))

    async def publish(self, document: dict[str, Any]) -> str:
        resp = await self.api.post("/api/v1/flows", json=document, headers=self.admin)
        assert resp.status == 201, await resp.text()
        flow_id = str((await resp.json())["id"])
        resp = await self.api.post(f"/api/v1/flows/{flow_id}/publish", json={}, headers=self.admin)
        assert resp.status == 200, await resp.text()
        return flow_id

    async def bot_says(self, customer: str, text: str, timeout: float = 10) -> None:
        await self.sim.wait_for(
            lambda: any(text in shown(m) for m in self.sim.outbound_messages(to=customer)),
            timeout,
            f"the bot saying {text!r}",
        )

    async def session(self, flow_id: str) -> dict[str, Any]:
        resp = await self.api.get(f"/api/v1/flows/{flow_id}/sessions", headers=self.admin)
        [listed] = (await resp.json())["items"]
        resp = await self.api.get(f"/api/v1/flow-sessions/{listed['id']}", headers=self.admin)
        assert resp.status == 200
        return dict(await resp.json())


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[World]:
    base = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=5)
    w = World(base.make_api, base.api, base.sim, base.tenant)
    try:
        yield w
    finally:
        await stop_simulated_world(base, w.api)


async def test_retail_flow_from_oi_to_the_transfer_with_the_whole_log(
    world: World, admin_conn: Connection
) -> None:
    document = yaml.safe_load((SEGMENTS / "retail.yaml").read_text())
    flow_id = await world.publish(document)
    # The flow file names its queue "pedidos": the transfer finds it by name.
    queue = await world.api.post(
        "/api/v1/queues", json={"name": "pedidos"}, headers=world.tenant[Role.ADMIN].headers
    )
    assert queue.status == 201, await queue.text()
    queue_id = uuid.UUID((await queue.json())["id"])
    customer = digits(12)
    ana = world.sim.customer(customer, name="Ana")
    await ana.send_text("oi")
    await world.bot_says(customer, "Olá Ana")
    await world.bot_says(customer, "Como podemos ajudar?")
    await ana.reply_button("Pedido", "Pedido")
    await world.bot_says(customer, "número do seu pedido")
    await ana.send_text("98765")
    await world.bot_says(customer, "verificar o pedido 98765")

    session = await world.session(flow_id)
    assert session["status"] == "ended"
    assert session["end_reason"] == "transferred"
    assert session["variables"] == {"assunto": "Pedido", "pedido": "98765", "message.text": "oi"}
    assert [s["node_id"] for s in session["steps"]] == [
        "start",
        "hello",
        "menu",
        "menu",
        "is_order",
        "order",
        "order",
        "tag_order",
        "to_orders",
    ]
    assert all(s["duration_ms"] >= 0 and s["error"] is None for s in session["steps"])
    async with admin_conn.transaction():
        await set_tenant(admin_conn, world.tenant.id)
        transfer = await admin_conn.fetchrow(
            "SELECT t.*, c.status AS conversation_status FROM flow_transfers t"
            " JOIN conversations c ON c.id = t.conversation_id WHERE t.session_id = $1",
            uuid.UUID(session["id"]),
        )
    assert transfer is not None
    assert (transfer["queue_id"], transfer["queue_name"], transfer["priority"]) == (
        "pedidos",
        "Pedidos",
        1,
    )
    assert transfer["message"] == "Obrigado! Um atendente vai verificar o pedido {{pedido}}."
    assert transfer["conversation_status"] == "pending"
    async with admin_conn.transaction():
        await set_tenant(admin_conn, world.tenant.id)
        item = await admin_conn.fetchrow(
            "SELECT queue_id, priority, source FROM queue_items WHERE conversation_id = $1",
            transfer["conversation_id"],
        )
    assert item is not None
    assert (item["queue_id"], item["priority"], item["source"]) == (queue_id, 1, "flow")

    # Waiting for a human, Ana greets again: the message is processed, the menu isn't resent.
    await world.sim.wait_acked(await ana.send_text("Oi"))

    async def handled() -> bool:
        async with admin_conn.transaction():
            await set_tenant(admin_conn, world.tenant.id)
            return bool(
                await admin_conn.fetchval(
                    "SELECT count(*) FROM flow_processed_messages p"
                    " JOIN messages m ON m.id = p.message_id WHERE m.text = 'Oi'"
                )
            )

    await eventually(handled, what="the second greeting to reach the flows")
    resp = await world.api.get(f"/api/v1/flows/{flow_id}/sessions", headers=world.admin)
    assert len((await resp.json())["items"]) == 1
    menus = [m for m in world.sim.outbound_messages(to=customer) if "Olá Ana" in shown(m)]
    assert len(menus) == 1


async def test_an_ask_and_a_delay_survive_a_restart(world: World) -> None:
    flow_id = await world.publish(
        chain(
            {"id": "q", "type": "ask", "question": "Seu nome?", "variable": "nome"},
            {"id": "before", "type": "msg_text", "text": "Um momento, {{nome}}"},
            {"id": "wait", "type": "delay", "seconds": 2},
            {"id": "after", "type": "msg_text", "text": "Pronto, {{nome}}!"},
        )
    )
    customer = digits(12)
    bia = world.sim.customer(customer, name="Bia")
    await bia.send_text("olá")
    await world.bot_says(customer, "Seu nome?")
    await world.restart()
    await bia.send_text("Beatriz")
    await world.bot_says(customer, "Um momento, Beatriz")
    session = await world.session(flow_id)
    assert session["waiting"] == "delay"
    await world.restart()
    await world.bot_says(customer, "Pronto, Beatriz!")
    session = await world.session(flow_id)
    assert session["end_reason"] == "completed"
    assert [s["node_id"] for s in session["steps"]] == [
        "start",
        "q",
        "q",
        "before",
        "wait",
        "wait",
        "after",
    ]


async def test_the_same_message_is_processed_once(world: World, admin_conn: Connection) -> None:
    flow_id = await world.publish(
        chain({"id": "q", "type": "ask", "question": "Seu nome?", "variable": "nome"})
    )
    customer = digits(12)
    await world.sim.customer(customer, name="Caio").send_text("oi")
    await world.bot_says(customer, "Seu nome?")
    async with admin_conn.transaction():
        await set_tenant(admin_conn, world.tenant.id)
        row = await admin_conn.fetchrow(
            "SELECT m.id, m.conversation_id FROM messages m JOIN conversations c"
            " ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id"
            " WHERE ct.wa_id = $1 AND m.direction = 'in'",
            customer,
        )
    assert row is not None
    runner = world.api.app[FLOW_RUNNER]
    again = await runner.process_message(world.tenant.id, row["conversation_id"], row["id"])
    assert again == "duplicate"
    session = await world.session(flow_id)
    assert [s["node_id"] for s in session["steps"]] == ["start", "q"]
    assert len(world.sim.outbound_messages(to=customer)) == 1


async def test_flow_api_versions_validation_and_test_endpoint(world: World) -> None:
    bad = chain({"id": "hi", "type": "msg_text"})
    resp = await world.api.post("/api/v1/flows", json=bad, headers=world.admin)
    assert resp.status == 422
    resp = await world.api.post(
        "/api/v1/flows/validate", json={"document": bad}, headers=world.admin
    )
    assert (await resp.json())["problems"][0]["node_id"] == "hi"
    document = chain({"id": "hi", "type": "msg_text", "text": "v1"}, name="api-flow")
    resp = await world.api.post("/api/v1/flows", json=document, headers=world.admin)
    created = await resp.json()
    assert (created["latest_version"], created["published_version"]) == (1, None)
    resp = await world.api.post("/api/v1/flows", json=document, headers=world.admin)
    assert resp.status == 409
    flow_id = created["id"]
    v2 = chain({"id": "hi", "type": "msg_text", "text": "v2"})["definition"]
    resp = await world.api.put(
        f"/api/v1/flows/{flow_id}", json={"definition": v2}, headers=world.admin
    )
    assert (await resp.json())["latest_version"] == 2
    resp = await world.api.post(
        f"/api/v1/flows/{flow_id}/publish", json={"version": 1}, headers=world.admin
    )
    assert (await resp.json())["published_version"] == 1
    resp = await world.api.get(
        f"/api/v1/flows/{flow_id}", params={"version": "1"}, headers=world.admin
    )
    assert (await resp.json())["definition"]["nodes"][1]["text"] == "v1"
    resp = await world.api.post(
        f"/api/v1/flows/{flow_id}/test",
        json={"script": {"steps": [{"say": "oi"}, {"expect": "v2"}]}},
        headers=world.admin,
    )
    result = await resp.json()
    assert result["passed"] is True
    assert [line["text"] for line in result["transcript"]] == ["oi", "v2"]
    assert [s["node_id"] for s in result["steps"]] == ["start", "hi"]
    resp = await world.api.get("/api/v1/flows", headers=world.tenant[Role.AGENT].headers)
    assert resp.status == 403
    resp = await world.api.post(f"/api/v1/flows/{flow_id}/archive", headers=world.admin)
    assert (await resp.json())["status"] == "archived"


async def test_a_step_that_fails_in_the_fan_out_is_retried_alone_and_answered_once(
    world: World, admin_conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that fails inside the fan-out's batch rolls the batch back (its processed key
    with it); its job runs again alone, each step in a savepoint, and the step then succeeds:
    its customer is answered once, and its neighbours are not held up. (A step that fails again
    there becomes a ``flow_inbound`` job: the next test.)"""
    await world.publish(
        chain({"id": "q", "type": "ask", "question": "Seu nome?", "variable": "nome"})
    )
    failures: list[str] = []
    start = FlowEngine.start

    async def fail_once(engine: FlowEngine, trigger_id: str, inbound: Inbound) -> None:
        if inbound.text == "boom" and not failures:
            failures.append(inbound.text)
            raise RuntimeError("a step that fails once (fault injected by the test)")
        await start(engine, trigger_id, inbound)

    monkeypatch.setattr(FlowEngine, "start", fail_once)
    unlucky, lucky = digits(12), digits(12)
    await world.sim.customer(unlucky, name="Ana").send_text("boom")
    await world.sim.customer(lucky, name="Rui").send_text("oi")
    await world.bot_says(lucky, "Seu nome?")
    await world.bot_says(unlucky, "Seu nome?")
    assert failures == ["boom"]
    async with admin_conn.transaction():
        await set_tenant(admin_conn, world.tenant.id)
        processed = await admin_conn.fetchval(
            "SELECT count(*) FROM flow_processed_messages p JOIN messages m ON m.id = p.message_id"
            " WHERE m.tenant_id = $1 AND m.direction = 'in'",
            world.tenant.id,
        )
    assert processed == 2
    assert len(world.sim.outbound_messages(to=unlucky)) == 1
    assert len(world.sim.outbound_messages(to=lucky)) == 1


async def test_an_automated_reply_sets_the_preview_and_its_event_carries_it(
    world: World, admin_conn: Connection
) -> None:
    """The fan-out writes its replies' previews in its last statements (the webhook writer
    would otherwise wait for the row all batch long): the conversation reads the reply, and the
    ``message_sent`` event a console receives carries the conversation as it was committed."""
    await world.publish(
        chain({"id": "q", "type": "ask", "question": "Seu nome?", "variable": "nome"})
    )
    customer = digits(12)
    sent: list[MessageSent] = []
    got_it = asyncio.Event()

    async def read_events(ws: ClientWebSocketResponse[bool]) -> None:
        async for frame in ws:
            event = parse_server_event(frame.data).event
            if isinstance(event, MessageSent):
                sent.append(event)
                got_it.set()

    agent = world.tenant[Role.AGENT].headers
    async with world.api.ws_connect("/api/v1/ws", headers=agent) as ws:
        reader = asyncio.create_task(read_events(ws))
        try:
            await world.sim.customer(customer, name="Ana").send_text("oi")
            await asyncio.wait_for(got_it.wait(), 10)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    [event] = sent
    assert event.message.text == "Seu nome?"
    async with admin_conn.transaction():
        await set_tenant(admin_conn, world.tenant.id)
        row = await admin_conn.fetchrow(
            "SELECT last_message_preview, last_message_at, last_inbound_at FROM conversations"
            " WHERE id = $1",
            event.conversation.id,
        )
    assert row is not None
    assert row["last_message_preview"] == "Seu nome?"
    assert event.conversation.last_message_preview == "Seu nome?"
    assert event.conversation.last_message_at == row["last_message_at"]
    assert row["last_message_at"] >= row["last_inbound_at"]


async def test_a_failed_step_leaves_the_preview_to_the_customer_until_its_retry_answers(
    world: World, admin_conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step rolled back to its savepoint takes its deferred preview with it: nothing shows a
    reply that was never queued."""
    await world.publish(
        chain({"id": "q", "type": "ask", "question": "Seu nome?", "variable": "nome"})
    )
    save_step = stepping.save_step
    failed = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    async def fail_then_hold(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        # The fan-out's step, twice: its first try (which fails the batch) and the job run
        # again alone, each step in a savepoint. Its reply is queued, then it fails.
        if calls <= 2:
            failed.set()
            raise RuntimeError("a step that fails after queueing (fault injected by the test)")
        await release.wait()  # the retry job: held until the test has looked
        await save_step(*args, **kwargs)

    # The runner calls the name it imported: patch it there.
    monkeypatch.setattr("pytake_daemon.flows.runner.save_step", fail_then_hold)
    customer = digits(12)
    await world.sim.customer(customer, name="Ana").send_text("boom")
    await asyncio.wait_for(failed.wait(), 10)

    async def read(sql: str) -> Any:
        async with admin_conn.transaction():
            await set_tenant(admin_conn, world.tenant.id)
            return await admin_conn.fetchval(sql, world.tenant.id)

    preview = (
        "SELECT c.last_message_preview FROM conversations c"
        " JOIN messages m ON m.conversation_id = c.id"
        " WHERE m.tenant_id = $1 AND m.direction = 'in' AND m.text = 'boom'"
    )
    retry_job = "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND kind = 'flow_inbound'"
    # The retry job is inserted by the fan-out's own transaction: once it is visible, that
    # batch has committed, and the retry itself is held at its send (``release``).
    await eventually(lambda: read(retry_job), what="the fan-out to commit the retry job")
    assert await read(preview) == "boom"
    release.set()
    await world.bot_says(customer, "Seu nome?")

    async def replied() -> bool:
        return bool(await read(preview) == "Seu nome?")

    await eventually(replied, what="the retry's reply to become the preview")
