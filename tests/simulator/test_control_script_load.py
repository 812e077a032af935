"""The control API over HTTP, scripted customers, and load mode's report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pytake_simulator import Simulator
from pytake_simulator.config import DeliveryConfig
from pytake_simulator.load import LoadReport, percentile
from pytake_simulator.script import ScriptFailed, load_script, run_script

from .support import CUSTOMER, PHONE_ID, TOKEN, Receiver, SimFactory


@pytest.fixture
async def control(sim: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=f"{sim.base_url}/_sim/") as session:
        yield session


def echo_bot(sim: Simulator) -> Any:
    """A stand-in daemon: answers every text through the Graph API, like an auto-reply flow."""

    async def on_payload(payload: dict[str, Any]) -> None:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
            for entry in payload["entry"]:
                for change in entry["changes"]:
                    for message in change["value"].get("messages", []):
                        if message["type"] != "text":
                            continue
                        text = message["text"]["body"]
                        body: dict[str, Any] = {
                            "messaging_product": "whatsapp",
                            "to": message["from"],
                            "type": "text",
                            "text": {"body": f"echo: {text}"},
                        }
                        if "order" in text:
                            body = {
                                "messaging_product": "whatsapp",
                                "to": message["from"],
                                "type": "template",
                                "template": {"name": "hello_world", "language": {"code": "en_US"}},
                            }
                        url = f"{sim.graph_url}/{PHONE_ID}/messages"
                        async with session.post(url, json=body) as response:
                            assert response.status == 200, await response.text()

    return on_payload


# --- control API ----------------------------------------------------------------------------------


async def test_customer_message_and_inspection(
    sim: Simulator, control: aiohttp.ClientSession, receiver: Receiver
) -> None:
    receiver.on_payload = echo_bot(sim)
    async with control.get("") as response:
        info = await response.json()
    assert info["numbers"][0]["phone_number_id"] == PHONE_ID
    assert info["verify_token"] == sim.config.verify_token

    async with control.post(
        f"customers/{CUSTOMER}/messages",
        json={"type": "text", "text": {"body": "ping"}, "profile_name": "Ana"},
    ) as response:
        assert response.status == 200
        message_id = (await response.json())["message_id"]

    # A long-poll: the server waits for the reply, the test doesn't poll.
    async with control.get("messages", params={"to": CUSTOMER, "wait": "5"}) as response:
        listing = await response.json()
    [reply] = listing["data"]
    assert reply["text"] == "echo: ping"
    assert listing["cursor"] == reply["seq"]
    await sim.wait_for_status(reply["id"], "delivered")

    async with control.post(f"customers/{CUSTOMER}/read", json={}) as response:
        assert (await response.json())["read"] == [reply["id"]]
    async with control.get(f"messages/{reply['id']}") as response:
        view = await response.json()
    assert [s["status"] for s in view["statuses"]] == ["sent", "delivered", "read"]

    async with control.get(f"inbound/{message_id}") as response:
        inbound = await response.json()
    assert inbound["acked"]
    assert inbound["payload"]["text"] == {"body": "ping"}

    await sim.wait_settled()
    async with control.get("deliveries", params={"body": "1"}) as response:
        deliveries = await response.json()
    assert deliveries[0]["message_ids"] == [message_id]
    assert deliveries[0]["attempts"][0]["status"] == 200
    assert deliveries[0]["acked_at"] >= deliveries[0]["attempts"][0]["started_at"]
    assert deliveries[0]["body"]["object"] == "whatsapp_business_account"
    async with control.get("stats") as response:
        stats = await response.json()
    assert stats["inbound_acked"] == 1
    assert stats["outbound_by_status"] == {"read": 1}


async def test_control_errors(control: aiohttp.ClientSession) -> None:
    cases = [
        ("POST", f"customers/{CUSTOMER}/messages", {"type": "text"}, 400, "text is required"),
        ("POST", f"customers/{CUSTOMER}/messages", {"type": "hologram"}, 400, "type"),
        ("POST", f"customers/{CUSTOMER}/messages", {"type": "reaction"}, 400, "nothing was sent"),
        (
            "POST",
            f"customers/{CUSTOMER}/messages",
            {"type": "image", "image": {"id": "424242"}},
            400,
            "no media",
        ),
        ("GET", "messages/wamid.unknown", None, 404, "no such"),
        ("POST", "templates/1/status", {"status": "APPROVED"}, 404, "no such template"),
        ("POST", "clock/advance", {"seconds": -1}, 400, "seconds"),
    ]
    for method, path, body, status, fragment in cases:
        async with control.request(method, path, json=body) as response:
            assert response.status == status, path
            assert fragment in (await response.json())["error"], path


async def test_control_clock_template_customer_and_webhook(
    sim: Simulator, control: aiohttp.ClientSession, receiver: Receiver
) -> None:
    async with control.post("clock/advance", json={"seconds": 3600}) as response:
        assert response.status == 200
    assert sim.clock.offset == 3600
    record = sim.store.template(sim.default_number.waba_id, "spring_sale", "en_US")
    assert record is not None
    async with control.post(f"templates/{record.id}/status", json={"status": "PAUSED"}) as response:
        assert response.status == 200
    assert record.definition.status == "PAUSED"
    async with control.put(f"customers/{CUSTOMER}", json={"on_whatsapp": False}) as response:
        assert response.status == 200
    assert not sim.store.customers[CUSTOMER].on_whatsapp
    async with control.post("verify", json={}) as response:
        assert (await response.json())["ok"]
    async with control.put("webhook", json={"url": None}) as response:
        assert response.status == 200
    assert sim.webhook_url is None


# --- scripts --------------------------------------------------------------------------------------

SCRIPT = """
customer = "5511999990001"
name = "Maria Silva"
timeout = 5

