"""Canned responses' rules: who may use, add, change and remove which reply.

A reply is personal (``owner_id``: one user's, nobody else sees it, supervisors included) or
shared with the team (the whole tenant, or one department, matched against the agents'
``departments``). Agents manage their own personal replies; supervisors and above manage the
shared ones. Another user's personal reply is "not found", exactly like an id nobody has.
Both the API (``routes.py``) and ``pytake replies`` go through these functions, in the caller's
tenant transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from pytake_daemon.ai import db
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.ai import ReplyCreate, ReplyOut, ReplyScope, ReplyUpdate

NOT_FOUND = "no such reply"


@dataclass(frozen=True)
class ReplyCaller:
    """Who acts: a user with a role; the CLI acts with the owner role, as the user it names
    (``user_id`` None when it names none: it can then manage shared replies only)."""

    user_id: uuid.UUID | None
    role: Role

    @property
    def manages_shared(self) -> bool:
        return self.role.at_least(Role.SUPERVISOR)


def audit_view(row: ReplyOut | None) -> dict[str, Any] | None:
    """What the audit log keeps of a reply (its words stay out: they are the team's own)."""
    if row is None:
        return None
    return {
        "title": row.title,
        "shortcut": row.shortcut,
        "owner_id": None if row.owner_id is None else str(row.owner_id),
        "department": row.department,
        "kind": row.kind.value,
    }


async def usable(
    conn: Connection,
    caller: ReplyCaller,
    *,
    shortcut_prefix: str | None = None,
    scope: ReplyScope | None = None,
) -> list[ReplyOut]:
    """What the caller may use (and suggestions may offer them)."""
    if caller.user_id is None and scope is ReplyScope.PERSONAL:
        return []
    prefix = None if shortcut_prefix is None else shortcut_prefix.strip().removeprefix("/").lower()
    return await db.usable_replies(
        conn,
        caller.user_id or uuid.UUID(int=0),  # no user: no personal reply matches
        all_shared=caller.manages_shared,
        shortcut_prefix=prefix or None,
        scope=None if scope is None else scope.value,
    )


def _may_manage(caller: ReplyCaller, scope: ReplyScope) -> None:
    if scope is ReplyScope.TEAM and not caller.manages_shared:
        raise Forbidden(
            "shared replies are managed by supervisors; add your own with scope 'personal'"
        )
    if scope is ReplyScope.PERSONAL and caller.user_id is None:
        raise UnprocessableEntity("a personal reply needs its owner (the user it belongs to)")


def _taken(shortcut: str | None, scope: ReplyScope) -> Conflict:
    among = "the team's replies" if scope is ReplyScope.TEAM else "your own replies"
    return Conflict(f"the shortcut /{shortcut} is already used among {among}")


async def create(conn: Connection, body: ReplyCreate, caller: ReplyCaller) -> ReplyOut:
    """Add a reply in the scope the body names. Raises Forbidden, Conflict (shortcut taken)."""
    _may_manage(caller, body.scope)
    personal = body.scope is ReplyScope.PERSONAL
    try:
        async with conn.transaction():  # a savepoint: the caller's transaction stays usable
            return await db.insert_reply(
                conn,
                kind=body.kind.value,
                title=body.title,
                body=body.body,
                intents=body.intents,
                language=body.language,
                shortcut=body.shortcut,
                owner_id=caller.user_id if personal else None,
                department=body.department,
            )
    except asyncpg.UniqueViolationError:
        raise _taken(body.shortcut, body.scope) from None


async def _visible(conn: Connection, reply_id: uuid.UUID, caller: ReplyCaller) -> ReplyOut:
    row = await db.lock_reply(conn, reply_id)
    if row is None or (row.owner_id is not None and row.owner_id != caller.user_id):
        raise NotFound(NOT_FOUND)
    return row


async def update(
    conn: Connection, reply_id: uuid.UUID, body: ReplyUpdate, caller: ReplyCaller
) -> tuple[ReplyOut, ReplyOut]:
    """Change a reply (moving it between scopes needs the right to manage both); returns the
    reply before and after. Raises NotFound, Forbidden, UnprocessableEntity, Conflict."""
    before = await _visible(conn, reply_id, caller)
    current = before.scope
    _may_manage(caller, current)
    changes = body.model_dump(mode="json", exclude_unset=True)
    scope = ReplyScope(changes.get("scope") or current.value)
    _may_manage(caller, scope)
    values: dict[str, Any] = {
        "kind": before.kind.value,
        "title": before.title,
        "body": before.body,
        "intents": before.intents,
        "language": before.language,
        "shortcut": before.shortcut,
        "department": before.department,
    }
    for key, value in changes.items():
        # kind, title, body and intents can't be null: a null there means "keep it".
        if key in values and (value is not None or key in {"language", "shortcut", "department"}):
            values[key] = value
    if scope is ReplyScope.PERSONAL:
        if changes.get("department") is not None:
            raise UnprocessableEntity("department: a personal reply has no department")
        values["department"] = None
        values["owner_id"] = before.owner_id or caller.user_id
    else:
        values["owner_id"] = None
    try:
        async with conn.transaction():
            after = await db.update_reply(conn, reply_id, values)
    except asyncpg.UniqueViolationError:
        raise _taken(values["shortcut"], scope) from None
    assert after is not None  # locked above
    return before, after


async def delete(conn: Connection, reply_id: uuid.UUID, caller: ReplyCaller) -> ReplyOut:
    """Remove a reply; returns it as it was. Raises NotFound, Forbidden."""
    before = await _visible(conn, reply_id, caller)
    _may_manage(caller, before.scope)
    await db.delete_reply(conn, reply_id)
    return before
