"""A small pool and a tenant of its own for each job runner test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Pool, create_pool
from tests.conftest import MakeTenant


@pytest.fixture
async def pool(endpoints: Endpoints) -> AsyncIterator[Pool]:
    pool = await create_pool(endpoints.app_dsn.get_secret_value(), min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def tenant_id(make_tenant: MakeTenant) -> uuid.UUID:
    return (await make_tenant()).id
