"""Account rules shared by the API and the CLI."""

from __future__ import annotations

import uuid

from pytake_daemon.auth import db as auth_db
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, Forbidden, NotFound
from pytake_daemon.protocol import Role, UserCreate, UserOut, UserUpdate
from pytake_daemon.users import db


async def create_user(
    conn: Connection, passwords: Passwords, body: UserCreate, *, by_role: Role
) -> UserOut:
    """Create a user in the transaction's tenant; nobody creates a role above their own."""
    if not by_role.at_least(body.role):
        raise Forbidden(f"a {by_role.value} can't create a {body.role.value}")
    row = await db.insert_user(
        conn,
        email=body.email,
        name=body.name,
        role=body.role.value,
        password_hash=await passwords.hash(body.password),
    )
    if row is None:
        raise Conflict(f"a user with e-mail {body.email.lower()} already exists in this tenant")
    return row


async def update_user(
    conn: Connection,
    passwords: Passwords,
    user_id: uuid.UUID,
    body: UserUpdate,
    *,
    by_role: Role,
) -> tuple[UserOut, list[uuid.UUID]]:
    """Apply a partial update; returns the user and the tokens revoked because of it.

    Disabling a user or changing their password revokes their sessions and tokens; the last
    active owner can't be demoted or disabled, so a tenant always has someone in charge.
    """
    current = await db.get_user(conn, user_id)
    if current is None:
        raise NotFound("no such user")
    current_role = current.role
    if not by_role.at_least(current_role) or (body.role and not by_role.at_least(body.role)):
        raise Forbidden(f"a {by_role.value} can't change a {current_role.value} into that")
    losing_owner = current_role is Role.OWNER and (
        (body.role is not None and body.role is not Role.OWNER) or body.disabled
    )
    if losing_owner and await db.count_active_owners(conn) <= 1:
        raise Conflict("this is the tenant's last active owner")
    password_hash = await passwords.hash(body.password) if body.password else None
    row = await db.update_user(
        conn,
        user_id,
        name=body.name,
        role=body.role.value if body.role else None,
        password_hash=password_hash,
        disabled=body.disabled,
    )
    assert row is not None
    revoked: list[uuid.UUID] = []
    if body.disabled or body.password or (body.role and body.role is not current_role):
        revoked = await auth_db.revoke_user_tokens(conn, user_id)
    return row, revoked
