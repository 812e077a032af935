"""Sending to customers known only by their business-scoped user id (username customers): what is
refused before Meta is called, and asking them for their phone number (REST).

Meta's side is not needed here: every case either is refused before the outbox, or is checked in
the outbox row the sender would pick up. The Graph API address points at a closed port, so
nothing queued here can leave. The path through the simulator is in ``test_send_e2e``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import Role
from pytake_daemon.whatsapp import db as whatsapp_db
from pytake_daemon.whatsapp.meta_errors import explain
from pytake_daemon.whatsapp.phone_request import DEFAULT_TEXT, NO_TEMPLATE
from tests.conftest import MakeTenant
from tests.support import TenantData
from tests.whatsapp.wa_support import Number, add_number, digits

ApiClient = TestClient[web.Request, web.Application]

AUTHENTICATION: dict[str, Any] = {
    "category": "AUTHENTICATION",
    "components": [
        {"type": "BODY", "text": "*{{1}}* is your verification code."},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "ONE_TAP", "text": "Fill"}]},
    ],
}
PHONE_REQUEST: dict[str, Any] = {
    "category": "UTILITY",
    "components": [
        {"type": "BODY", "text": "To finish your request we need your phone number."},
        {"type": "BUTTONS", "buttons": [{"type": "REQUEST_CONTACT_INFO"}]},
    ],
}
ORDER_UPDATE: dict[str, Any] = {
    "category": "UTILITY",
    "components": [{"type": "BODY", "text": "Your order {{1}} shipped."}],
}


@dataclass
class Shop:
    api: ApiClient
    tenant: TenantData
    number: Number

    @property
    def agent(self) -> dict[str, str]:
        return self.tenant[Role.AGENT].headers

    async def customer(
        self, *, phone: str | None, bsuid: str | None, wrote_hours_ago: float | None = 1
    ) -> uuid.UUID:
        """A contact and their conversation, as the webhook side would have stored them."""
        last_inbound = (
            None
            if wrote_hours_ago is None
            else datetime.now(UTC) - timedelta(hours=wrote_hours_ago)
        )
        async with tenant_transaction(self.api.app[DB_POOL], self.tenant.id) as conn:
            contact_id = await conn.fetchval(
                "INSERT INTO contacts (tenant_id, wa_id, bsuid, username) "
                "VALUES (current_tenant_id(), $1, $2, 'ana.souza') RETURNING id",
                phone,
                bsuid,
            )
            conversation_id: uuid.UUID = await conn.fetchval(
                "INSERT INTO conversations (tenant_id, number_id, contact_id, last_inbound_at) "
                "VALUES (current_tenant_id(), $1, $2, $3) RETURNING id",
                self.number.id,
                contact_id,
                last_inbound,
            )
        return conversation_id

    async def template(self, name: str, definition: dict[str, Any], **extra: Any) -> None:
        async with tenant_transaction(self.api.app[DB_POOL], self.tenant.id) as conn:
            await whatsapp_db.upsert_template(
                conn,
                waba_id=self.number.waba_id,
                meta_id=digits(15),
                name=name,
                language=extra.get("language", "en_US"),
                status=extra.get("status", "APPROVED"),
                category=definition["category"],
                parameter_format="POSITIONAL",
                components=definition["components"],
                reason=None,
                synced=True,
            )

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        resp = await self.api.post(path, json=body, headers=self.agent)
        return resp.status, dict(await resp.json())

    async def outbox(self, conversation_id: uuid.UUID) -> list[dict[str, Any]]:
        async with tenant_transaction(self.api.app[DB_POOL], self.tenant.id) as conn:
            rows = await conn.fetch(
                "SELECT m.type, m.content FROM outbox o JOIN messages m ON m.id = o.message_id "
                "WHERE o.conversation_id = $1 ORDER BY o.seq",
                conversation_id,
            )
        return [dict(row) for row in rows]


@pytest.fixture
async def shop(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> Shop:
    # A closed port: anything queued here stays in the outbox (retried, never delivered).
    wa = settings.whatsapp.model_copy(update={"graph_base_url": "http://127.0.0.1:9"})
    api: ApiClient = await aiohttp_client(
        create_app(settings.model_copy(update={"whatsapp": wa}), endpoints)
    )
    tenant = await make_tenant()
    return Shop(api, tenant, await add_number(api, tenant))


def bsuid() -> str:
    return f"US.{digits(20)}"


def template_send(name: str, parameters: list[str] | None = None) -> dict[str, Any]:
    components = [{"type": "body", "parameters": parameters}] if parameters else []
    return {
        "content": {
            "type": "template",
            "name": name,
            "language": "en_US",
            "components": components,
        }
    }


# The one-time password goes in the body and, for one-tap buttons, in the button's URL parameter.
LOGIN_CODE: dict[str, Any] = {
    "content": {
        "type": "template",
        "name": "login_code",
        "language": "en_US",
        "components": [
            {"type": "body", "parameters": ["123456"]},
            {"type": "button", "sub_type": "url", "index": 0, "text": "123456"},
        ],
    }
}


# ---- Authentication templates need a phone ----------------------------------------------------


async def test_an_authentication_template_to_a_username_customer_is_refused_before_meta(
    shop: Shop,
) -> None:
    await shop.template("login_code", AUTHENTICATION)
    conversation = await shop.customer(phone=None, bsuid=bsuid(), wrote_hours_ago=None)
    status, problem = await shop.post(f"/api/v1/conversations/{conversation}/messages", LOGIN_CODE)
    assert status == 409, problem
    assert problem["detail"] == explain(131062)
    assert await shop.outbox(conversation) == []


async def test_other_templates_and_phone_customers_are_not_refused(shop: Shop) -> None:
    await shop.template("login_code", AUTHENTICATION)
    await shop.template("order_update", ORDER_UPDATE)
    username_only = await shop.customer(phone=None, bsuid=bsuid(), wrote_hours_ago=None)
    status, message = await shop.post(
        f"/api/v1/conversations/{username_only}/messages",
        template_send("order_update", ["#123"]),
    )
    assert status == 201, message
    with_phone = await shop.customer(phone=digits(12), bsuid=bsuid(), wrote_hours_ago=None)
    status, message = await shop.post(f"/api/v1/conversations/{with_phone}/messages", LOGIN_CODE)
    assert status == 201, message


# ---- Asking for the phone ---------------------------------------------------------------------


async def test_inside_the_window_the_phone_is_asked_with_request_contact_info(shop: Shop) -> None:
    conversation = await shop.customer(phone=None, bsuid=bsuid(), wrote_hours_ago=1)
    path = f"/api/v1/conversations/{conversation}/phone-request"
    status, message = await shop.post(path, {"text": "May we call you?", "idempotency_key": "k1"})
    assert status == 201, message
    assert message["type"] == "request_contact_info"
    assert message["text"] == "May we call you? [Share contact info]"
    status, again = await shop.post(path, {"text": "May we call you?", "idempotency_key": "k1"})
    assert (status, again["id"]) == (200, message["id"])
    status, default = await shop.post(path, {})
    assert status == 201, default
    assert [row["content"] for row in await shop.outbox(conversation)] == [
        {"type": "request_contact_info", "body": "May we call you?"},
        {"type": "request_contact_info", "body": DEFAULT_TEXT},
    ]


async def test_outside_the_window_an_approved_phone_template_is_sent(shop: Shop) -> None:
    await shop.template("order_update", ORDER_UPDATE)
    await shop.template("share_phone_pending", PHONE_REQUEST, status="PENDING")
    await shop.template("share_your_phone", PHONE_REQUEST)
    conversation = await shop.customer(phone=None, bsuid=bsuid(), wrote_hours_ago=30)
    status, message = await shop.post(f"/api/v1/conversations/{conversation}/phone-request", {})
    assert status == 201, message
    assert message["type"] == "template"
    (row,) = await shop.outbox(conversation)
    assert row["content"] == {
        "type": "template",
        "name": "share_your_phone",
        "language": "en_US",
        "components": [],
    }


async def test_outside_the_window_without_a_phone_template_the_agent_is_told_what_to_create(
    shop: Shop,
) -> None:
    await shop.template("order_update", ORDER_UPDATE)
    # A template with the button but a variable: nobody here could fill it in.
    await shop.template(
        "share_phone_for_order",
        {
            "category": "UTILITY",
            "components": [
                {"type": "BODY", "text": "For order {{1}} we need your phone."},
                {"type": "BUTTONS", "buttons": [{"type": "REQUEST_CONTACT_INFO"}]},
            ],
        },
    )
    conversation = await shop.customer(phone=None, bsuid=bsuid(), wrote_hours_ago=None)
    status, problem = await shop.post(f"/api/v1/conversations/{conversation}/phone-request", {})
    assert status == 409, problem
    assert problem["detail"] == NO_TEMPLATE
    assert "REQUEST_CONTACT_INFO" in problem["detail"]
    assert await shop.outbox(conversation) == []


async def test_a_known_phone_is_not_asked_again(shop: Shop) -> None:
    conversation = await shop.customer(phone=digits(12), bsuid=bsuid())
    status, problem = await shop.post(f"/api/v1/conversations/{conversation}/phone-request", {})
    assert status == 409, problem
    assert "already known" in problem["detail"]
    status, problem = await shop.post(f"/api/v1/conversations/{uuid.uuid4()}/phone-request", {})
    assert status == 404, problem


async def test_the_request_is_limited_like_any_interactive_body(shop: Shop) -> None:
    conversation = await shop.customer(phone=None, bsuid=bsuid())
    status, problem = await shop.post(
        f"/api/v1/conversations/{conversation}/phone-request", {"text": "x" * 1025}
    )
    assert status == 422, problem
    assert await shop.outbox(conversation) == []
