"""What the notifications tests share: writing notifications as the fan-out does, reading the
center as a console would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pytake_daemon.keys import DB_POOL, EVENT_BUS
from pytake_daemon.notifications.fanout import notify
from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol.notifications import NotificationPage, UnreadCounts
from tests.conftest import ApiClient
from tests.support import Member

DEADLINE = 10.0


async def tell(api: ApiClient, tenant_id: uuid.UUID, *intents: Intent) -> int:
    return await notify(api.app[DB_POOL], api.app[EVENT_BUS], tenant_id, list(intents))


async def center(api: ApiClient, member: Member, **query: Any) -> NotificationPage:
    params = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in query.items()}
    resp = await api.get("/api/v1/notifications", params=params, headers=member.headers)
    assert resp.status == 200, await resp.text()
    return NotificationPage.model_validate(await resp.json())


async def unread(api: ApiClient, member: Member) -> UnreadCounts:
    resp = await api.get("/api/v1/notifications/unread", headers=member.headers)
    assert resp.status == 200, await resp.text()
    return UnreadCounts.model_validate(await resp.json())


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, what: str, timeout: float = DEADLINE
) -> Any:
    """Poll ``probe`` (an API read, as a console would) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
