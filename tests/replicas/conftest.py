"""The replica pair of a module: two ``pytake daemon`` processes on the session's PostgreSQL and
Redis, started once, and started again by the next test when one was killed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from pytake_daemon.config import Settings
from tests.replicas.support import Replicas
from tests.support import short_tmpdir


@pytest.fixture(scope="module")
def pair(settings: Settings) -> Iterator[Replicas]:
    replicas = Replicas.configure(settings, short_tmpdir("ptr-"))
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
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s
