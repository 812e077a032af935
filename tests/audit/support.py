"""Helpers shared by the audit tests."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pytake_daemon.keys import AUDIT_RECORDER
from pytake_daemon.protocol.audit import AuditEntryOut, AuditList
from tests.conftest import ApiClient
from tests.support import Member


async def drain(api: ApiClient) -> None:
    """Wait for the middleware's background audit writes of the requests made so far."""
    app = api.app
    assert isinstance(app, web.Application)
    await app[AUDIT_RECORDER].drain()


async def entries(api: ApiClient, admin: Member, **params: Any) -> list[AuditEntryOut]:
    await drain(api)
    resp = await api.get("/api/v1/audit", params=params, headers=admin.headers)
    assert resp.status == 200, await resp.text()
    return list(AuditList.model_validate_json(await resp.read()).items)
