"""``/api/v1/users``: the tenant's accounts (supervisors read, admins change)."""

from __future__ import annotations

from aiohttp import web

from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.auth.revoked_events import announce_revoked
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import NotFound
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, EVENT_BUS, PASSWORDS
from pytake_daemon.protocol import (
    Role,
    UserChanged,
    UserCreate,
    UserList,
    UserOut,
    UserUpdate,
)
from pytake_daemon.users import db, service

routes = RouteTable(tag="users")


def _changed(user: UserOut) -> UserChanged:
    return UserChanged(
        user_id=user.id, email=user.email, name=user.name, role=user.role, disabled=user.disabled
    )


def _audited(user: UserOut) -> dict[str, object]:
    return user.model_dump(mode="json", include={"email", "name", "role", "disabled"})


def _update_action(diff: dict[str, object]) -> str:
    if "role" in diff:
        return "user.role_change"
    if "disabled" in diff:
        return "user.disable"
    return "user.update"


@routes.get("/api/v1/users", summary="Users of the tenant", response=UserList, role=Role.SUPERVISOR)
async def list_users(request: web.Request) -> UserList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await db.list_users(conn)
    return UserList(items=rows)


@routes.get(
    "/api/v1/users/{id}", summary="One user", response=UserOut, role=Role.SUPERVISOR, errors=(404,)
)
async def get_user(request: web.Request) -> UserOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await db.get_user(conn, path_uuid(request))
    if row is None:
        raise NotFound("no such user")
    return row


@routes.post(
    "/api/v1/users",
    summary="Create a user",
    body=UserCreate,
    response=UserOut,
    status=201,
    role=Role.ADMIN,
    errors=(409,),
)
async def create_user(request: web.Request, body: UserCreate) -> UserOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        user = await service.create_user(conn, request.app[PASSWORDS], body, by_role=caller.role)
        await audit_in(
            request,
            conn,
            "user.create",
            target_type="user",
            target_id=user.id,
            diff=difference(None, _audited(user)),
        )
    await request.app[EVENT_BUS].publish(caller.tenant_id, _changed(user))
    return user


@routes.patch(
    "/api/v1/users/{id}",
    summary="Change, disable or re-enable a user",
    body=UserUpdate,
    response=UserOut,
    role=Role.ADMIN,
    errors=(404, 409),
)
async def update_user(request: web.Request, body: UserUpdate) -> UserOut:
    caller = identity(request)
    user_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before = await db.get_user(conn, user_id)
        user, revoked = await service.update_user(
            conn, request.app[PASSWORDS], user_id, body, by_role=caller.role
        )
        assert before is not None  # update_user raised NotFound otherwise
        diff = difference(_audited(before), _audited(user))
        if body.password:
            diff["password"] = {"before": "(hidden)", "after": "(changed)"}
        await audit_in(
            request, conn, _update_action(diff), target_type="user", target_id=user.id, diff=diff
        )
    bus = request.app[EVENT_BUS]
    await bus.publish(caller.tenant_id, _changed(user))
    await announce_revoked(request.app, caller.tenant_id, revoked)
    return user
