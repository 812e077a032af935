"""One private embedded PostgreSQL and Redis for the package, and two ``pytake daemon``
processes on them, started once (a daemon takes seconds to start on a shared machine) and
started again by the next test when one was killed.

The servers are the package's own, not the session's: the fault tests stop and restart them,
which would break every other test (tests/private_stack.py, shared with tests/test_outage.py).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import pytest

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection
from pytake_daemon.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedStack
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import APP_ROLE
from tests.private_stack import postgres_running_after, private_stack, redis_running_after
from tests.replicas.pgbouncer import PgBouncer, pgbouncer_binary
from tests.replicas.support import Replicas, admin_connection
from tests.support import TenantData, create_tenant, make_settings, secret, with_user


@pytest.fixture(scope="package")
def server_thread() -> Iterator[ThreadPoolExecutor]:
    """A thread that outlives the package's servers, for the fault tests to start them again
    off their event loop. A server dies with the thread that started it (PR_SET_PDEATHSIG,
    embedded/_process.py), and ``asyncio.to_thread``'s threads end with the test's loop; started
    on the loop instead, PostgreSQL's start (up to seconds on a loaded machine) kept the test's
    console from answering the replicas' pings, which wait half their 3 s heartbeat."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="replica-servers") as thread:
        yield thread


@pytest.fixture(scope="package")
def stack(server_thread: ThreadPoolExecutor) -> Iterator[EmbeddedStack]:
    # Depends on server_thread so that the thread ends after the servers have stopped.
    with private_stack("ptr-") as stack:
        yield stack


@pytest.fixture(scope="package")
def bouncer(stack: EmbeddedStack) -> Iterator[PgBouncer | None]:
    """PgBouncer (transaction mode) between the replicas and PostgreSQL, as docs/operations.md
    shows them; ``None`` where the Debian package isn't installed (the replicas then connect
    directly, and test_pgbouncer.py says it was skipped)."""
    binary = pgbouncer_binary()
    if binary is None:
        yield None
        return
    assert stack.postgres is not None
    bouncer = PgBouncer(stack.root / "pgbouncer", stack.postgres, [APP_ROLE, "postgres"])
    try:
        bouncer.start(binary)
        yield bouncer
    finally:
        bouncer.stop()


@pytest.fixture(scope="package")
def replica_settings(stack: EmbeddedStack, bouncer: PgBouncer | None) -> Settings:
    assert stack.postgres is not None
    assert stack.redis is not None
    admin_dsn = stack.postgres.dsn("pytake")
    # The daemons' own role through PgBouncer when there is one; migrations, the tests' own
    # checks and the backup scheduler's session lock use the owner's DSN, straight to PostgreSQL.
    app_dsn = with_user(admin_dsn, APP_ROLE) if bouncer is None else bouncer.dsn(APP_ROLE, "pytake")
    endpoints = Endpoints(
        app_dsn=secret(app_dsn),
        admin_dsn=secret(admin_dsn),
        redis_url=secret(stack.redis.url),
        app_role=APP_ROLE,
    )
    state_dir = stack.root / "state"
    state_dir.mkdir()
    settings = make_settings(
        endpoints, prefix=f"pytake-replicas-{uuid.uuid4().hex[:8]}:", state_dir=state_dir
    )
    # The key file exists before the two start (they would agree on it anyway: secretbox.py).
    load_secret_box(settings)
    return settings


@pytest.fixture(scope="package")
def replica_config(replica_settings: Settings, stack: EmbeddedStack) -> Replicas:
    """The two replicas' environments, not started: a test that runs processes of its own with
    the same settings (test_schedules.py) doesn't wait for these two to start."""
    # Behind PgBouncer in transaction mode, no prepared statement cache (config.py says why).
    return Replicas.configure(
        replica_settings, stack.root, PYTAKE_DATABASE__STATEMENT_CACHE_SIZE="0"
    )


@pytest.fixture(scope="package")
def pair(replica_config: Replicas) -> Iterator[Replicas]:
    replicas = replica_config
    try:
        replicas.start()
        yield replicas
    finally:
        replicas.stop()


@pytest.fixture
def replicas(pair: Replicas) -> Replicas:
    pair.ensure_running()
    return pair


@pytest.fixture
def postgres(stack: EmbeddedStack) -> Iterator[EmbeddedPostgres]:
    with postgres_running_after(stack) as server:
        yield server


@pytest.fixture
def redis_server(stack: EmbeddedStack) -> Iterator[EmbeddedRedis]:
    with redis_running_after(stack) as server:
        yield server


@pytest.fixture
async def tenant(replica_settings: Settings, password_hash: str) -> TenantData:
    async with admin_connection(replica_settings) as conn:
        return await create_tenant(conn, password_hash)


@pytest.fixture
async def replica_conn(replica_settings: Settings) -> AsyncIterator[Connection]:
    """An admin connection to the package's database (tests that keep PostgreSQL running)."""
    async with admin_connection(replica_settings) as conn:
        yield conn


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s
