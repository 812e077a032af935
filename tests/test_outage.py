"""PostgreSQL or Redis going away under a running app: 503 with Retry-After (never a 500 or a
traceback), and recovery by itself once the server is back, including the event subscriber.

These need servers they can stop, so the module starts a private embedded stack
(tests/private_stack.py, shared with tests/replicas/).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import WSMsgType
from aiohttp.client_ws import ClientWebSocketResponse
from redis.asyncio import Redis

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedStack
from pytake_daemon.keys import EVENT_BUS, LOOPS
from pytake_daemon.protocol import (
    Hello,
    MessageReceived,
    Problem,
    Readiness,
    Role,
    UserChanged,
    parse_server_event,
)
from tests.conftest import APP_ROLE, ApiClient
from tests.private_stack import (
    postgres_running_after,
    private_stack,
    redis_running_after,
    until_async,
)
from tests.support import PASSWORD, TenantData, create_tenant, make_settings, secret, with_user
from tests.whatsapp.wa_support import add_number, envelope, post_signed, text_message

RECOVERY_TIMEOUT = 20.0
TIMEOUT = 10.0
# How soon after PostgreSQL is back new messages must be processed again (issue 16).
RESUME_DEADLINE = 5.0

AiohttpClient = Callable[..., Awaitable[ApiClient]]


@pytest.fixture(scope="module")
def stack() -> Iterator[EmbeddedStack]:
    with private_stack("pto-") as stack:
        yield stack


@pytest.fixture(scope="module")
def outage_endpoints(stack: EmbeddedStack) -> Endpoints:
    assert stack.postgres is not None
    assert stack.redis is not None
    admin_dsn = stack.postgres.dsn("pytake")
    return Endpoints(
        app_dsn=secret(with_user(admin_dsn, APP_ROLE)),
        admin_dsn=secret(admin_dsn),
        redis_url=secret(stack.redis.url),
        app_role=APP_ROLE,
    )


@pytest.fixture(scope="module")
def outage_settings(
    outage_endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return make_settings(
        outage_endpoints,
        prefix=f"pytake-outage-{uuid.uuid4().hex[:8]}:",
        state_dir=tmp_path_factory.mktemp("outage-state"),
    )


@pytest.fixture
async def tenant(outage_endpoints: Endpoints, password_hash: str) -> TenantData:
    assert outage_endpoints.admin_dsn is not None
    conn: Connection = await connect(outage_endpoints.admin_dsn.get_secret_value())
    try:
        return await create_tenant(conn, password_hash)
    finally:
        await conn.close()


@pytest.fixture
async def make_api(
    aiohttp_client: AiohttpClient, outage_settings: Settings, outage_endpoints: Endpoints
) -> Callable[[], Awaitable[ApiClient]]:
    async def make() -> ApiClient:
        return await aiohttp_client(create_app(outage_settings, outage_endpoints))

    return make


@pytest.fixture
def postgres(stack: EmbeddedStack) -> Iterator[EmbeddedPostgres]:
    with postgres_running_after(stack) as server:
        yield server


@pytest.fixture
def redis_server(stack: EmbeddedStack) -> Iterator[EmbeddedRedis]:
    with redis_running_after(stack) as server:
        yield server


@pytest.fixture
async def redis_client(outage_endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = Redis.from_url(outage_endpoints.redis_url.get_secret_value())
    yield client
    await client.aclose()


async def readiness(api: ApiClient) -> tuple[int, Readiness, str | None]:
    resp = await api.get("/readyz")
    return resp.status, Readiness.model_validate(await resp.json()), resp.headers.get("Retry-After")


async def assert_unavailable(resp_status: int, headers: dict[str, str], body: str) -> None:
    assert resp_status == 503, body
    assert int(headers["Retry-After"]) > 0
    assert headers["Content-Type"].startswith("application/problem+json")
    problem = Problem.model_validate_json(body)
    assert problem.status == 503
    assert "Traceback" not in body
    assert "asyncpg" not in body
    assert "redis" not in body.lower()


async def me_status(api: ApiClient, tenant: TenantData) -> int:
    resp = await api.get("/api/v1/auth/me", headers=tenant[Role.AGENT].headers)
    await resp.read()
    return resp.status


async def test_postgres_outage_503_then_recovers(
    make_api: Callable[[], Awaitable[ApiClient]],
    tenant: TenantData,
    postgres: EmbeddedPostgres,
) -> None:
    api = await make_api()
    assert await me_status(api, tenant) == 200
    status, ready, _ = await readiness(api)
    assert status == 200
    assert ready.ready

    postgres.stop()
    assert not postgres.is_running()

    status, ready, retry_after = await readiness(api)
    assert status == 503
    assert retry_after is not None
    assert int(retry_after) > 0
    assert not ready.database
    assert ready.redis
    assert not ready.ready

    # Several calls: the first may meet a pooled connection the server closed, later ones a
    # refused connect; both must be 503.
    for _ in range(3):
        resp = await api.get("/api/v1/auth/me", headers=tenant[Role.AGENT].headers)
        await assert_unavailable(resp.status, dict(resp.headers), await resp.text())
    resp = await api.post(
        "/api/v1/auth/login", json={"email": tenant[Role.AGENT].email, "password": PASSWORD}
    )
    await assert_unavailable(resp.status, dict(resp.headers), await resp.text())
    # The process is fine: liveness still answers.
    assert (await api.get("/healthz")).status == 200

    postgres.start()

    async def ready_again() -> bool:
        return (await readiness(api))[0] == 200

    await until_async(ready_again, RECOVERY_TIMEOUT, "readyz after PostgreSQL restart")

    async def me_ok() -> bool:
        return await me_status(api, tenant) == 200

    await until_async(me_ok, RECOVERY_TIMEOUT, "an API call after PostgreSQL restart")
    resp = await api.post(
        "/api/v1/auth/login", json={"email": tenant[Role.AGENT].email, "password": PASSWORD}
    )
    assert resp.status == 200, await resp.text()


async def test_redis_outage_503_then_recovers_and_resubscribes(
    make_api: Callable[[], Awaitable[ApiClient]],
    tenant: TenantData,
    redis_server: EmbeddedRedis,
    redis_client: Redis,
    outage_settings: Settings,
) -> None:
    app1, app2 = await make_api(), await make_api()
    channel = f"{outage_settings.redis.key_prefix}events"
    bus1, bus2 = app1.app[EVENT_BUS], app2.app[EVENT_BUS]
    await asyncio.wait_for(bus1.subscribed.wait(), TIMEOUT)
    await asyncio.wait_for(bus2.subscribed.wait(), TIMEOUT)

    agent = tenant[Role.AGENT]
    ws: ClientWebSocketResponse[bool]
    async with app1.ws_connect("/api/v1/ws", headers=agent.headers) as ws:
        msg = await ws.receive(timeout=TIMEOUT)
        hello = parse_server_event(msg.data)
        assert isinstance(hello.event, Hello)

        redis_server.stop()

        status, ready, retry_after = await readiness(app1)
        assert status == 503
        assert retry_after is not None
        assert not ready.redis
        assert ready.database
        resp = await app1.post(
            "/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD}
        )
        await assert_unavailable(resp.status, dict(resp.headers), await resp.text())
        # Authenticated calls that don't need Redis keep working.
        assert await me_status(app1, tenant) == 200

        redis_server.start()

        async def ready_again() -> bool:
            return (await readiness(app1))[0] == 200 and (await readiness(app2))[0] == 200

        await until_async(ready_again, RECOVERY_TIMEOUT, "readyz after Redis restart")

        # The restarted server has no subscriptions: both subscribers must come back by themselves.
        async def resubscribed() -> bool:
            counts = dict(await redis_client.pubsub_numsub(channel))
            return int(counts.get(channel.encode(), 0)) == 2

        await until_async(resubscribed, RECOVERY_TIMEOUT, "both event subscribers to resubscribe")
        # Subscribed on Redis is not yet joined: each bus first trades hello and answer with
        # the other (or waits out its join timer), so wait for the join rather than assert it.
        await asyncio.wait_for(bus1.subscribed.wait(), RECOVERY_TIMEOUT)
        await asyncio.wait_for(bus2.subscribed.wait(), RECOVERY_TIMEOUT)

        event = UserChanged(
            user_id=uuid.uuid4(), email="x@y.test", name="X", role=Role.AGENT, disabled=False
        )
        published = await bus2.publish(tenant.id, event)
        assert published.seq == hello.seq + 1
        msg = await ws.receive(timeout=TIMEOUT)
        assert msg.type is WSMsgType.TEXT
        received = parse_server_event(msg.data)
        assert received.seq == published.seq
        assert received.event == event

        resp = await app1.post(
            "/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD}
        )
        assert resp.status == 200, await resp.text()


async def test_module_stack_is_private(stack: EmbeddedStack) -> None:
    # Guard against ever stopping someone else's servers: everything lives under our root.
    assert stack.postgres is not None
    assert stack.redis is not None
    assert Path(stack.postgres.socket_dir).is_relative_to(stack.root)
    assert stack.redis.socket_path.is_relative_to(stack.root)


async def test_postgres_crash_during_a_request_is_503_then_recovers(
    make_api: Callable[[], Awaitable[ApiClient]],
    tenant: TenantData,
    postgres: EmbeddedPostgres,
    outage_endpoints: Endpoints,
) -> None:
    """A backend dying (OOM killer, segfault) makes the postmaster restart every session: the
    requests in flight get 57P02 'terminating connection because of crash of another server
    process', which must be a 503 like any other outage."""
    api = await make_api()
    victim = tenant[Role.SUPERVISOR]  # a token never used yet, so authenticating writes to it
    assert outage_endpoints.admin_dsn is not None
    holder: Connection = await connect(outage_endpoints.admin_dsn.get_secret_value())
    try:
        holder_pid: int = await holder.fetchval("SELECT pg_backend_pid()")
        tx = holder.transaction()
        await tx.start()
        # Blocks the token lookup itself, which runs outside any transaction of the app's.
        await holder.execute("LOCK TABLE auth_tokens IN ACCESS EXCLUSIVE MODE")

        request = asyncio.create_task(
            api.get("/api/v1/auth/me", headers=victim.headers), name="blocked-request"
        )

        async def blocked() -> bool:
            waiting: int = await holder.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name LIKE 'pytake#%' AND wait_event_type = 'Lock'"
            )
            return waiting == 1

        await until_async(blocked, TIMEOUT, "the request to wait on the row lock")
        os.kill(holder_pid, signal.SIGKILL)
        resp = await asyncio.wait_for(request, TIMEOUT)
        await assert_unavailable(resp.status, dict(resp.headers), await resp.text())
    finally:
        with contextlib.suppress(Exception):
            await holder.close(timeout=2)
        holder.terminate()
    assert postgres.is_running()  # the same postmaster recovered by itself

    async def me_ok() -> bool:
        return await me_status(api, tenant) == 200

    await until_async(me_ok, RECOVERY_TIMEOUT, "an API call after crash recovery")
    status, ready, _ = await readiness(api)
    assert status == 200
    assert ready.ready


