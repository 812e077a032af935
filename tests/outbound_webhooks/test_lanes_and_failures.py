"""Ordering per conversation, a hanging receiver that blocks nobody else, 410 disabling an
endpoint with admins told, the SSRF guard, RBAC and tenant isolation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.keys import EVENT_BUS
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import SatisfactionReceived
from pytake_daemon.protocol.outbound_webhooks import (
    DeliveryOut,
    DeliveryState,
    EndpointOut,
    WebhookEventType,
    WebhookPayload,
)
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.support import center
from tests.outbound_webhooks.support import (
    Receiver,
    deliveries,
    eventually,
    kick,
    pin_clock,
    register,
)
from tests.support import Member

T = WebhookEventType


async def _rate(api: ApiClient, tenant_id: uuid.UUID, conversation: uuid.UUID, rating: int) -> None:
    await api.app[EVENT_BUS].publish(
        tenant_id,
        SatisfactionReceived(conversation_id=conversation, agent_id=uuid.uuid4(), rating=rating),
    )


def _ratings(receiver: Receiver) -> list[tuple[str, int]]:
    out = []
    for request in receiver.requests:
        data = WebhookPayload.model_validate_json(request.body).data
        out.append((data["conversation_id"], data["rating"]))
    return out


async def test_a_conversation_waits_for_its_earlier_delivery_and_a_hanging_receiver_blocks_no_one(
    hooks_api: ApiClient, make_tenant: MakeTenant, receiver: Receiver
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    clock = pin_clock(hooks_api)
    hanging = Receiver()
    await hanging.start()
    hanging.hold = asyncio.Event()
    try:
        await register(hooks_api, admin, receiver.url, T.RATING_RECEIVED, tenant_id=tenant.id)
        await register(hooks_api, admin, hanging.url, T.RATING_RECEIVED, tenant_id=tenant.id)
        one, two = str(uuid.uuid4()), str(uuid.uuid4())
        receiver.answers.extend([503])  # the first try of conversation one's first event fails
        await _rate(hooks_api, tenant.id, uuid.UUID(one), 1)
        await _rate(hooks_api, tenant.id, uuid.UUID(one), 2)
        await _rate(hooks_api, tenant.id, uuid.UUID(two), 3)

        # Conversation two is not held up by one's failure, nor by the hanging receiver.
        await receiver.got(2)
        assert sorted(_ratings(receiver)) == sorted([(one, 1), (two, 3)])
        await hanging.got(1)  # it holds its tries; nothing else waits for it

        # One's second event waits for its first: a retry later, then in order. The failure is
        # recorded after the receiver answered, so the list is read until it shows it.
        async def failed_once() -> list[DeliveryOut]:
            listed = await deliveries(hooks_api, admin, state="pending")
            return [d for d in listed.items if d.last_status == 503]

        failed = await eventually(failed_once, what="the 503 recorded on the delivery")
        assert len(failed) == 1
        assert failed[0].next_attempt_at is not None
        clock.at = failed[0].next_attempt_at
        kick(hooks_api)
        await receiver.got(4)
        assert _ratings(receiver)[2:] == [(one, 1), (one, 2)]
        # The hanging receiver's tries time out (1 s here) and are retried later.
        hanging.hold.set()
    finally:
        hanging.hold = None
        await hanging.stop()


async def test_410_disables_the_endpoint_dead_letters_its_waiting_and_tells_admins(
    hooks_api: ApiClient, make_tenant: MakeTenant, receiver: Receiver
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    pin_clock(hooks_api)
    created = await register(hooks_api, admin, receiver.url, T.RATING_RECEIVED, tenant_id=tenant.id)
    endpoint = created.endpoint.id
    receiver.default = 410
    conversation = uuid.uuid4()
    await _rate(hooks_api, tenant.id, conversation, 4)
    await _rate(hooks_api, tenant.id, conversation, 5)  # waits behind the first (same lane)

    async def disabled() -> EndpointOut | None:
        resp = await hooks_api.get(f"/api/v1/webhooks/endpoints/{endpoint}", headers=admin.headers)
        out = EndpointOut.model_validate(await resp.json())
        return out if not out.enabled else None

    gone = await eventually(disabled, what="the endpoint disabled")
    assert gone.disabled_reason == "the receiver answered 410 Gone"

    async def all_dead() -> bool:
        listed = await deliveries(hooks_api, admin, endpoint_id=endpoint)
        return len(listed.items) == 2 and all(d.state is DeliveryState.DEAD for d in listed.items)

    await eventually(all_dead, what="both deliveries dead")
    assert len(receiver.requests) == 1
    for who in (admin, tenant[Role.OWNER]):

        async def told(member: Member = who) -> list[str]:
            return await _titled(hooks_api, member)

        page = await eventually(told, what="the admins' notification")
        assert page == [f"Webhook endpoint disabled: {receiver.url}"]
    assert await _titled(hooks_api, tenant[Role.AGENT]) == []

    # Replaying into a disabled endpoint is refused until it is enabled again.
    dead = (await deliveries(hooks_api, admin, state="dead")).items
    resp = await hooks_api.post(f"/api/v1/webhooks/deliveries/{dead[0].id}/replay",
                                headers=admin.headers)  # fmt: skip
    assert resp.status == 409
    assert "disabled" in (await resp.json())["detail"]
    resp = await hooks_api.patch(f"/api/v1/webhooks/endpoints/{endpoint}",
                                 json={"enabled": True}, headers=admin.headers)  # fmt: skip
    assert resp.status == 200
    receiver.default = 200
    resp = await hooks_api.post(f"/api/v1/webhooks/deliveries/{dead[0].id}/replay",
                                headers=admin.headers)  # fmt: skip
    assert resp.status == 201
    await receiver.got(2)


async def _titled(api: ApiClient, who: Member) -> list[str]:
    page = await center(api, who)
    return [n.title for n in page.items if n.title.startswith("Webhook endpoint disabled")]


@pytest.fixture
async def guarded_api(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
) -> ApiClient:
    """The default policy: no private or local address allowed."""
    return await aiohttp_client(create_app(settings, endpoints))


async def test_ssrf_guard_refuses_private_addresses(
    guarded_api: ApiClient, make_tenant: MakeTenant, receiver: Receiver
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    for url in ("http://10.1.2.3/hook", "http://[::1]:8080/x", "http://169.254.169.254/latest"):
        resp = await guarded_api.post("/api/v1/webhooks/endpoints",
                                      json={"url": url, "event_types": ["message.received"]},
                                      headers=admin.headers)  # fmt: skip
        assert resp.status == 422, url
        [error] = (await resp.json())["errors"]
        assert error["loc"] == "body.url"
        assert "outbound_webhooks.http_allowed" in error["msg"]
    resp = await guarded_api.post("/api/v1/webhooks/endpoints",
                                  json={"url": "ftp://example.com/x", "event_types": ["x"]},
                                  headers=admin.headers)  # fmt: skip
    assert resp.status == 422
    assert {e["loc"] for e in (await resp.json())["errors"]} == {"body.url", "body.event_types.0"}

    # A name that resolves to a local address: refused when connecting, dead at once.
    pin_clock(guarded_api)
    local = receiver.url.replace("127.0.0.1", "localhost")
    created = await register(guarded_api, admin, local, T.RATING_RECEIVED, tenant_id=tenant.id)
    await _rate(guarded_api, tenant.id, uuid.uuid4(), 5)

    async def refused() -> bool:
        listed = await deliveries(guarded_api, admin, endpoint_id=created.endpoint.id)
        return bool(listed.items) and listed.items[0].state is DeliveryState.DEAD

    await eventually(refused, what="the refused delivery")
    [letter] = (await deliveries(guarded_api, admin, endpoint_id=created.endpoint.id)).items
    assert letter.attempts == 1
    assert letter.last_error
    assert letter.last_error.startswith("refused: localhost resolves to")
    assert receiver.requests == []


async def test_admins_only_and_each_tenant_sees_its_own(
    hooks_api: ApiClient, make_tenant: MakeTenant, receiver: Receiver
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    pin_clock(hooks_api)
    created = await register(
        hooks_api, tenant[Role.ADMIN], receiver.url, T.RATING_RECEIVED, tenant_id=tenant.id
    )
    endpoint = created.endpoint.id
    await _rate(hooks_api, tenant.id, uuid.uuid4(), 5)
    await receiver.got(1)

    async def delivered() -> list[uuid.UUID]:
        items = (await deliveries(hooks_api, tenant[Role.ADMIN])).items
        return [d.id for d in items if d.state is DeliveryState.DELIVERED]

    [delivery] = await eventually(delivered, what="the delivery recorded")
    paths = [
        ("GET", "/api/v1/webhooks/endpoints"),
        ("GET", f"/api/v1/webhooks/endpoints/{endpoint}"),
        ("PATCH", f"/api/v1/webhooks/endpoints/{endpoint}"),
        ("DELETE", f"/api/v1/webhooks/endpoints/{endpoint}"),
        ("POST", f"/api/v1/webhooks/endpoints/{endpoint}/rotate-secret"),
        ("GET", "/api/v1/webhooks/deliveries"),
        ("POST", f"/api/v1/webhooks/deliveries/{delivery}/replay"),
    ]
    for role in (Role.AGENT, Role.SUPERVISOR):
        for method, path in paths:
            resp = await hooks_api.request(method, path, json={},
                                           headers=tenant[role].headers)  # fmt: skip
            assert resp.status == 403, (role, method, path)
    for method, path in paths:
        resp = await hooks_api.request(method, path, json={})
        assert resp.status == 401, (method, path)

    # Another tenant's admin: its lists are empty, the ids are not found.
    stranger = other[Role.ADMIN]
    resp = await hooks_api.get("/api/v1/webhooks/endpoints", headers=stranger.headers)
    assert (await resp.json())["items"] == []
    assert (await deliveries(hooks_api, stranger)).items == []
    for method, path in paths[1:5] + paths[6:]:
        resp = await hooks_api.request(method, path, json={}, headers=stranger.headers)
        assert resp.status == 404, (method, path)
    resp = await hooks_api.get("/api/v1/webhooks/deliveries",
                               params={"endpoint_id": str(endpoint)},
                               headers=stranger.headers)  # fmt: skip
    assert resp.status == 404
    # The owner's endpoint is untouched.
    resp = await hooks_api.get(f"/api/v1/webhooks/endpoints/{endpoint}",
                               headers=tenant[Role.OWNER].headers)  # fmt: skip
    assert resp.status == 200
    assert (await resp.json())["enabled"] is True
