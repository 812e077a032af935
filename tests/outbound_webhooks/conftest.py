"""An app whose endpoints may point at 127.0.0.1 (the tests' receivers), and receivers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from tests.conftest import ApiClient
from tests.outbound_webhooks.support import Receiver


@pytest.fixture
async def hooks_api(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
) -> ApiClient:
    hooks = settings.outbound_webhooks.model_copy(
        update={"http_allowed": ["127.0.0.1"], "timeout_seconds": 1.0}
    )
    return await aiohttp_client(
        create_app(settings.model_copy(update={"outbound_webhooks": hooks}), endpoints)
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    if server.hold is not None:
        server.hold.set()
    await server.stop()
