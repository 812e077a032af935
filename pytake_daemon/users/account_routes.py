"""``/api/v1/auth/me`` and ``/api/v1/auth/password``: the caller's own account.

They read and write the users table, so they are the users domain's; they keep the ``auth``
tag (and paths) of the API they belong to. Logging in and tokens stay in ``auth/routes.py``,
below this one in the daemon's layers.
"""

from __future__ import annotations

from aiohttp import web

from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import actor_of, audit_in, audit_now
from pytake_daemon.auth import db as auth_db
from pytake_daemon.auth.me import me_of
from pytake_daemon.auth.revoked_events import announce_revoked
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import Forbidden, NotFound
from pytake_daemon.http.api import RouteTable, identity
from pytake_daemon.http.client_ip import client_ip
from pytake_daemon.keys import DB_POOL, LOGIN_THROTTLE, PASSWORDS
from pytake_daemon.protocol import Me, PasswordChange
from pytake_daemon.protocol.audit import Outcome
from pytake_daemon.protocol.auth import ProfileUpdate
from pytake_daemon.users import db

routes = RouteTable(tag="auth")


@routes.post(
    "/api/v1/auth/password",
    summary=(
        "Change your own password (the current one is required); your other sessions and API "
        "tokens are revoked, this one stays"
    ),
    body=PasswordChange,
    status=204,
    errors=(403, 422, 429),
)
async def change_password(request: web.Request, body: PasswordChange) -> None:
    caller = identity(request)
    app = request.app
    ip = client_ip(request)
    async with tenant_transaction(app[DB_POOL], caller.tenant_id) as conn:
        row = await db.credentials(conn, caller.user_id)
    if row is None:
        raise NotFound("no such user")
    email = row["email"]
    # The same throttle as logins: this endpoint must not become a password-guessing oracle.
    throttle = app[LOGIN_THROTTLE]
    await throttle.check(email, ip)
    if not await app[PASSWORDS].verify(row["password_hash"], body.current_password):
        await throttle.failed(email, ip)
        await audit_now(
            request,
            caller.tenant_id,
            "user.password_change",
            outcome=Outcome.FAILURE,
            actor=actor_of(caller),
            target_type="user",
            target_id=caller.user_id,
        )
        raise Forbidden("the current password is not correct")
    new_hash = await app[PASSWORDS].hash(body.new_password)
    async with tenant_transaction(app[DB_POOL], caller.tenant_id) as conn:
        await db.update_user(conn, caller.user_id, password_hash=new_hash)
        revoked = await auth_db.revoke_other_tokens(conn, caller.user_id, keep=caller.token_id)
        await audit_in(
            request, conn, "user.password_change", target_type="user", target_id=caller.user_id
        )
    await throttle.succeeded(email, ip)
    await announce_revoked(app, caller.tenant_id, revoked)


@routes.get("/api/v1/auth/me", summary="Who the caller is", response=Me)
async def me(request: web.Request) -> Me:
    return await me_of(request)


@routes.put(
    "/api/v1/auth/me",
    summary="Change your own profile: the language you read the console in",
    operation_id="update_me",
    body=ProfileUpdate,
    response=Me,
    errors=(404, 422),
)
async def update_me(request: web.Request, body: ProfileUpdate) -> Me:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before = await db.set_language(conn, caller.user_id, body.language)
        change = difference({"language": before}, {"language": body.language})
        if change:
            await audit_in(
                request,
                conn,
                "user.profile_update",
                target_type="user",
                target_id=caller.user_id,
                diff=change,
            )
    return await me_of(request)
