"""A number's quality on Meta's side: the control API changes it, the webhook says so in Meta's
shape, and ``GET /{phone-number-id}`` shows it."""

from __future__ import annotations

import aiohttp

from pytake_simulator import Simulator
from pytake_simulator.config import MetaVariantsConfig

from .support import PHONE_ID, WABA_ID, Graph, Receiver, SimFactory


def _quality_changes(receiver: Receiver) -> list[dict[str, object]]:
    return [
        change
        for request in receiver.requests
        for entry in request.json["entry"]
        for change in entry["changes"]
        if change["field"] == "phone_number_quality_update"
    ]


async def test_control_api_changes_quality_and_meta_webhook_follows(
    sim: Simulator, receiver: Receiver, graph: Graph
) -> None:
    async with aiohttp.ClientSession(base_url=f"{sim.base_url}/_sim/") as control:
        resp = await control.post(f"numbers/{PHONE_ID}/quality", json={"event": "FLAGGED"})
        assert resp.status == 200, await resp.text()
        resp = await control.post(f"numbers/{PHONE_ID}/quality", json={"event": "DOWNGRADE"})
        assert resp.status == 200
        missing = await control.post("numbers/999/quality", json={"event": "FLAGGED"})
        assert (missing.status, await missing.json()) == (404, {"error": "no such number"})
        bad = await control.post(f"numbers/{PHONE_ID}/quality", json={"event": "WORSE"})
        assert bad.status == 400
    await sim.wait_settled()
    # Meta's 2026 shape: display digits, no rating, old_limit only when the limit changed.
    assert [c["value"] for c in _quality_changes(receiver)] == [
        {
            "display_phone_number": "15550100",
            "event": "FLAGGED",
            "max_daily_conversations_per_business": "TIER_1K",
        },
        {
            "display_phone_number": "15550100",
            "event": "DOWNGRADE",
            "old_limit": "TIER_1K",
            "max_daily_conversations_per_business": "TIER_250",
        },
    ]
    assert all(r.json["entry"][0]["id"] == WABA_ID for r in receiver.requests)
    status, body = await graph.call(
        "GET", f"/{PHONE_ID}?fields=quality_rating,messaging_limit_tier"
    )
    assert status == 200
    assert (body["quality_rating"], body["messaging_limit_tier"]) == ("RED", "TIER_250")


async def test_older_payloads_put_the_limit_in_current_limit(
    make_sim: SimFactory, receiver: Receiver
) -> None:
    sim = await make_sim(meta=MetaVariantsConfig(quality_limit_field="current_limit"))
    sim.set_number_quality(PHONE_ID, "UPGRADE", messaging_limit="TIER_10K")
    await sim.wait_settled()
    [change] = _quality_changes(receiver)
    assert change["value"] == {
        "display_phone_number": "15550100",
        "event": "UPGRADE",
        "old_limit": "TIER_1K",
        "current_limit": "TIER_10K",
    }
