"""``timing.send_latency``: Meta takes a while to answer a send, and the simulator can too.

A sender that waits for each answer in turn is held to (sends in flight) / latency messages a
second; ``bench/echo.py --graph-latency-ms`` uses this to show it (the daemon's old default of
four sends in flight reached 20 echoes a second at 200 ms). The wait is observed through the
module's ``asyncio``, so the test waits on an event, never on the clock.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from pytake_simulator import outbound
from pytake_simulator.config import TimingConfig

from .support import CUSTOMER, SimFactory, graph_for


async def test_a_send_is_accepted_only_after_the_latency(
    make_sim: SimFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = await make_sim(timing=TimingConfig(send_latency=0.25))
    await sim.customer(CUSTOMER).send_text("hi")
    waits: list[float] = []
    waiting, release = asyncio.Event(), asyncio.Event()
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        if seconds != 0.25:  # the statuses' own delays
            await real_sleep(seconds)
            return
        waits.append(seconds)
        waiting.set()
        await release.wait()

    names = {name: getattr(asyncio, name) for name in asyncio.__all__}
    monkeypatch.setattr(outbound, "asyncio", SimpleNamespace(**{**names, "sleep": sleep}))
    async with graph_for(sim) as graph:
        sending = asyncio.create_task(graph.text(CUSTOMER, "one moment"))
        await asyncio.wait_for(waiting.wait(), 10)
        assert waits == [0.25]
        assert not sim.store.outbound, "accepted before Meta's answer"
        assert not sending.done()
        release.set()
        status, body = await sending
    assert status == 200
    assert body["messages"][0]["id"] in sim.store.outbound


def test_the_default_answers_at_once() -> None:
    assert TimingConfig().send_latency == 0
