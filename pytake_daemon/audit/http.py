"""Auditing HTTP requests: the middleware that records every state-changing call, and the
helper handlers use to record a domain event inside their own transaction."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from pytake_daemon.audit.entries import Actor, AuditDraft, Origin
from pytake_daemon.audit.recorder import record
from pytake_daemon.db.pool import Connection
from pytake_daemon.http.client_ip import client_ip
from pytake_daemon.http.identity import IDENTITY, Identity
from pytake_daemon.http.middlewares import REQUEST_ID
from pytake_daemon.keys import AUDIT_RECORDER, SETTINGS
from pytake_daemon.protocol.audit import ActorType, Outcome, SecurityAlertOut

log = structlog.get_logger("pytake.audit")

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Set when a handler recorded a domain event, so the middleware doesn't add a generic one.
AUDITED = web.RequestKey("audited", bool)
# Alerts raised inside the handler's transaction: announced only if the request succeeded
# (otherwise the transaction, and the alerts with it, were rolled back).
PENDING_ALERTS = web.RequestKey("audit_pending_alerts", list[SecurityAlertOut])


def route_of(request: web.Request) -> str:
    """The route template (``/api/v1/users/{id}``), not the concrete path with its ids."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


def actor_of(who: Identity | None, label: str | None = None) -> Actor:
    if who is None:
        return Actor(ActorType.ANONYMOUS, label=label)
    return Actor(ActorType.USER, id=who.user_id, label=label, role=who.role.value)


def origin_of(request: web.Request, status: int | None = None) -> Origin:
    return Origin(
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent"),
        request_id=request.get(REQUEST_ID),
        method=request.method,
        route=route_of(request),
        status=status,
    )


def outcome_of(status: int) -> Outcome:
    if status < 400:
        return Outcome.SUCCESS
    if status in (401, 403):
        return Outcome.DENIED
    if status >= 500:
        return Outcome.ERROR
    return Outcome.FAILURE


async def audit_in(
    request: web.Request,
    conn: Connection,
    action: str,
    *,
    target_type: str | None = None,
    target_id: Any = None,
    diff: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> None:
    """Record a domain event in the handler's transaction (no change without its record)."""
    draft = AuditDraft(
        action=action,
        actor=actor or actor_of(request.get(IDENTITY)),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        diff=diff,
        origin=origin_of(request),
    )
    _, alerts = await record(conn, draft, request.app[SETTINGS].audit)
    request[AUDITED] = True
    request.setdefault(PENDING_ALERTS, []).extend(alerts)


async def audit_now(
    request: web.Request,
    tenant_id: uuid.UUID,
    action: str,
    *,
    outcome: Outcome,
    actor: Actor,
    target_type: str | None = None,
    target_id: Any = None,
) -> None:
    """Record an event that has no transaction of its own (a failed login) and commit it now."""
    draft = AuditDraft(
        action=action,
        actor=actor,
        outcome=outcome,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        origin=origin_of(request),
    )
    await request.app[AUDIT_RECORDER].write_now(tenant_id, draft)
    request[AUDITED] = True


def _target(request: web.Request, route: str) -> tuple[str | None, str | None]:
    target_id = request.match_info.get("id")
    if target_id is None:
        return None, None
    segments = [s for s in route.split("/") if s]
    at = segments.index("{id}") if "{id}" in segments else 0
    return (segments[at - 1] if at > 0 else None), target_id[:200]


@web.middleware
async def audit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """After the response is ready, record the call in the background; never fails a request."""
    response = await handler(request)
    try:
        _after(request, response.status)
    except Exception as exc:
        request.app[AUDIT_RECORDER].failures += 1
        log.error("audit record not scheduled", error=f"{type(exc).__name__}: {exc}")
    return response


def _after(request: web.Request, status: int) -> None:
    recorder = request.app[AUDIT_RECORDER]
    who = request.get(IDENTITY)
    pending = request.get(PENDING_ALERTS)
    if pending and who is not None and status < 400:
        recorder.announce_later(who.tenant_id, pending)
    if request.method not in STATE_CHANGING or who is None:
        return
    if request.get(AUDITED) and status < 400:
        return
    route = route_of(request)
    target_type, target_id = _target(request, route)
    recorder.submit(
        who.tenant_id,
        AuditDraft(
            action=f"{request.method} {route}",
            actor=actor_of(who),
            outcome=outcome_of(status),
            target_type=target_type,
            target_id=target_id,
            origin=origin_of(request, status),
        ),
    )
