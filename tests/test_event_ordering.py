"""Clients get each tenant's events in sequence order, whichever process or transaction
committed first: the ordering point on its own (deterministic), then two apps on the same
PostgreSQL and Redis publishing at once to one client."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import WSMsgType

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.keys import EVENT_BUS
from pytake_daemon.protocol import EventEnvelope, Hello, Role, TokenRevoked, parse_server_event
from pytake_daemon.realtime.ordering import TenantOrdering
from tests.conftest import ApiClient, MakeTenant

TIMEOUT = 10.0
TENANT = uuid.uuid4()


def envelope(seq: int, tenant_id: uuid.UUID = TENANT) -> tuple[EventEnvelope, str]:
    env = EventEnvelope(
        seq=seq,
        tenant_id=tenant_id,
        at=datetime.now(UTC),
        event=TokenRevoked(token_id=uuid.uuid4()),
    )
    return env, env.model_dump_json()


class Recorder:
    def __init__(self) -> None:
        self.seqs: list[int] = []

    def __call__(self, env: EventEnvelope, frame: str) -> None:
        assert frame == env.model_dump_json()
        self.seqs.append(env.seq)


async def until(predicate: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_an_early_event_waits_for_the_one_before_it() -> None:
    got = Recorder()
    ordering = TenantOrdering(got, hold=TIMEOUT)
    ordering.open(TENANT)
    ordering.started_at(TENANT, 10)
    for seq in (12, 13, 11, 14):
        ordering.offer(*envelope(seq))
    assert got.seqs == [11, 12, 13, 14]


async def test_events_up_to_the_hello_go_out_at_once_as_old_news() -> None:
    got = Recorder()
    ordering = TenantOrdering(got, hold=TIMEOUT)
    ordering.open(TENANT)
    ordering.offer(*envelope(5))  # between the client joining and its Hello
    ordering.started_at(TENANT, 7)
    ordering.offer(*envelope(7))  # numbered before the Hello, committed after it
    ordering.offer(*envelope(9))
    ordering.offer(*envelope(8))
    assert got.seqs == [5, 7, 8, 9]


async def test_a_number_that_never_comes_costs_one_hold() -> None:
    got = Recorder()
    ordering = TenantOrdering(got, hold=0.05)
    ordering.open(TENANT)
    ordering.started_at(TENANT, 0)
    ordering.offer(*envelope(1))
    ordering.offer(*envelope(3))
    ordering.offer(*envelope(4))
    assert got.seqs == [1]
    await until(lambda: got.seqs == [1, 3, 4])
    # The missing one turning up late still reaches the hub (clients drop it as stale, but a
    # token revocation must still close its connection).
    ordering.offer(*envelope(2))
    assert got.seqs == [1, 3, 4, 2]


async def test_tenants_without_clients_here_are_not_tracked() -> None:
    got = Recorder()
    ordering = TenantOrdering(got, hold=TIMEOUT)
    ordering.offer(*envelope(1))
    ordering.open(TENANT)
    ordering.offer(*envelope(3))
    ordering.offer(*envelope(4))
    ordering.close(TENANT)
    ordering.offer(*envelope(5))
    assert got.seqs == [3, 4]


async def test_two_apps_publishing_at_once_reach_a_client_in_order(
    api: ApiClient,
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    """Two replicas on one PostgreSQL and Redis; every event numbered, committed and fanned out
    concurrently; the client of one of them sees every number once, in order."""
    other = await aiohttp_client(create_app(settings, endpoints))
    buses = (api.app[EVENT_BUS], other.app[EVENT_BUS])
    await until(lambda: all(bus.subscribed.is_set() for bus in buses))
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    count = 200
    async with api.ws_connect("/api/v1/ws", headers=agent.headers) as ws:
        hello = parse_server_event((await ws.receive(timeout=TIMEOUT)).data)
        assert isinstance(hello.event, Hello)

        async def publish(i: int) -> None:
            await buses[i % 2].publish(tenant.id, TokenRevoked(token_id=uuid.uuid4()))

        await asyncio.gather(*(publish(i) for i in range(count)))
        seqs: list[int] = []
        while len(seqs) < count:
            msg = await ws.receive(timeout=TIMEOUT)
            assert msg.type is WSMsgType.TEXT, msg
            seqs.append(parse_server_event(msg.data).seq)
    assert seqs == list(range(hello.seq + 1, hello.seq + count + 1))
