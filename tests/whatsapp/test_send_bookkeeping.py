"""A send Meta accepted is never sent again because recording it failed.

The database "going away" is a connection error raised where the acceptance is recorded (a
restart between Meta's answer and our commit is one round trip wide, too narrow to hit with a
real restart on purpose); the simulator, Redis and PostgreSQL are real.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import LOOPS, REDIS, SENDER
from pytake_daemon.protocol import Role
from pytake_daemon.whatsapp import outbox_db
from tests.conftest import MakeTenant
from tests.whatsapp.wa_support import (
    SimulatedWorld,
    digits,
    simulated_world,
    stage_settled,
    stop_simulated_world,
)

TIMEOUT = 10.0


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[Any]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[SimulatedWorld]:
    base = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=11)
    try:
        yield base
    finally:
        await stop_simulated_world(base, base.api)


class FlakyRecording:
    """``outbox_db.mark_accepted`` (a batch of acceptances) failing as a lost connection
    would, ``failures`` times."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.real = outbox_db.mark_accepted

    async def __call__(
        self,
        conn: Connection,
        message_ids: Sequence[uuid.UUID],
        wamids: Sequence[str],
        conversation_ids: Sequence[uuid.UUID],
    ) -> dict[uuid.UUID, outbox_db.Acceptance]:
        self.calls += 1
        if self.calls <= self.failures:
            raise asyncpg.exceptions.ConnectionDoesNotExistError(
                "connection was closed in the middle of operation"
            )
        return await self.real(conn, message_ids, wamids, conversation_ids)


async def until(predicate: Callable[[], Awaitable[bool]]) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def reply(world: SimulatedWorld, customer: str) -> dict[str, Any]:
    wamid = await world.sim.customer(customer, name="Bia").send_text("oi")
    await world.sim.wait_acked(wamid)
    await stage_settled(world.api, world.tenant.id)
    resp = await world.api.get(
        "/api/v1/conversations", params={"q": customer}, headers=world.tenant[Role.AGENT].headers
    )
    [conversation] = (await resp.json())["items"]
    resp = await world.api.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": {"type": "text", "body": "Já vai!"}},
        headers=world.tenant[Role.AGENT].headers,
    )
    assert resp.status == 201, await resp.text()
    return dict(await resp.json())


async def recorded_wamid(admin_conn: Connection, message_id: str) -> str | None:
    value: str | None = await admin_conn.fetchval(
        "SELECT wa_message_id FROM messages WHERE id = $1", uuid.UUID(message_id)
    )
    return value


async def test_a_failed_recording_is_retried_with_the_wamid_not_resent(
    world: SimulatedWorld, admin_conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyRecording(failures=3)
    monkeypatch.setattr(outbox_db, "mark_accepted", flaky)
    customer = digits(12)
    message = await reply(world, customer)

    [sent] = await world.sim.wait_for_outbound(to=customer)
    await until(lambda: _is(recorded_wamid(admin_conn, message["id"]), sent.id))
    assert flaky.calls == 4
    await world.sim.wait_settled()
    assert len(world.sim.outbound_messages(to=customer)) == 1
    redis: Redis = world.api.app[REDIS]
    # The sender forgets the noted wamid once the acceptance writer's commit reaches it.
    await until(lambda: _no_key(redis, f"*accepted:{message['id']}"))


async def test_a_sender_that_dies_before_recording_leaves_the_wamid_to_the_next(
    world: SimulatedWorld, admin_conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyRecording(failures=10**6)
    monkeypatch.setattr(outbox_db, "mark_accepted", flaky)
    customer = digits(12)
    message = await reply(world, customer)
    [sent] = await world.sim.wait_for_outbound(to=customer)
    redis: Redis = world.api.app[REDIS]
    await until(lambda: _has_key(redis, f"*accepted:{message['id']}"))

    # The process "dies": its sender stops with the recording still failing.
    sender = world.api.app[SENDER]
    await sender.stop()
    assert await recorded_wamid(admin_conn, message["id"]) is None

    # The database is back and the lease runs out; the next sender claims the row.
    monkeypatch.setattr(outbox_db, "mark_accepted", flaky.real)
    await admin_conn.execute(
        "UPDATE outbox SET locked_until = now() - interval '1 second' WHERE message_id = $1",
        uuid.UUID(message["id"]),
    )
    sender.start(world.api.app[LOOPS])
    sender.wake()
    await until(lambda: _is(recorded_wamid(admin_conn, message["id"]), sent.id))
    await world.sim.wait_settled()
    assert len(world.sim.outbound_messages(to=customer)) == 1
    await until(lambda: _no_key(redis, f"*accepted:{message['id']}"))


async def _is(value: Awaitable[str | None], expected: str) -> bool:
    return await value == expected


async def _has_key(redis: Redis, pattern: str) -> bool:
    return bool(await redis.keys(pattern))


async def _no_key(redis: Redis, pattern: str) -> bool:
    return not await redis.keys(pattern)
