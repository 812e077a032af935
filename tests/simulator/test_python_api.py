"""The in-process API the daemon's tests use: app() in a runner of their own, the async context
manager, customers, chatter, and waits that fail with a useful message."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from pytake_simulator import Simulator, SimulatorConfig

from .support import APP_SECRET, CUSTOMER, PHONE_ID, TOKEN, Receiver, signature


async def test_app_in_a_test_server(receiver: Receiver) -> None:
    sim = Simulator(SimulatorConfig.fast(webhook_url=receiver.url, app_secret=APP_SECRET))
    async with TestServer(sim.app()) as server:
        wamid = await sim.customer(CUSTOMER).send_text("hi")
        await sim.wait_acked(wamid)
        url = server.make_url(f"/v23.0/{PHONE_ID}/messages")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            body = {"messaging_product": "whatsapp", "to": CUSTOMER, "text": {"body": "yo"}}
            async with http.post(url, json=body) as response:
                assert response.status == 200
        [reply] = await sim.wait_for_outbound(to=CUSTOMER)
        await sim.wait_for_status(reply.id, "delivered")
    assert receiver.requests[0].headers["X-Hub-Signature-256"] == signature(
        receiver.requests[0].body
    )


async def test_context_manager_and_graph_url(receiver: Receiver) -> None:
    config = SimulatorConfig.fast(webhook_url=receiver.url, port=0)
    async with Simulator(config) as sim:
        assert sim.base_url is not None
        assert sim.graph_url == f"{sim.base_url}/v23.0"
        await sim.wait_acked(await sim.customer(CUSTOMER).send_location(38.7, -9.1, name="Lisboa"))
    with pytest.raises(RuntimeError):
        Simulator(config).graph_url  # noqa: B018 - the property raises before start()


async def test_waits_time_out_with_what_they_waited_for(sim: Simulator) -> None:
    with pytest.raises(TimeoutError, match="1 outbound message"):
        await sim.wait_for_outbound(to=CUSTOMER, timeout=0.05)
    with pytest.raises(TimeoutError, match=r"status read of wamid\.X"):
        await sim.wait_for_status("wamid.X", "read", timeout=0.05)


async def test_every_customer_helper(sim: Simulator, receiver: Receiver) -> None:
    customer = sim.customer(CUSTOMER, name="Ana")
    ids = [
        await customer.send_text(
            "hi", referral={"source_url": "https://fb.me/x", "source_id": "1", "source_type": "ad"}
        ),
        await customer.send_image(caption="c"),
        await customer.send_audio(voice=True),
        await customer.send_video(),
        await customer.send_document(filename="a.pdf"),
        await customer.send_sticker(animated=True),
        await customer.send_location(1.0, 2.0),
        await customer.send_contacts([{"name": {"formatted_name": "B"}}]),
        await customer.send_order(
            [{"product_retailer_id": "s", "quantity": 1, "item_price": 1.0, "currency": "EUR"}]
        ),
        await customer.change_number("5511999990077"),
        await customer.send_unsupported(),
    ]
    await sim.wait_settled()
    assert [m["id"] for m in receiver.messages()] == ids
    assert [m["type"] for m in receiver.messages()] == [
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "order",
        "system",
        "unsupported",
    ]
    assert all(sim.inbound_message(i).acked for i in ids)


async def test_chatter(sim: Simulator) -> None:
    task = sim.spawn(sim.chatter(500))
    await sim.wait_for(lambda: len(sim.store.inbound) >= 10, what="chatter")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await sim.wait_settled()
    assert sim.stats().inbound_acked >= 10
