"""Fixtures of the WhatsApp tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from tests.conftest import MakeTenant
from tests.whatsapp.wa_support import SimulatedWorld, simulated_world, stop_simulated_world

ApiClient = TestClient[web.Request, web.Application]


@pytest.fixture
async def simulated(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[SimulatedWorld]:
    """The simulator playing Meta, an app whose Graph API it is, and a new tenant with its
    number; stopped (the app closed within its deadline) afterwards."""
    base = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=16)
    try:
        yield base
    finally:
        await stop_simulated_world(base, base.api)