[[steps]]
say = "hello there"

[[steps]]
expect = { type = "text", contains = "ECHO: HELLO" }

[[steps]]
say = { type = "image", image = { caption = "receipt" } }

[[steps]]
say = "where is my order?"

[[steps]]
expect = { template = "hello_world" }

[[steps]]
read = true

[[steps]]
wait = 0
"""


async def test_script_passes(sim: Simulator, receiver: Receiver, tmp_path: Path) -> None:
    receiver.on_payload = echo_bot(sim)
    path = tmp_path / "conversation.toml"
    path.write_text(SCRIPT)
    assert sim.base_url is not None
    result = await run_script(load_script(path), sim.base_url)
    assert result.steps == 7
    assert len(result.sent) == 3
    assert len(result.received) == 2
    assert sim.store.customers[CUSTOMER].profile_name == "Maria Silva"
    last = sim.store.outbound[result.received[-1]]
    await sim.wait_for_status(last.id, "read")


async def test_script_fails_with_one_line(
    sim: Simulator, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.on_payload = echo_bot(sim)
    path = tmp_path / "conversation.toml"
    path.write_text(
        'customer = "5511999990001"\n'
        '[[steps]]\nsay = "hi"\n'
        '[[steps]]\nexpect = { type = "template" }\n'
    )
    assert sim.base_url is not None
    with pytest.raises(ScriptFailed) as info:
        await run_script(load_script(path), sim.base_url)
    assert str(info.value) == "step 2 (expect template): expected template, got type text"

    path.write_text('customer = "5511999990001"\n[[steps]]\nexpect = { timeout = 0.1 }\n')
    with pytest.raises(ScriptFailed, match=r"nothing arrived in 0\.1s"):
        await run_script(load_script(path), sim.base_url)


def test_script_validation(tmp_path: Path) -> None:
    from pytake_simulator.config import ConfigError

    path = tmp_path / "bad.toml"
    path.write_text('customer = "5511999990001"\n[[steps]]\nsay = "hi"\nwait = 1\n')
    with pytest.raises(ConfigError, match="exactly one of say, expect, read, wait"):
        load_script(path)


# --- load -----------------------------------------------------------------------------------------


async def test_load_report(sim: Simulator, receiver: Receiver) -> None:
    receiver.answers = [500, 500]
    report = await sim.run_load(customers=4, rate=400, duration=0.1)
    assert isinstance(report, LoadReport)
    assert report.sent == 40
    assert report.acknowledged == 40
    assert report.unacknowledged == 0
    assert report.retried_deliveries >= 1
    assert report.delivery_attempts == report.deliveries + 2
    assert report.failed_deliveries == 0
    assert report.ack_latency_ms.p50 is not None
    assert report.ack_latency_ms.p99 is not None
    assert report.ack_latency_ms.p50 <= report.ack_latency_ms.p99
    assert len({m["from"] for m in receiver.messages()}) == 4
    assert report.outbound_received == 0
    assert report.reply_latency_ms.p50 is None
    assert any("acknowledged 40" in line for line in report.lines())


async def test_load_with_replies(sim: Simulator, receiver: Receiver) -> None:
    receiver.on_payload = echo_bot(sim)
    report = await sim.run_load(customers=3, rate=100, duration=0.1, expect_replies=True)
    assert report.sent == 10
    assert report.outbound_received == 10
    assert sum(report.outbound_statuses.values()) == 10
    # Every message has its reply, so every one has a latency, none of them negative.
    assert report.reply_latency_ms.p50 is not None
    assert report.reply_latency_ms.max is not None
    assert 0 <= report.reply_latency_ms.p50 <= report.reply_latency_ms.max
    assert any("reply latency" in line for line in report.lines())


async def test_load_against_a_dead_endpoint(make_sim: SimFactory) -> None:
    sim = await make_sim(
        webhook_url="http://127.0.0.1:9/webhook",
        delivery=DeliveryConfig(retry_base=0.01, retry_cap=0.01, max_attempts=2),
    )
    report = await sim.run_load(customers=2, rate=100, duration=0.05, drain_timeout=5)
    assert report.sent == 5
    assert report.acknowledged == 0
    assert report.failed_deliveries == 5
    assert report.ack_latency_ms.p50 is None


def test_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile([], 0.5) is None
