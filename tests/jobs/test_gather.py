"""A batch kind that gathers: once woken, its claim loop waits ``gather_seconds`` and one claim
then takes everything queued meanwhile (the AI's analysis: a pass costs about as much for one
message as for fifty, and nobody waits on it). The wait is the runner's injected ``sleep``,
held open here by the test, so nothing depends on the clock.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from pytake_daemon.ai.service import ANALYSIS_JOB
from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.config.features import AiSettings, WhatsAppSettings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Pool
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.jobs.job import BatchHandler, Job
from pytake_daemon.jobs.runner import JobRunner
from pytake_daemon.loops import Loops
from pytake_daemon.whatsapp.ingest import INGEST_JOB
from tests.conftest import ApiClient
from tests.jobs.test_runner import NEVER, TIMEOUT, kind, queue


class Gate:
    """The runner's sleep: records each wait and holds it until the test releases it."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.entered = asyncio.Event()
        self.released = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.entered.set()
        await self.released.wait()


class Batches:
    def __init__(self) -> None:
        self.seen: list[list[int]] = []
        self.ran = asyncio.Event()

    async def __call__(self, tenant_id: uuid.UUID, jobs: list[Job]) -> None:
        self.seen.append([job.payload["n"] for job in jobs])
        self.ran.set()


@pytest.fixture
async def gate() -> Gate:
    return Gate()


@pytest.fixture
async def runner(pool: Pool, gate: Gate) -> AsyncIterator[JobRunner]:
    loops = Loops(backoff_initial=0.01, backoff_max=0.05)
    runner = JobRunner(pool, loops=loops, poll_seconds=NEVER, sleep=gate)
    yield runner
    gate.released.set()
    await runner.stop()


async def test_what_arrives_while_a_kind_gathers_is_claimed_with_what_woke_it(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID, gate: Gate
) -> None:
    name = kind()
    handler = Batches()
    runner.register_batch(name, handler, gather_seconds=0.25)
    runner.start()

    # A loop's first pass claims at once (what a previous run left); the wake-up it then waits
    # for starts the gathering, and what is queued meanwhile waits for its end.
    runner.wake(name)
    await asyncio.wait_for(gate.entered.wait(), TIMEOUT)
    for n in (1, 2, 3):
        await queue(pool, tenant_id, name, [{"n": n}])
        runner.wake(name)
    assert handler.seen == []
    gate.released.set()

    await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
    assert handler.seen == [[1, 2, 3]]
    assert gate.calls == [0.25]


async def test_a_kind_that_does_not_gather_claims_at_once(
    runner: JobRunner, pool: Pool, tenant_id: uuid.UUID, gate: Gate
) -> None:
    name = kind()
    handler = Batches()
    runner.register_batch(name, handler)
    runner.start()

    for n in (1, 2):
        handler.ran.clear()
        await queue(pool, tenant_id, name, [{"n": n}])
        runner.wake(name)
        await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
    assert handler.seen == [[1], [2]]
    assert gate.calls == []


async def test_a_lingering_kind_claims_at_once_after_a_quiet_spell_and_lingers_while_busy(
    runner: JobRunner,
    pool: Pool,
    tenant_id: uuid.UUID,
    gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The inbound stage's linger: the first message after nothing is claimed at once (a lone
    customer never waits for it); once a claim found work, the next wake-up waits the linger
    and one claim takes what arrived meanwhile."""
    claimed: list[int] = []
    claim_returned = asyncio.Event()
    real_claim = jobs_db.claim

    async def counted_claim(*args: Any, **kwargs: Any) -> list[Any]:
        rows = await real_claim(*args, **kwargs)
        claimed.append(len(rows))
        claim_returned.set()
        return rows

    monkeypatch.setattr(jobs_db, "claim", counted_claim)
    name = kind()
    handler = Batches()
    runner.register_batch(name, handler, linger_seconds=0.25)
    runner.start()
    # The loop's first claim finds nothing: from here on it is quiet.
    await asyncio.wait_for(claim_returned.wait(), TIMEOUT)
    assert claimed == [0]

    await queue(pool, tenant_id, name, [{"n": 1}])
    runner.wake(name)
    await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
    assert handler.seen == [[1]]
    assert gate.calls == []  # the loop's last claim had found nothing: no linger

    handler.ran.clear()
    await queue(pool, tenant_id, name, [{"n": 2}])
    runner.wake(name)
    await asyncio.wait_for(gate.entered.wait(), TIMEOUT)
    await queue(pool, tenant_id, name, [{"n": 3}])
    runner.wake(name)
    assert handler.seen == [[1]]
    gate.released.set()

    await asyncio.wait_for(handler.ran.wait(), TIMEOUT)
    assert handler.seen == [[1], [2, 3]]
    assert gate.calls == [0.25]


async def test_the_configured_waits_reach_their_kinds(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``[ai] batch_wait_seconds`` reaches the analysis kind's registration (a gathering, always)
    and ``[whatsapp] ingest_linger_seconds`` the inbound stage's (a linger, only while busy)."""
    registered: dict[str, tuple[float, float]] = {}
    real = JobRunner.register_batch

    def spy(
        self: JobRunner,
        name: str,
        handler: BatchHandler,
        *,
        gather_seconds: float = 0.0,
        linger_seconds: float = 0.0,
    ) -> None:
        registered[name] = (gather_seconds, linger_seconds)
        real(self, name, handler, gather_seconds=gather_seconds, linger_seconds=linger_seconds)

    monkeypatch.setattr(JobRunner, "register_batch", spy)
    assert AiSettings().batch_wait_seconds == 0.05
    assert WhatsAppSettings().ingest_linger_seconds == 0.02
    ai = settings.ai.model_copy(update={"batch_wait_seconds": 0.7})
    whatsapp = settings.whatsapp.model_copy(update={"ingest_linger_seconds": 0.3})
    await aiohttp_client(
        create_app(settings.model_copy(update={"ai": ai, "whatsapp": whatsapp}), endpoints)
    )
    assert registered == {ANALYSIS_JOB: (0.7, 0.0), INGEST_JOB: (0.0, 0.3)}
