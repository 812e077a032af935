"""What the notifications tests share: writing notifications as the fan-out does, reading the
center as a console would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pytake_daemon.auth.tokens import new_token
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.keys import DB_POOL, EVENT_BUS
from pytake_daemon.notifications.context import NOTIFICATIONS
from pytake_daemon.notifications.fanout import notify
from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol import Role
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


async def add_agent(
    admin_conn: Connection,
    tenant_id: uuid.UUID,
    name: str,
    *,
    skills: Sequence[str] = (),
    role: Role = Role.AGENT,
) -> Member:
    """One more user of the tenant (an agent row too, online), with a live session token."""
    email = f"{name.lower()}.{uuid.uuid4().hex[:6]}@example.test"
    token, hashed = new_token()
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant_id)
        user_id = await admin_conn.fetchval(
            "INSERT INTO users (tenant_id, email, name, role, password_hash)"
            " VALUES ($1, $2, $3, $4, 'x') RETURNING id",
            tenant_id, email, name, role.value,
        )  # fmt: skip
        token_id = await admin_conn.fetchval(
            "INSERT INTO auth_tokens (tenant_id, user_id, kind, name, token_hash, expires_at)"
            " VALUES ($1, $2, 'session', 'test', $3, $4) RETURNING id",
            tenant_id, user_id, hashed, datetime.now(UTC) + timedelta(hours=1),
        )  # fmt: skip
        if role is Role.AGENT:
            await admin_conn.execute(
                "INSERT INTO agents (tenant_id, id, status, capacity, skills)"
                " VALUES ($1, $2, 'online', 10, $3)",
                tenant_id, user_id, list(skills),
            )  # fmt: skip
    return Member(user_id, email, role, token, token_id)


async def settled(api: ApiClient) -> None:
    """Every event gathered so far has been fanned out (the fan-out's own signal, no sleep)."""
    await asyncio.wait_for(api.app[NOTIFICATIONS].fanout.idle.wait(), timeout=DEADLINE)


async def titles(api: ApiClient, member: Member) -> list[str]:
    return [n.title for n in (await center(api, member)).items]
