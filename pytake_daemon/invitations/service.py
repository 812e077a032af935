"""Invitation rules shared by the API and the CLI: who may invite whom, the one-time code, and
what a code's state means for the person holding it."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

import asyncpg

from pytake_daemon.attendance import agents_db, queues_db
from pytake_daemon.auth import db as auth_db
from pytake_daemon.auth.tokens import token_hash
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    UnprocessableEntity,
)
from pytake_daemon.invitations import db
from pytake_daemon.protocol import Role, UserOut
from pytake_daemon.protocol.invitations import (
    CODE_PREFIX,
    InvitationCreate,
    InvitationOut,
    InvitationStatus,
)
from pytake_daemon.users import db as users_db


class InvitationGone(ApiError):
    """The code was right once: it has been used, has expired or was revoked."""

    status = 410
    title = "Gone"


# 192 random bits: as unguessable as a session token, short enough to paste in a command line.
_CODE_BYTES = 24
_CODE_LENGTH = len(CODE_PREFIX) + 32
UNKNOWN_CODE = "no invitation has this code: check it for typos, or ask for a new invitation"
MALFORMED_CODE = (
    f"this is not an invitation code: invitation codes start with {CODE_PREFIX} "
    f"and have {_CODE_LENGTH} characters"
)


def new_code() -> tuple[str, bytes]:
    """A fresh code and the hash to store (the same SHA-256 as session tokens)."""
    code = CODE_PREFIX + secrets.token_urlsafe(_CODE_BYTES)
    return code, token_hash(code)


def well_formed(code: str) -> bool:
    return code.startswith(CODE_PREFIX) and len(code) == _CODE_LENGTH


def status_of(row: asyncpg.Record, now: datetime) -> InvitationStatus:
    if row["accepted_at"] is not None:
        return InvitationStatus.ACCEPTED
    if row["revoked_at"] is not None:
        return InvitationStatus.REVOKED
    if row["expires_at"] <= now:
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


def to_out(row: asyncpg.Record, now: datetime) -> InvitationOut:
    return rows.of(InvitationOut, row, status=status_of(row, now))


def gone_reason(row: asyncpg.Record, now: datetime) -> str | None:
    """The one sentence for a code that no longer works, or ``None`` while it does."""
    match status_of(row, now):
        case InvitationStatus.ACCEPTED:
            return "this invitation has already been used: log in with its e-mail and password"
        case InvitationStatus.REVOKED:
            return "this invitation was revoked: ask whoever invited you for a new one"
        case InvitationStatus.EXPIRED:
            return (
                f"this invitation expired at {row['expires_at']:%Y-%m-%d %H:%M} UTC: "
                "ask whoever invited you to send it again"
            )
        case InvitationStatus.PENDING:
            return None


def _a(role: Role) -> str:
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"


def _may_handle(by_role: Role, role: Role) -> None:
    # The rule of user creation (users/service.py): nobody makes an account above their own.
    if not by_role.at_least(role):
        raise Forbidden(f"{_a(by_role)} can't invite {_a(role)}")


async def invite(
    conn: Connection,
    body: InvitationCreate,
    *,
    by_role: Role,
    by_user: uuid.UUID | None,
    now: datetime,
) -> tuple[InvitationOut, str]:
    """Create an invitation in the transaction's tenant; returns it and its code."""
    _may_handle(by_role, body.role)
    queue_ids = list(dict.fromkeys(body.queue_ids))
    for queue_id in queue_ids:
        if await queues_db.get_queue(conn, queue_id) is None:
            raise UnprocessableEntity(f"queue {queue_id} is not a queue of this tenant")
    email = body.email.strip().lower()
    if await users_db.get_user_by_email(conn, email) is not None:
        raise Conflict(f"a user with e-mail {email} already exists in this tenant")
    if await db.open_invitation_for(conn, email, now) is not None:
        raise Conflict(f"{email} already has a pending invitation: resend or revoke that one")
    code, hashed = new_code()
    row = await db.insert_invitation(
        conn,
        email=email,
        role=body.role.value,
        queue_ids=queue_ids,
        code_hash=hashed,
        invited_by=by_user,
        now=now,
        expires_at=now + timedelta(hours=body.ttl_hours),
    )
    return to_out(row, now), code


async def invite_reset(
    conn: Connection,
    user_id: uuid.UUID,
    *,
    by_role: Role,
    by_user: uuid.UUID | None,
    now: datetime,
    ttl_hours: int,
) -> tuple[InvitationOut, str]:
    """A password reset for an existing, enabled user: an invitation naming them."""
    user = await users_db.get_user(conn, user_id)
    if user is None:
        raise NotFound("no such user")
    if not by_role.at_least(user.role):
        raise Forbidden(f"{_a(by_role)} can't reset the password of {_a(user.role)}")
    if user.disabled:
        raise Conflict(f"{user.email} is disabled: enable the account first")
    if await db.open_invitation_for(conn, user.email, now) is not None:
        raise Conflict(f"{user.email} already has a pending invitation: resend or revoke that one")
    code, hashed = new_code()
    created = await db.insert_invitation(
        conn,
        email=user.email,
        role=user.role.value,
        queue_ids=[],
        code_hash=hashed,
        invited_by=by_user,
        now=now,
        expires_at=now + timedelta(hours=ttl_hours),
        resets_user_id=user.id,
    )
    return to_out(created, now), code


