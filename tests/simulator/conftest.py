"""Fixtures: a webhook receiver playing the daemon, and simulators pointed at it (fast timings)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pytake_simulator import Simulator, SimulatorConfig

from .support import APP_SECRET, VERIFY_TOKEN, Graph, Receiver, SimFactory, graph_for


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    if r.gate is not None:
        r.gate.set()
    await r.stop()


@pytest.fixture
async def make_sim(receiver: Receiver) -> AsyncIterator[SimFactory]:
    """Start simulators with fast timings pointed at the receiver; overrides go to the config."""
    started: list[Simulator] = []

    async def make(**overrides: Any) -> Simulator:
        fields: dict[str, Any] = {
            "webhook_url": receiver.url,
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "seed": 7,
            **overrides,
        }
        sim = Simulator(SimulatorConfig.fast(**fields))
        await sim.start(host="127.0.0.1", port=0)
        started.append(sim)
        return sim

    yield make
    for sim in started:
        await sim.stop()


@pytest.fixture
async def sim(make_sim: SimFactory) -> Simulator:
    return await make_sim()


@pytest.fixture
async def graph(sim: Simulator) -> AsyncIterator[Graph]:
    async with graph_for(sim) as client:
        yield client
