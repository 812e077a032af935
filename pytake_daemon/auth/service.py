"""Login, bearer authentication, API tokens."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from pytake_daemon.auth import db
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.auth.ratelimit import LoginThrottle
from pytake_daemon.auth.tokens import new_token, token_hash
from pytake_daemon.config import AuthSettings
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection, Pool, set_tenant, tenant_transaction
from pytake_daemon.errors import Unauthorized, UnprocessableEntity
from pytake_daemon.http.identity import Identity
from pytake_daemon.protocol import Role, TokenOut
from pytake_daemon.protocol.auth import Scope

# One message for every way a login can fail, so the answer doesn't say which e-mails exist.
_BAD_LOGIN = "wrong e-mail or password"
_TOUCH_EVERY = timedelta(seconds=60)

# Audit hooks: a failure against a known account (tenant, user), and a success inside the
# transaction that opens the session.
OnLoginFailure = Callable[[uuid.UUID, uuid.UUID], Awaitable[None]]
OnLoginSuccess = Callable[[Connection, Identity], Awaitable[None]]


async def login(
    pool: Pool,
    passwords: Passwords,
    throttle: LoginThrottle,
    settings: AuthSettings,
    *,
    email: str,
    password: str,
    tenant_slug: str | None,
    ip: str,
    on_failure: OnLoginFailure | None = None,
    on_success: OnLoginSuccess | None = None,
) -> tuple[str, Identity]:
    """Check a password and open a session; returns the session token (shown once)."""
    email = email.strip().lower()
    await throttle.check(email, ip)
    async with pool.acquire() as conn:
        candidates = await db.login_candidates(conn, email, tenant_slug)
    if len(candidates) > 1:
        # Verify anyway so timing matches the single-account path.
        await passwords.verify(None, password)
        raise UnprocessableEntity("this e-mail belongs to several tenants: give the tenant too")
    account = candidates[0] if candidates else None
    ok = await passwords.verify(account["password_hash"] if account else None, password)
    if account is None or not ok or account["disabled"]:
        await throttle.failed(email, ip)
        if account is not None and on_failure is not None:
            await on_failure(account["tenant_id"], account["user_id"])
        raise Unauthorized(_BAD_LOGIN)
    await throttle.succeeded(email, ip)
    token, hashed = new_token()
    expires_at = datetime.now(UTC) + timedelta(minutes=settings.session_ttl_minutes)
    async with tenant_transaction(pool, account["tenant_id"]) as conn:
        row = await db.insert_token(
            conn,
            user_id=account["user_id"],
            kind="session",
            name=f"login from {ip}",
            token_hash=hashed,
            expires_at=expires_at,
            ip=ip,
        )
        who = Identity(
            token_id=row.id,
            tenant_id=account["tenant_id"],
            user_id=account["user_id"],
            role=Role(account["role"]),
            kind="session",
            expires_at=row.expires_at,
        )
        if on_success is not None:
            await on_success(conn, who)
    return token, who


async def authenticate(pool: Pool, token: str) -> Identity:
    """The identity behind a bearer token; 401 for unknown, expired, revoked or disabled."""
    async with pool.acquire() as conn:
        row = await db.token_identity(conn, token_hash(token))
        if row is None or row["revoked_at"] is not None or row["user_disabled"]:
            raise Unauthorized("invalid or revoked token")
        now = datetime.now(UTC)
        if row["expires_at"] <= now:
            raise Unauthorized("token expired")
        last_used = row["last_used_at"]
        # Recording use is a write; once a minute is precise enough and keeps reads cheap
        # (measured in bench/api_overhead.py).
        if last_used is None or now - last_used > _TOUCH_EVERY:
            async with conn.transaction():
                await set_tenant(conn, row["tenant_id"])
                await db.touch_token(conn, row["token_id"])
    return rows.of(
        Identity,
        row,
        role=Role(row["role"]),
        # An API token's NULL scopes (only possible by hand in SQL) grant nothing: fail closed.
        scopes=frozenset(Scope(s) for s in row["scopes"] or ()) if row["kind"] == "api" else None,
    )


def scope_list(scopes: list[Scope]) -> list[str]:
    """Stored form: each scope once, in the enum's order (stable for listings and audits)."""
    return [s.value for s in Scope if s in scopes]


async def create_api_token(
    pool: Pool,
    settings: AuthSettings,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    name: str,
    ttl_days: int,
    ip: str | None,
    scopes: list[Scope],
    rate_limit_per_minute: int | None = None,
    on_created: Callable[[Connection, TokenOut], Awaitable[None]] | None = None,
) -> tuple[str, TokenOut]:
    """An API token acting as ``user_id``; its lifetime is capped by configuration."""
    ttl_days = min(ttl_days, settings.api_token_max_ttl_days)
    token, hashed = new_token()
    async with tenant_transaction(pool, tenant_id) as conn:
        row = await db.insert_token(
            conn,
            user_id=user_id,
            kind="api",
            name=name,
            token_hash=hashed,
            expires_at=datetime.now(UTC) + timedelta(days=ttl_days),
            ip=ip,
            scopes=scope_list(scopes),
            rate_limit_per_minute=rate_limit_per_minute,
        )
        info = row
        if on_created is not None:
            await on_created(conn, info)
    return token, info