async def test_processing_resumes_by_itself_after_a_postgres_restart_under_load(
    make_api: Callable[[], Awaitable[ApiClient]],
    tenant: TenantData,
    postgres: EmbeddedPostgres,
) -> None:
    """The drill that once stopped flows, events and AI for every new message until a manual
    restart (the ingest claimer died of an exception it didn't expect, /readyz still 200):
    webhooks keep coming while PostgreSQL restarts (fast shutdown), and a message sent after it
    is back reaches WebSocket clients within RESUME_DEADLINE of its return."""
    api = await make_api()
    number = await add_number(api, tenant)
    loops = api.app[LOOPS]
    received: set[str] = set()
    arrived = asyncio.Event()
    stopping = asyncio.Event()

    async def load() -> None:
        n = 0
        while not stopping.is_set():
            n += 1
            msg = text_message(f"1555{n % 5:07d}", f"load {n}")
            with contextlib.suppress(OSError):  # a 503 or a dropped request while it's away
                payload = envelope(number, messages=[msg])
                await post_signed(api, payload, number.app_secret, settle=False)
            # A pacing timer for the load, not synchronisation.
            await asyncio.sleep(0.01)

    async def read_events(ws: ClientWebSocketResponse[bool]) -> None:
        async for msg in ws:
            envelope_ = parse_server_event(msg.data)
            if isinstance(envelope_.event, MessageReceived):
                received.add(envelope_.event.message.wa_message_id or "")
                arrived.set()

    ws: ClientWebSocketResponse[bool]
    async with api.ws_connect("/api/v1/ws", headers=tenant[Role.AGENT].headers) as ws:
        reader = asyncio.create_task(read_events(ws))
        load_task = asyncio.create_task(load())
        try:
            await asyncio.wait_for(arrived.wait(), TIMEOUT)  # the path works under load

            postgres.stop()

            async def claimer_met_the_outage() -> bool:
                report = {r.name: r for r in loops.report()}["jobs-ingest"]
                return report.last_error is not None

            await until_async(claimer_met_the_outage, TIMEOUT, "the ingest claimer to fail")
            postgres.start()
            back = asyncio.get_running_loop().time()

            marker = text_message("15550009999", "after the restart")

            async def acknowledged() -> bool:
                payload = envelope(number, messages=[marker])
                return (await post_signed(api, payload, number.app_secret, settle=False))[0] == 200

            await until_async(acknowledged, RESUME_DEADLINE, "the webhook to be acknowledged again")

            async def marker_received() -> bool:
                return marker["id"] in received

            remaining = back + RESUME_DEADLINE - asyncio.get_running_loop().time()
            await until_async(marker_received, remaining, "the new message to be processed")
        finally:
            stopping.set()
            await load_task
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    assert all(report.alive for report in loops.report())

    async def ready_again() -> bool:
        return (await readiness(api))[0] == 200

    await until_async(ready_again, RECOVERY_TIMEOUT, "readyz after the restart")
