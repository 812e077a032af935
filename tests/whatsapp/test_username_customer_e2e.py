"""A customer with a WhatsApp username and a hidden phone, end to end through the real app and
the simulator (Meta's side): they write in, a flow answers through ``recipient``, an agent replies,
statuses tick, the agent asks for the phone, the customer shares it, and a later payload carrying
the phone lands in the same conversation. Outside the window the phone is asked with the
approved REQUEST_CONTACT_INFO template; an authentication template never leaves (131062)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role
from pytake_daemon.whatsapp.meta_errors import explain
from pytake_simulator.simulator import Simulator
from tests.conftest import MakeTenant
from tests.flows.builders import chain
from tests.queues.support import eventually
from tests.support import TenantData
from tests.whatsapp.wa_support import simulated_world, stop_simulated_world

ApiClient = TestClient[web.Request, web.Application]


@dataclass
class World:
    api: ApiClient
    sim: Simulator
    tenant: TenantData

    @property
    def agent(self) -> dict[str, str]:
        return self.tenant[Role.AGENT].headers

    @property
    def admin(self) -> dict[str, str]:
        return self.tenant[Role.ADMIN].headers

    async def conversations(self, q: str) -> list[dict[str, Any]]:
        resp = await self.api.get("/api/v1/conversations", params={"q": q}, headers=self.agent)
        assert resp.status == 200, await resp.text()
        return list((await resp.json())["items"])

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        resp = await self.api.post(path, json=body, headers=self.agent)
        return resp.status, dict(await resp.json())

    async def message(self, conversation_id: str, message_id: str) -> dict[str, Any]:
        resp = await self.api.get(
            f"/api/v1/conversations/{conversation_id}/messages", headers=self.agent
        )
        return next(m for m in (await resp.json())["items"] if m["id"] == message_id)


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[World]:
    base = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=11)
    try:
        yield World(base.api, base.sim, base.tenant)
    finally:
        await stop_simulated_world(base, base.api)


async def test_a_username_customer_is_answered_by_bsuid_and_shares_their_phone(
    world: World,
) -> None:
    sim = world.sim
    customer = sim.create_customer(name="Ana Souza", username="ana.souza", phone_visible=False)
    sim.set_customer(customer.wa_id, shares_phone=True)
    bsuid = sim.user_id(customer)
    resp = await world.api.post(
        "/api/v1/flows",
        json=chain({"id": "hello", "type": "msg_text", "text": "Olá! Um agente já vem."}),
        headers=world.admin,
    )
    assert resp.status == 201, await resp.text()
    flow_id = (await resp.json())["id"]
    resp = await world.api.post(f"/api/v1/flows/{flow_id}/publish", json={}, headers=world.admin)
    assert resp.status == 200, await resp.text()

    # In: no phone anywhere in the payload, only the BSUID and the username.
    await sim.wait_acked(await sim.customer(bsuid).send_text("oi, meu pedido?"))
    [conversation] = await eventually(
        lambda: world.conversations("ana.souza"), what="the username customer's conversation"
    )
    contact = conversation["contact"]
    assert (contact["wa_id"], contact["bsuid"], contact["username"]) == (
        None,
        bsuid,
        "ana.souza",
    )

    # The flow answers by "recipient", never by "to".
    [greeting] = await sim.wait_for_outbound(to=bsuid)
    assert (greeting.addressed_by, greeting.recipient) == ("user_id", bsuid)
    assert "to" not in greeting.body
    assert greeting.body["recipient_type"] == "individual"

    # An agent replies; its statuses tick.
    status, reply = await world.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        {"content": {"type": "text", "body": "Seu pedido sai hoje."}},
    )
    assert status == 201, reply
    [_, sent] = await sim.wait_for_outbound(to=bsuid, count=2)
    assert sent.addressed_by == "user_id"
    await sim.wait_for_status(sent.id, "delivered")
    delivered = await eventually(
        lambda: _status_is(world, conversation["id"], reply["id"], "delivered"),
        what="the reply delivered",
    )
    assert delivered["wa_message_id"] == sent.id

    # The agent asks for the phone once the customer's "oi, meu pedido?" is analysed (its
    # language is remembered: the request goes out in Portuguese); the customer taps "share"
    # and the phone fills the contact.
    await eventually(
        lambda: _analysed(world, conversation["id"]), what="the customer's message analysed"
    )
    status, asked = await world.post(
        f"/api/v1/conversations/{conversation['id']}/phone-request", {}
    )
    assert status == 201, asked
    [*_, request] = await sim.wait_for_outbound(to=bsuid, count=3)
    assert request.body["interactive"] == {
        "type": "request_contact_info",
        "body": {"text": "Para continuar, por favor compartilhe conosco o seu número de telefone."},
        "action": {"name": "request_contact_info"},
    }
    assert request.addressed_by == "user_id"
    [shared] = await eventually(
        lambda: _with_phone(world, customer.wa_id), what="the shared phone on the contact"
    )
    assert shared["id"] == conversation["id"]
    assert shared["contact"]["phone_verified"] is True
    status, problem = await world.post(
        f"/api/v1/conversations/{conversation['id']}/phone-request", {}
    )
    assert status == 409, problem

    # Later payloads carry the phone: same contact, same conversation; replies go to the phone.
    await sim.wait_acked(await sim.customer(customer.wa_id).send_text("obrigada!"))
    [same] = await world.conversations(customer.wa_id)
    assert same["id"] == conversation["id"]
    status, reply = await world.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        {"content": {"type": "text", "body": "Por nada!"}},
    )
    assert status == 201, reply
    [*_, last] = await sim.wait_for_outbound(to=customer.wa_id, count=4)
    assert (last.addressed_by, last.body["to"]) == ("phone", customer.wa_id)


async def test_outside_the_window_the_phone_template_goes_and_authentication_is_refused(
    world: World, admin_conn: Connection
) -> None:
    sim = world.sim
    customer = sim.create_customer(name="Rita Alves", username="rita.a", phone_visible=False)
    bsuid = sim.user_id(customer)
    await sim.wait_acked(await sim.customer(bsuid).send_text("hello"))
    [conversation] = await eventually(
        lambda: world.conversations("rita.a"), what="the conversation"
    )
    sim.advance_clock(timedelta(hours=25).total_seconds())
    async with admin_conn.transaction():
        await set_tenant(admin_conn, world.tenant.id)
        await admin_conn.execute(
            "UPDATE conversations SET last_inbound_at = now() - interval '25 hours' WHERE id = $1",
            conversation["id"],
        )
    path = f"/api/v1/conversations/{conversation['id']}"
    status, problem = await world.post(f"{path}/phone-request", {})
    assert status == 409, problem
    assert "REQUEST_CONTACT_INFO" in problem["detail"]

    sync = await world.api.post("/api/v1/whatsapp/templates/sync", headers=world.admin)
    assert sync.status == 200, await sync.text()
    status, asked = await world.post(f"{path}/phone-request", {})
    assert status == 201, asked
    [sent] = await sim.wait_for_outbound(to=bsuid)
    assert sent.type == "template"
    assert sent.body["template"]["name"] == "share_phone_number"
    assert sent.addressed_by == "user_id"
    await sim.wait_for_status(sent.id, "sent")

    templates = await world.api.get(
        "/api/v1/whatsapp/templates", params={"category": "AUTHENTICATION"}, headers=world.agent
    )
    [otp, *_] = (await templates.json())["items"]
    status, problem = await world.post(
        f"{path}/messages",
        {
            "content": {
                "type": "template",
                "name": otp["name"],
                "language": otp["language"],
                "components": [
                    {"type": "body", "parameters": ["123456"]},
                    {"type": "button", "sub_type": "url", "index": 0, "text": "123456"},
                ],
            }
        },
    )
    assert status == 409, problem
    assert problem["detail"] == explain(131062)
    assert len(sim.outbound_messages(to=bsuid)) == 1


async def _status_is(
    world: World, conversation_id: str, message_id: str, status: str
) -> dict[str, Any] | None:
    message = await world.message(conversation_id, message_id)
    return message if message["status"] in (status, "read") else None


async def _with_phone(world: World, phone: str) -> list[dict[str, Any]]:
    found = await world.conversations(phone)
    return [c for c in found if c["contact"]["wa_id"] == phone]


async def test_the_flow_node_asks_a_username_customer_and_skips_a_known_phone(
    world: World,
) -> None:
    sim = world.sim
    document = chain(
        {"id": "ask", "type": "action_request_phone", "text": "{{contact.name}}, seu telefone?"},
        {"id": "thanks", "type": "msg_text", "text": "Obrigado!"},
    )
    document["definition"]["nodes"].append(
        {"id": "known", "type": "msg_text", "text": "Já temos seu número."}
    )
    document["definition"]["edges"].append({"source": "ask", "target": "known", "branch": "known"})
    resp = await world.api.post("/api/v1/flows", json=document, headers=world.admin)
    assert resp.status == 201, await resp.text()
    flow_id = (await resp.json())["id"]
    resp = await world.api.post(f"/api/v1/flows/{flow_id}/publish", json={}, headers=world.admin)
    assert resp.status == 200, await resp.text()

    username = sim.create_customer(name="Ana Souza", username="ana.s", phone_visible=False)
    bsuid = sim.user_id(username)
    await sim.wait_acked(await sim.customer(bsuid).send_text("oi"))
    request, thanks = await sim.wait_for_outbound(to=bsuid, count=2)
    assert request.addressed_by == "user_id"
    assert request.body["interactive"]["type"] == "request_contact_info"
    assert request.body["interactive"]["body"] == {"text": "Ana Souza, seu telefone?"}
    assert thanks.body["text"]["body"] == "Obrigado!"

    phone = sim.create_customer(name="Bruno Lima", phone_visible=True)
    await sim.wait_acked(await sim.customer(phone.wa_id).send_text("oi"))
    [known] = await sim.wait_for_outbound(to=phone.wa_id)
    assert known.body["text"]["body"] == "Já temos seu número."
    assert known.addressed_by == "phone"


async def _analysed(world: World, conversation_id: str) -> bool:
    resp = await world.api.get(
        f"/api/v1/conversations/{conversation_id}/analysis", headers=world.admin
    )
    assert resp.status == 200, await resp.text()
    return bool((await resp.json())["items"])
