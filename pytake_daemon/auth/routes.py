"""``/api/v1/auth/login``, ``/api/v1/auth/logout`` and ``/api/v1/tokens``.

The caller's own account (``/api/v1/auth/me``, ``/api/v1/auth/password``) writes the users
table, so it is the users domain's (``users/account_routes.py``), above this one.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from pytake_daemon.audit.entries import Actor, difference
from pytake_daemon.audit.http import actor_of, audit_in, audit_now
from pytake_daemon.auth import db, service
from pytake_daemon.auth.me import me_of
from pytake_daemon.auth.revoked_events import announce_revoked
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.errors import Forbidden, NotFound
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.http.client_ip import client_ip
from pytake_daemon.http.identity import IDENTITY, Identity
from pytake_daemon.keys import DB_POOL, LOGIN_THROTTLE, PASSWORDS, SETTINGS
from pytake_daemon.protocol import (
    LoginRequest,
    LoginResponse,
    Role,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenOut,
)
from pytake_daemon.protocol.audit import ActorType, Outcome

routes = RouteTable(tag="auth")


@routes.post(
    "/api/v1/auth/login",
    summary="Log in with e-mail and password; returns a session token",
    body=LoginRequest,
    response=LoginResponse,
    role=None,
    errors=(401, 422, 429),
)
async def login(request: web.Request, body: LoginRequest) -> LoginResponse:
    app = request.app
    email = body.email.strip().lower()

    async def failed(tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await audit_now(
            request,
            tenant_id,
            "auth.login_failed",
            outcome=Outcome.FAILURE,
            actor=Actor(ActorType.ANONYMOUS, label=email),
            target_type="user",
            target_id=user_id,
        )

    async def succeeded(conn: Connection, who: Identity) -> None:
        await audit_in(
            request,
            conn,
            "auth.login",
            actor=actor_of(who, label=email),
            target_type="user",
            target_id=who.user_id,
        )

    token, who = await service.login(
        app[DB_POOL],
        app[PASSWORDS],
        app[LOGIN_THROTTLE],
        app[SETTINGS].auth,
        email=body.email,
        password=body.password,
        tenant_slug=body.tenant,
        ip=client_ip(request),
        on_failure=failed,
        on_success=succeeded,
    )
    request[IDENTITY] = who
    return LoginResponse(token=token, expires_at=who.expires_at, me=await me_of(request))


@routes.post("/api/v1/auth/logout", summary="Revoke the token used for this call", status=204)
async def logout(request: web.Request) -> None:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await db.revoke_token(conn, caller.token_id)
        await audit_in(request, conn, "auth.logout", target_type="token", target_id=caller.token_id)
    await announce_revoked(request.app, caller.tenant_id, [caller.token_id])


@routes.get(
    "/api/v1/tokens",
    summary="Live tokens: all of the tenant for admins, else your own",
    response=TokenList,
)
async def list_tokens(request: web.Request) -> TokenList:
    caller = identity(request)
    only = None if caller.role.at_least(Role.ADMIN) else caller.user_id
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await db.list_tokens(conn, user_id=only)
    return TokenList(items=rows)


@routes.post(
    "/api/v1/tokens",
    summary="Create an API token acting as the caller (the secret is shown once)",
    body=TokenCreate,
    response=TokenCreated,
    status=201,
)
async def create_token(request: web.Request, body: TokenCreate) -> TokenCreated:
    caller = identity(request)
    if caller.scopes is not None and not set(body.scopes) <= caller.scopes:
        # A token may mint tokens (with the admin scope) but never one that can do more.
        raise Forbidden("a token can't create a token with scopes it doesn't have itself")

    async def created(conn: Connection, info: TokenOut) -> None:
        after = info.model_dump(
            mode="json",
            include={"name", "kind", "expires_at", "scopes", "rate_limit_per_minute"},
        )
        await audit_in(
            request,
            conn,
            "token.create",
            target_type="token",
            target_id=info.id,
            diff=difference(None, after),
        )

    token, info = await service.create_api_token(
        request.app[DB_POOL],
        request.app[SETTINGS].auth,
        tenant_id=caller.tenant_id,
        user_id=caller.user_id,
        name=body.name,
        ttl_days=body.ttl_days,
        ip=client_ip(request),
        scopes=body.scopes,
        rate_limit_per_minute=body.rate_limit_per_minute,
        on_created=created,
    )
    return TokenCreated(token=token, info=info)


@routes.delete(
    "/api/v1/tokens/{id}",
    summary="Revoke a token (admins: any of the tenant; others: their own)",
    status=204,
    errors=(404,),
)
async def revoke_token(request: web.Request) -> None:
    caller = identity(request)
    token_id = path_uuid(request)
    only = None if caller.role.at_least(Role.ADMIN) else caller.user_id
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if not await db.revoke_token(conn, token_id, only_user=only):
            raise NotFound("no such token")
        await audit_in(request, conn, "token.revoke", target_type="token", target_id=token_id)
    await announce_revoked(request.app, caller.tenant_id, [token_id])
