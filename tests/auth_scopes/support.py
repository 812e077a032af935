"""API tokens with chosen scopes, planted straight in the database for speed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pytake_daemon.auth import db
from pytake_daemon.auth.tokens import new_token
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol.auth import Scope


async def plant_token(
    conn: Connection,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    scopes: list[Scope],
    *,
    rate_limit_per_minute: int | None = None,
    name: str = "scoped",
) -> tuple[str, uuid.UUID]:
    """An API token of ``user_id`` with exactly ``scopes``; returns (secret, id)."""
    token, hashed = new_token()
    async with conn.transaction():
        await set_tenant(conn, tenant_id)
        row = await db.insert_token(
            conn,
            user_id=user_id,
            kind="api",
            name=name,
            token_hash=hashed,
            expires_at=datetime.now(UTC) + timedelta(days=1),
            ip=None,
            scopes=[s.value for s in scopes],
            rate_limit_per_minute=rate_limit_per_minute,
        )
    return token, row.id


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
