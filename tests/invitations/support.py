"""What the invitation tests share: inviting and accepting through the API, a clock to pin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientResponse

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Problem
from pytake_daemon.protocol.invitations import InvitationSent
from tests.conftest import ApiClient
from tests.support import Member, unique_ip

NEW_PASSWORD = "a long enough passphrase"


@dataclass
class PinnedClock:
    """The invitations' clock in tests: moved by hand, never by the wall."""

    at: datetime = field(default_factory=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


async def invite(api: ApiClient, member: Member, **body: Any) -> InvitationSent:
    resp = await api.post("/api/v1/invitations", json=body, headers=member.headers)
    assert resp.status == 201, await resp.text()
    return InvitationSent.model_validate(await resp.json())


async def accept(
    api: ApiClient, code: str, *, ip: str | None = None, **extra: Any
) -> ClientResponse:
    """Accept from an address of its own (``proxied_api`` trusts the header): the throttle's
    counters live in Redis for the whole session, and only the throttle test shares one."""
    body = {"code": code, "password": NEW_PASSWORD, **extra}
    headers = {"X-Forwarded-For": ip or unique_ip()}
    return await api.post("/api/v1/invitations/accept", json=body, headers=headers)


async def problem(resp: ClientResponse) -> tuple[int, str | None]:
    return resp.status, Problem.model_validate(await resp.json()).detail


async def user_count(conn: Connection, tenant_id: uuid.UUID) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM users WHERE tenant_id = $1", tenant_id)
    return count


async def audit_actions(conn: Connection, tenant_id: uuid.UUID) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT action, outcome FROM audit_entries WHERE tenant_id = $1"
        " AND action LIKE 'invitation.%' ORDER BY seq",
        tenant_id,
    )
    return [(r["action"], r["outcome"]) for r in rows]
