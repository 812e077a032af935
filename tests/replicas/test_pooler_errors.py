"""What PgBouncer answers while its PostgreSQL is away is a 503 with Retry-After from the daemon,
never a 500 (issue 20: "the daemon answers 503 with Retry-After meanwhile").

Seen under load in test_faults.py's PostgreSQL restart behind PgBouncer: a webhook answered 500
because the error wasn't among those the error middleware knew as an outage. PgBouncer refuses
a new client with SQLSTATE 08P01 (asyncpg's ProtocolViolationError, raised by the pool's
reconnect) while server logins fail, or after ``query_wait_timeout`` at its login when it has
no server to take the session's parameters from; and a server lost
mid-transaction reaches asyncpg as an error it wasn't waiting for, after which the connection's
next query raises InternalClientError ("cannot switch to state 12; another operation (2) is in
progress"). The refusal is produced here by a real PgBouncer whose server is away (a directory
with no socket); the second, a race of the restart's moment, is the exception as asyncpg
words it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from pytake_daemon.embedded import EmbeddedStack
from pytake_daemon.http.middlewares import error_middleware
from pytake_daemon.protocol import Problem
from tests.conftest import APP_ROLE
from tests.replicas.pgbouncer import PgBouncer, pgbouncer_binary

pytestmark = pytest.mark.xdist_group("replicas")


@pytest.fixture
def bouncer_without_server(stack: EmbeddedStack) -> Iterator[PgBouncer]:
    binary = pgbouncer_binary()
    if binary is None:
        pytest.skip("pgbouncer is not installed (Debian package 'pgbouncer')")
    assert stack.postgres is not None
    away = PgBouncer(
        stack.root / "pgbouncer-away",
        stack.postgres,
        [APP_ROLE],
        server_dir=stack.root / "no-server",
    )
    try:
        away.start(binary)
        yield away
    finally:
        away.stop()


async def refusal(dsn: str) -> BaseException:
    """The error a new client of ``dsn`` gets at its login (PgBouncer has no server to take the
    session's parameters from: it refuses the client after ``query_wait_timeout``)."""
    try:
        conn = await asyncpg.connect(dsn)
    except (asyncpg.PostgresError, OSError) as exc:
        return exc
    await conn.close()
    raise AssertionError("PgBouncer let a client in with no server behind it")


@pytest.fixture
async def raising_app() -> AsyncIterator[
    tuple[TestClient[web.Request, web.Application], dict[str, BaseException]]
]:
    """An app behind the daemon's error middleware whose one route raises what it is given."""
    raised: dict[str, BaseException] = {}

    async def handler(request: web.Request) -> web.Response:
        raise raised["error"]

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/", handler)
    async with TestClient(TestServer(app)) as client:
        yield client, raised


async def answer(
    client: TestClient[web.Request, web.Application],
    raised: dict[str, BaseException],
    exc: BaseException,
) -> tuple[int, str | None, Problem]:
    raised["error"] = exc
    resp = await client.get("/")
    return (
        resp.status,
        resp.headers.get("Retry-After"),
        Problem.model_validate(await resp.json(content_type=None)),
    )


async def test_pgbouncer_refusing_clients_is_503(
    bouncer_without_server: PgBouncer,
    raising_app: tuple[TestClient[web.Request, web.Application], dict[str, BaseException]],
) -> None:
    refused = await refusal(bouncer_without_server.dsn(APP_ROLE, "pytake"))
    assert isinstance(refused, asyncpg.ProtocolViolationError), repr(refused)
    assert refused.sqlstate == "08P01"

    status, retry_after, problem = await answer(*raising_app, refused)
    assert status == 503, problem
    assert retry_after is not None
    assert int(retry_after) > 0
    assert problem.status == 503


async def test_a_connection_broken_mid_operation_is_503(
    raising_app: tuple[TestClient[web.Request, web.Application], dict[str, BaseException]],
) -> None:
    broken = asyncpg.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    )
    status, retry_after, problem = await answer(*raising_app, broken)
    assert status == 503, problem
    assert retry_after is not None
    assert int(retry_after) > 0


async def test_a_bug_is_still_a_500(
    raising_app: tuple[TestClient[web.Request, web.Application], dict[str, BaseException]],
) -> None:
    status, retry_after, _ = await answer(*raising_app, ValueError("a bug"))
    assert status == 500
    assert retry_after is None
