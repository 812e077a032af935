"""The caller as ``Me``: who they are (the token's identity) and their profile.

The profile row is ``users.db.me``, read through the lookup the app hands in
(``READER_LOOKUP``, the one the error middleware reads the caller's language with): the users
domain sits above auth in the daemon's layers (it revokes tokens and hashes passwords), so
auth never imports it.
"""

from __future__ import annotations

from aiohttp import web

from pytake_daemon.db import rows
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import NotFound
from pytake_daemon.http.api import identity
from pytake_daemon.http.middlewares import READER_LOOKUP
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import Me


async def me_of(request: web.Request) -> Me:
    """The authenticated caller of ``request`` with their profile; NotFound when the user was
    deleted after authenticating."""
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await request.app[READER_LOOKUP](conn, caller.user_id)
    if row is None:  # the user was deleted after authenticating
        raise NotFound("no such user")
    return rows.of(
        Me,
        row,
        user_id=caller.user_id,
        role=caller.role,
        tenant_id=caller.tenant_id,
        token_id=caller.token_id,
        token_expires_at=caller.expires_at,
    )
