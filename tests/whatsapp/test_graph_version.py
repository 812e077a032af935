"""The Graph API version stays configurable (issue 15, item 10): a daemon set to v26.0, the
latest Meta released (29 Jul 2026), receives a username customer's message and answers them
through ``recipient``, with statuses ticking back — the same path the suite runs at v23.0."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.keys import GRAPH
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.whatsapp.wa_support import (
    ApiClient,
    simulated_world,
    stage_settled,
    stop_simulated_world,
)


async def test_a_username_customer_is_answered_at_graph_v26(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    wa = settings.whatsapp.model_copy(update={"api_version": "v26.0"})
    world = await simulated_world(
        aiohttp_client,
        settings.model_copy(update={"whatsapp": wa}),
        endpoints,
        await make_tenant(),
        seed=26,
    )
    try:
        sim, api = world.sim, world.api
        customer = sim.create_customer(name="Ana Souza", username="ana.s", phone_visible=False)
        user_id = sim.user_id(customer)
        wamid = await sim.customer(user_id).send_text("hello from a username")
        await sim.wait_acked(wamid)
        await stage_settled(api, world.tenant.id)
        headers = world.tenant[Role.AGENT].headers
        listed = await api.get("/api/v1/conversations", params={"q": "ana.s"}, headers=headers)
        [conversation] = (await listed.json())["items"]
        contact: dict[str, Any] = conversation["contact"]
        assert (contact["wa_id"], contact["bsuid"], contact["username"]) == (
            None,
            user_id,
            "ana.s",
        )
        resp = await api.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"content": {"type": "text", "body": "Hi Ana!"}},
            headers=headers,
        )
        assert resp.status == 201, await resp.text()
        [sent] = await sim.wait_for_outbound(to=user_id)
        assert sent.body.get("recipient") == user_id
        assert "to" not in sent.body
        # The simulator serves any vNN.N; the client's root names the one it calls.
        assert "/v26.0'" in repr(api.app[GRAPH])
        await sim.wait_for_status(sent.id, "delivered")
    finally:
        await stop_simulated_world(world, world.api)
