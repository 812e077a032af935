"""``TokenRevoked`` for the stream, with what a person needs to tell which token it was: an API
token's name, a session's owner. The console's activity once said "token 3f2c…-… revoked"."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from aiohttp import web

from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.keys import DB_POOL, EVENT_BUS
from pytake_daemon.protocol import TokenRevoked

_LABELS = """
SELECT t.id, t.kind, t.name, u.email
  FROM auth_tokens t
  LEFT JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
 WHERE t.tenant_id = current_tenant_id() AND t.id = ANY($1::uuid[])
"""


async def announce_revoked(
    app: web.Application, tenant_id: uuid.UUID, token_ids: Iterable[uuid.UUID]
) -> None:
    """Publish each token's revocation, after its commit (a revoked row stays: only
    ``revoked_at`` is set, so its name is read here, once, for all of them)."""
    ids = list(token_ids)
    if not ids:
        return
    async with tenant_transaction(app[DB_POOL], tenant_id) as conn:
        found = {row["id"]: row for row in await conn.fetch(_LABELS, ids)}
    for token_id in ids:
        row = found.get(token_id)
        event = (
            TokenRevoked(token_id=token_id)
            if row is None
            else TokenRevoked(
                token_id=token_id, kind=row["kind"], name=row["name"], owner=row["email"]
            )
        )
        await app[EVENT_BUS].publish(tenant_id, event)
