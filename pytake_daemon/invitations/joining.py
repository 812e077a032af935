"""Accepting an invitation: the unauthenticated path where the code is the credential.

The order of checks: the throttle (per code and per address, Redis, the login's limits) → the
password hashed with argon2id, whatever comes next, so every answer costs the same hash and
timing can't tell a live code from a dead one → the code's shape (400) → its hash looked up
through ``invitation_by_code()`` (404) → in the tenant's transaction with the row locked: used,
expired, revoked (410), the e-mail taken meanwhile (409) → user, agent, session, audit, commit.
A refusal writes nothing but the throttle's count (and an audit line when the tenant is known).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pytake_daemon.auth import db as auth_db
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.auth.ratelimit import LoginThrottle
from pytake_daemon.auth.tokens import new_token, token_hash
from pytake_daemon.config import AuthSettings
from pytake_daemon.db.pool import Connection, Pool, tenant_transaction
from pytake_daemon.errors import ApiError, BadRequest, NotFound
from pytake_daemon.http.identity import Identity
from pytake_daemon.invitations import db, service
from pytake_daemon.protocol import Role, UserOut
from pytake_daemon.protocol.invitations import InvitationAccept, InvitationOut


@dataclass(frozen=True, slots=True)
class Joined:
    token: str
    who: Identity
    user: UserOut
    invitation: InvitationOut
    revoked: tuple[uuid.UUID, ...] = ()
    """The user's tokens a password reset ended (before this session was opened)."""


# Audit hooks: a refusal of a code whose tenant is known, and the acceptance inside its
# transaction.
OnRefused = Callable[[uuid.UUID, uuid.UUID], Awaitable[None]]
OnJoined = Callable[[Connection, Joined], Awaitable[None]]


async def join(
    pool: Pool,
    passwords: Passwords,
    throttle: LoginThrottle,
    settings: AuthSettings,
    body: InvitationAccept,
    *,
    ip: str,
    now: datetime,
    on_refused: OnRefused,
    on_joined: OnJoined,
) -> Joined:
    """Create the invited user and open their first session (the token is shown once)."""
    code = body.code.strip()
    # The throttle's "account" is the code's hash: a Redis key never holds the secret.
    key = token_hash(code).hex()
    await throttle.check(key, ip)
    password_hash = await passwords.hash(body.password)
    if not service.well_formed(code):
        await throttle.failed(key, ip)
        raise BadRequest(service.MALFORMED_CODE)
    async with pool.acquire() as conn:
        found = await db.tenant_of_code(conn, token_hash(code))
    if found is None:
        await throttle.failed(key, ip)
        raise NotFound(service.UNKNOWN_CODE)
    token, hashed = new_token()
    try:
        async with tenant_transaction(pool, found["tenant_id"]) as conn:
            user, invitation, revoked = await service.accept(
                conn, found["id"], password_hash=password_hash, name=body.name, now=now
            )
            # The session's lifetime runs on the real clock, like a login's: a clock pinned
            # for the invitation's expiry must not hand out a session that is already over.
            row = await auth_db.insert_token(
                conn,
                user_id=user.id,
                kind="session",
                name=f"invitation accepted from {ip}",
                token_hash=hashed,
                expires_at=datetime.now(UTC) + timedelta(minutes=settings.session_ttl_minutes),
                ip=ip,
            )
            who = Identity(
                token_id=row.id,
                tenant_id=found["tenant_id"],
                user_id=user.id,
                role=Role(user.role),
                kind="session",
                expires_at=row.expires_at,
            )
            joined = Joined(token, who, user, invitation, tuple(revoked))
            await on_joined(conn, joined)
    except ApiError:
        await throttle.failed(key, ip)
        await on_refused(found["tenant_id"], found["id"])
        raise
    await throttle.succeeded(key, ip)
    return joined
