"""``/api/v1/invitations``: admins invite, list, resend and revoke; the invitee accepts with the
code alone (no token), and gets a session as after a login."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.audit.entries import Actor, difference
from pytake_daemon.audit.http import actor_of, audit_in, audit_now
from pytake_daemon.auth.ratelimit import LoginThrottle
from pytake_daemon.auth.revoked_events import announce_revoked
from pytake_daemon.auth.tokens import token_hash
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.errors import NotFound
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.http.client_ip import client_ip
from pytake_daemon.invitations import db, mail, service
from pytake_daemon.invitations.joining import Joined, join
from pytake_daemon.keys import DB_POOL, EVENT_BUS, PASSWORDS, REDIS, SECRET_BOX, SETTINGS
from pytake_daemon.protocol import LoginResponse, Me, Role, UserChanged
from pytake_daemon.protocol.audit import ActorType, Outcome
from pytake_daemon.protocol.invitations import (
    InvitationAccept,
    InvitationChanged,
    InvitationCreate,
    InvitationList,
    InvitationOut,
    InvitationSent,
    InvitationStatus,
    PasswordResetCreate,
)
from pytake_daemon.users import db as users_db

routes = RouteTable(tag="invitations")

Clock = Callable[[], datetime]
# Owned here, not in keys.py (nothing else needs it). Tests set it on the app before it starts,
# to pin the time invitations expire by.
INVITATION_CLOCK = web.AppKey[Clock]("invitation_clock")


def _now(request: web.Request) -> datetime:
    clock = request.app.get(INVITATION_CLOCK)
    return clock() if clock is not None else datetime.now(UTC)


def _audited(invitation: InvitationOut) -> dict[str, object]:
    return invitation.model_dump(
        mode="json", include={"email", "role", "queue_ids", "expires_at", "status"}
    )


async def _announce(request: web.Request, invitation: InvitationOut) -> InvitationOut:
    """After the commit: the admins' Invitations pages read the list again."""
    event = InvitationChanged(invitation_id=invitation.id, status=invitation.status)
    await request.app[EVENT_BUS].publish(identity(request).tenant_id, event)
    return invitation


async def _sent(
    request: web.Request, invitation: InvitationOut, code: str, outgoing: mail.Outgoing | None
) -> InvitationSent:
    """E-mail the code after the commit; when it can't be, the admin gets it to pass on."""
    sent = await _delivered(request, invitation, code, outgoing)
    await _announce(request, sent.invitation)
    return sent


