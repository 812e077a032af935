"""A reply whose send met a PostgreSQL restart leaves within seconds of the database's return,
not after its 60 s lease (issue 16, seen as a flake in tests/replicas/test_faults.py).

Meta (a scripted Graph endpoint) holds the send until the test has stopped PostgreSQL, then
answers 503: the row must be rescheduled, which the sender can only do once the database is
back. It used to give up at once, leaving the row leased for a minute; it now retries the write
while its claim holds. A private embedded stack, as tests/test_outage.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiohttp import web

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, connect, set_tenant
from pytake_daemon.embedded import EmbeddedPostgres, EmbeddedStack
from pytake_daemon.keys import LOOPS
from tests.conftest import APP_ROLE, ApiClient
from tests.private_stack import postgres_running_after, private_stack, until, until_async
from tests.support import TenantData, create_tenant, make_settings, secret, with_user
from tests.whatsapp.scripted_graph import ScriptedGraph, queued_reply, serve
from tests.whatsapp.wa_support import add_number

TIMEOUT = 10.0
# How soon after PostgreSQL is back the reply must be at Meta again (its lease is 60 s).
RESUME_DEADLINE = 5.0


@pytest.fixture(scope="module")
def stack() -> Iterator[EmbeddedStack]:
    with private_stack("pts-") as stack:
        yield stack


@pytest.fixture
def endpoints_(stack: EmbeddedStack) -> Endpoints:
    assert stack.postgres is not None
    assert stack.redis is not None
    admin_dsn = stack.postgres.dsn("pytake")
    return Endpoints(
        app_dsn=secret(with_user(admin_dsn, APP_ROLE)),
        admin_dsn=secret(admin_dsn),
        redis_url=secret(stack.redis.url),
        app_role=APP_ROLE,
    )


@pytest.fixture
def postgres(stack: EmbeddedStack) -> Iterator[EmbeddedPostgres]:
    with postgres_running_after(stack) as server:
        yield server


@pytest.fixture
async def graph() -> AsyncIterator[tuple[ScriptedGraph, str]]:
    scripted = ScriptedGraph()
    server = await serve(scripted)
    yield scripted, str(server.make_url("")).rstrip("/")
    await server.close()


async def _admin(endpoints: Endpoints) -> Connection:
    assert endpoints.admin_dsn is not None
    return await connect(endpoints.admin_dsn.get_secret_value())


async def _status(endpoints: Endpoints, tenant: TenantData, message_id: uuid.UUID) -> str:
    conn = await _admin(endpoints)
    try:
        async with conn.transaction():
            await set_tenant(conn, tenant.id)
            status: str = await conn.fetchval(
                "SELECT status FROM messages WHERE id = $1", message_id
            )
        return status
    finally:
        await conn.close()


async def test_a_send_refused_while_postgres_restarts_is_retried_soon_after_its_return(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    endpoints_: Endpoints,
    postgres: EmbeddedPostgres,
    password_hash: str,
    graph: tuple[ScriptedGraph, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    scripted, base_url = graph
    release = asyncio.Event()

    async def held_then_unavailable() -> web.Response:
        await release.wait()
        return web.json_response({"error": {"message": "Service unavailable"}}, status=503)

    scripted.answers.append(held_then_unavailable)
    settings: Settings = make_settings(
        endpoints_,
        prefix=f"pytake-outage-sends-{uuid.uuid4().hex[:8]}:",
        state_dir=tmp_path_factory.mktemp("outage-sends-state"),
    )
    wa = settings.whatsapp.model_copy(
        update={
            "graph_base_url": base_url,
            "send_backoff_seconds": 0.05,
            "send_backoff_max_seconds": 0.2,
        }
    )
    api = await aiohttp_client(create_app(settings.model_copy(update={"whatsapp": wa}), endpoints_))
    admin = await _admin(endpoints_)
    try:
        tenant = await create_tenant(admin, password_hash)
        number = await add_number(api, tenant)
        message_id = await queued_reply(api, admin, tenant.id, number)
    finally:
        await admin.close()
    await asyncio.wait_for(scripted.called.wait(), TIMEOUT)  # the send is at Meta

    postgres.stop()
    release.set()  # Meta answers 503 now: a reschedule the database can't take
    loops = api.app[LOOPS]

    def sender_met_the_outage() -> bool:
        report = {r.name: r for r in loops.report()}["outbox-sender"]
        return report.last_error is not None

    await until(sender_met_the_outage, TIMEOUT, "the sender to meet the outage")
    assert len(scripted.calls) == 1
    postgres.start()
    back = asyncio.get_running_loop().time()

    await until(lambda: len(scripted.calls) >= 2, RESUME_DEADLINE, "the reply to be sent again")
    assert scripted.calls[1] - back < RESUME_DEADLINE

    async def accepted() -> bool:
        return await _status(endpoints_, tenant, message_id) == "accepted"

    await until_async(accepted, TIMEOUT, "the reply to be recorded as accepted")
    assert len(scripted.calls) == 2  # sent once more after the refusal, never twice
