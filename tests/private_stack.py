"""A private embedded PostgreSQL and Redis that a test may stop and start, and the waits such a
test needs. tests/test_outage.py and tests/replicas/ stop their servers under running apps and
daemons, which would break every other test on the session's servers; both use this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import Awaitable, Callable, Iterator

from pytake_daemon.db import migrations
from pytake_daemon.db.pool import connect
from pytake_daemon.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedStack
from tests.conftest import APP_ROLE
from tests.support import short_tmpdir


@contextlib.contextmanager
def private_stack(prefix: str) -> Iterator[EmbeddedStack]:
    """PostgreSQL (database ``pytake``, migrated) and Redis under a fresh directory of their own,
    stopped and removed afterwards."""
    root = short_tmpdir(prefix)
    stack = EmbeddedStack(
        root, postgres=EmbeddedPostgres(root, database="pytake"), redis=EmbeddedRedis(root)
    )
    try:
        stack.start()
        assert stack.postgres is not None
        migrate(stack.postgres.dsn("pytake"))
        yield stack
    finally:
        try:
            stack.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


def migrate(admin_dsn: str) -> None:
    """Every migration, as the owner (for fixtures, outside any event loop)."""

    async def upgrade() -> None:
        admin = await connect(admin_dsn)
        try:
            await migrations.upgrade(admin, APP_ROLE)
        finally:
            await admin.close()

    asyncio.run(upgrade())


@contextlib.contextmanager
def postgres_running_after(stack: EmbeddedStack) -> Iterator[EmbeddedPostgres]:
    """The stack's PostgreSQL for a test that stops it; running again afterwards whatever
    happened."""
    assert stack.postgres is not None
    try:
        yield stack.postgres
    finally:
        stack.postgres.start()


@contextlib.contextmanager
def redis_running_after(stack: EmbeddedStack) -> Iterator[EmbeddedRedis]:
    """The stack's Redis for a test that stops it; running again afterwards whatever happened."""
    assert stack.redis is not None
    try:
        yield stack.redis
    finally:
        stack.redis.start()


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition with a deadline (never a fixed sleep as synchronisation)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(0.05)


async def until_async(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """:func:`until` for a check that awaits (an HTTP probe, a query)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(0.05)