async def _locked(conn: Connection, invitation_id: uuid.UUID, by_role: Role) -> asyncpg.Record:
    row = await db.lock_invitation(conn, invitation_id)
    if row is None:
        raise NotFound("no such invitation")
    _may_handle(by_role, Role(row["role"]))
    return row


async def resend(
    conn: Connection, invitation_id: uuid.UUID, *, by_role: Role, now: datetime
) -> tuple[InvitationOut, str]:
    """A new code with a new expiry (the same lifetime as before); the old code is dead."""
    row = await _locked(conn, invitation_id, by_role)
    state = status_of(row, now)
    if state in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
        raise Conflict(f"this invitation was {state.value}: there is nothing to resend")
    code, hashed = new_code()
    lifetime = row["expires_at"] - row["sent_at"]
    updated = await db.replace_code(
        conn, invitation_id, code_hash=hashed, now=now, expires_at=now + lifetime
    )
    return to_out(updated, now), code


async def revoke(
    conn: Connection, invitation_id: uuid.UUID, *, by_role: Role, now: datetime
) -> tuple[InvitationOut, bool]:
    """Revoke a pending or expired invitation; returns it and whether this call revoked it."""
    row = await _locked(conn, invitation_id, by_role)
    state = status_of(row, now)
    if state is InvitationStatus.ACCEPTED:
        raise Conflict("this invitation was accepted: disable the user instead")
    if state is InvitationStatus.REVOKED:
        return to_out(row, now), False
    return to_out(await db.revoke(conn, invitation_id, now), now), True


async def accept(
    conn: Connection,
    invitation_id: uuid.UUID,
    *,
    password_hash: str,
    name: str | None,
    now: datetime,
) -> tuple[UserOut, InvitationOut, list[uuid.UUID]]:
    """Turn a live invitation into a user (and an agent who serves its queues), or for a
    password reset set that user's password; returns the tokens this revoked (a reset ends
    every session the user had).

    Runs in the invitation's tenant transaction with its row locked, so of two people racing
    with one code, the second finds it used; any refusal raises before anything is written.
    """
    row = await db.lock_invitation(conn, invitation_id)
    if row is None:  # removed with its tenant between the lookup and the lock
        raise NotFound(UNKNOWN_CODE)
    reason = gone_reason(row, now)
    if reason is not None:
        raise InvitationGone(reason)
    if row["resets_user_id"] is not None:
        return await _reset(conn, row, password_hash, now)
    email = row["email"]
    user = await users_db.insert_user(
        conn, email=email, name=name or email, role=row["role"], password_hash=password_hash
    )
    if user is None:
        raise Conflict(f"a user with e-mail {email} already exists in this tenant: log in instead")
    await _serve_queues(conn, user.id, row["queue_ids"], now)
    accepted = await db.mark_accepted(conn, invitation_id, now, user.id)
    return user, to_out(accepted, now), []


async def _reset(
    conn: Connection, row: asyncpg.Record, password_hash: str, now: datetime
) -> tuple[UserOut, InvitationOut, list[uuid.UUID]]:
    # Disabled after the reset was sent: the code must not be a way back in.
    current = await users_db.get_user(conn, row["resets_user_id"])
    if current is None or current.disabled:
        raise InvitationGone("this account is disabled: ask an admin to enable it first")
    updated = await users_db.update_user(conn, row["resets_user_id"], password_hash=password_hash)
    assert updated is not None  # read above in this transaction
    revoked = await auth_db.revoke_user_tokens(conn, row["resets_user_id"])
    accepted = await db.mark_accepted(conn, row["id"], now, row["resets_user_id"])
    return updated, to_out(accepted, now), revoked


async def _serve_queues(
    conn: Connection, user_id: uuid.UUID, queue_ids: list[uuid.UUID], now: datetime
) -> None:
    """Give the new agent what each queue requires (skills, department), so distribution draws
    them in (attendance.agents_db.served_queue_ids); a queue deleted since the invitation is
    skipped."""
    await agents_db.ensure(conn, user_id)
    skills: list[str] = []
    departments: list[str] = []
    for queue_id in queue_ids:
        queue = await queues_db.get_queue(conn, queue_id)
        if queue is None:
            continue
        skills.extend(s for s in queue["required_skills"] if s not in skills)
        department = queue["department"]
        if department is not None and department not in departments:
            departments.append(department)
    if skills or departments:
        agent = await agents_db.get_agent(conn, user_id)
        assert agent is not None  # ensured above, in this transaction
        await agents_db.update_agent(
            conn, user_id, status=agent["status"], at=now, skills=skills, departments=departments
        )


def check_code_shape(code: str) -> None:
    if not well_formed(code.strip()):
        raise BadRequest(MALFORMED_CODE)