async def _delivered(
    request: web.Request, invitation: InvitationOut, code: str, outgoing: mail.Outgoing | None
) -> InvitationSent:
    if outgoing is None:
        return InvitationSent(invitation=invitation, emailed=False, code=code)
    delivery = await mail.send(outgoing, request.app[SETTINGS].notifications)
    if not delivery.emailed:
        return InvitationSent(
            invitation=invitation, emailed=False, code=code, email_error=delivery.error
        )
    caller = identity(request)
    now = _now(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await db.mark_emailed(conn, invitation.id, token_hash(code), now)
    updated = service.to_out(row, now) if row is not None else invitation
    return InvitationSent(invitation=updated, emailed=True)


@routes.post(
    "/api/v1/invitations",
    summary="Invite a person by e-mail; the code is e-mailed, or returned once without SMTP",
    body=InvitationCreate,
    response=InvitationSent,
    status=201,
    role=Role.ADMIN,
    errors=(403, 409, 422),
)
async def create_invitation(request: web.Request, body: InvitationCreate) -> InvitationSent:
    caller = identity(request)
    now = _now(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        invitation, code = await service.invite(
            conn, body, by_role=caller.role, by_user=caller.user_id, now=now
        )
        outgoing = await mail.prepare(conn, request.app[SECRET_BOX], invitation, code)
        after = {**_audited(invitation), "delivery": "email" if outgoing else "shown"}
        await audit_in(
            request,
            conn,
            "invitation.create",
            target_type="invitation",
            target_id=invitation.id,
            diff=difference(None, after),
        )
    return await _sent(request, invitation, code, outgoing)


@routes.post(
    "/api/v1/invitations/password-resets",
    summary=(
        "Reset a user's password by a new invitation code (e-mailed, or returned once): they "
        "choose the password with it, and their sessions end then"
    ),
    body=PasswordResetCreate,
    response=InvitationSent,
    status=201,
    role=Role.ADMIN,
    errors=(403, 404, 409),
)
async def create_password_reset(request: web.Request, body: PasswordResetCreate) -> InvitationSent:
    caller = identity(request)
    now = _now(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        invitation, code = await service.invite_reset(
            conn,
            body.user_id,
            by_role=caller.role,
            by_user=caller.user_id,
            now=now,
            ttl_hours=body.ttl_hours,
        )
        outgoing = await mail.prepare(conn, request.app[SECRET_BOX], invitation, code)
        after = {**_audited(invitation), "delivery": "email" if outgoing else "shown"}
        await audit_in(
            request,
            conn,
            "user.password_reset_sent",
            target_type="user",
            target_id=body.user_id,
            diff=difference(None, after),
        )
    return await _sent(request, invitation, code, outgoing)


@routes.get(
    "/api/v1/invitations",
    summary="The tenant's invitations, newest first",
    response=InvitationList,
    role=Role.ADMIN,
)
async def list_invitations(request: web.Request) -> InvitationList:
    caller = identity(request)
    now = _now(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        rows = await db.list_invitations(conn)
    return InvitationList(items=[service.to_out(r, now) for r in rows])


@routes.post(
    "/api/v1/invitations/{id}/resend",
    summary="A new code and expiry for a pending or expired invitation; the old code stops working",
    response=InvitationSent,
    role=Role.ADMIN,
    errors=(403, 404, 409),
)
async def resend_invitation(request: web.Request) -> InvitationSent:
    caller = identity(request)
    now = _now(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        invitation, code = await service.resend(
            conn, path_uuid(request), by_role=caller.role, now=now
        )
        outgoing = await mail.prepare(conn, request.app[SECRET_BOX], invitation, code)
        await audit_in(
            request,
            conn,
            "invitation.resend",
            target_type="invitation",
            target_id=invitation.id,
            diff={"expires_at": {"after": invitation.expires_at.isoformat()}},
        )
    return await _sent(request, invitation, code, outgoing)


@routes.delete(
    "/api/v1/invitations/{id}",
    summary="Revoke an invitation: its code stops working",
    response=InvitationOut,
    role=Role.ADMIN,
    errors=(403, 404, 409),
)
async def revoke_invitation(request: web.Request) -> InvitationOut:
    caller = identity(request)
    now = _now(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        invitation, revoked = await service.revoke(
            conn, path_uuid(request), by_role=caller.role, now=now
        )
        if revoked:
            await audit_in(
                request,
                conn,
                "invitation.revoke",
                target_type="invitation",
                target_id=invitation.id,
                diff={"status": {"before": "pending", "after": "revoked"}},
            )
    return await _announce(request, invitation) if revoked else invitation


@routes.post(
    "/api/v1/invitations/accept",
    summary=(
        "Join with an invitation code: choose a password, get a session (no token needed; "
        "throttled like logins)"
    ),
    body=InvitationAccept,
    response=LoginResponse,
    status=201,
    role=None,
    errors=(400, 404, 409, 410, 422, 429),
)
async def accept_invitation(request: web.Request, body: InvitationAccept) -> LoginResponse:
    app = request.app
    settings = app[SETTINGS]
    # Its own counters (prefix), the login's limits: a wrong code never locks anyone's login.
    throttle = LoginThrottle(
        app[REDIS], settings.auth, prefix=f"{settings.redis.key_prefix}invitation:"
    )

    async def refused(tenant_id: uuid.UUID, invitation_id: uuid.UUID) -> None:
        await audit_now(
            request,
            tenant_id,
            "invitation.accept",
            outcome=Outcome.FAILURE,
            actor=Actor(ActorType.ANONYMOUS),
            target_type="invitation",
            target_id=invitation_id,
        )

    async def joined(conn: Connection, done: Joined) -> None:
        reset = done.invitation.resets_user_id is not None
        await audit_in(
            request,
            conn,
            "user.password_reset" if reset else "invitation.accept",
            actor=actor_of(done.who, label=done.user.email),
            target_type="invitation",
            target_id=done.invitation.id,
            diff={"user_id": {"after": str(done.user.id)}, "role": {"after": done.user.role}},
        )

    done = await join(
        app[DB_POOL],
        app[PASSWORDS],
        throttle,
        settings.auth,
        body,
        ip=client_ip(request),
        now=_now(request),
        on_refused=refused,
        on_joined=joined,
    )
    async with tenant_transaction(app[DB_POOL], done.who.tenant_id) as conn:
        row = await users_db.me(conn, done.user.id)
    if row is None:  # removed in the instant since the commit
        raise NotFound("no such user")
    user = done.user
    bus = app[EVENT_BUS]
    await bus.publish(
        done.who.tenant_id,
        UserChanged(user_id=user.id, email=user.email, name=user.name, role=user.role,
                    disabled=user.disabled),
    )  # fmt: skip
    # A reset ended the user's other sessions.
    await announce_revoked(app, done.who.tenant_id, done.revoked)
    accepted = InvitationChanged(invitation_id=done.invitation.id, status=InvitationStatus.ACCEPTED)
    await bus.publish(done.who.tenant_id, accepted)
    me = Me(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        tenant_id=done.who.tenant_id,
        tenant_slug=row["tenant_slug"],
        tenant_name=row["tenant_name"],
        token_id=done.who.token_id,
        token_expires_at=done.who.expires_at,
    )
    return LoginResponse(token=done.token, expires_at=done.who.expires_at, me=me)
