"""``/api/v1/gamification``: the leaderboard and my points (every role), challenges (everyone
reads; supervisors and above change them), the tenant's switch (admins). Every change is
audited in its own transaction (``gamification.challenge.*``, ``gamification.settings``)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.gamification import db, service
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.gamification import (
    BoardQuery,
    ChallengeCreate,
    ChallengeList,
    ChallengeOut,
    GamificationSettings,
    Leaderboard,
    MyPoints,
)

routes = RouteTable(tag="gamification")

_BASE = "/api/v1/gamification"


@routes.get(
    f"{_BASE}/leaderboard",
    summary="The ranking by points of everyone, a queue or a department over a day, week or "
    "month of the tenant's time zone, with badges",
    query=BoardQuery,
    response=Leaderboard,
    errors=(422,),
)
async def get_leaderboard(request: web.Request, query: BoardQuery) -> Leaderboard:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await service.leaderboard(conn, query, datetime.now(UTC))


@routes.get(
    f"{_BASE}/me",
    summary="My points, rank and badges over a period, and why I have each point",
    query=BoardQuery,
    response=MyPoints,
    errors=(422,),
)
async def get_my_points(request: web.Request, query: BoardQuery) -> MyPoints:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await service.my_points(
            conn, caller.user_id, query.period, query.day, datetime.now(UTC)
        )


@routes.get(
    f"{_BASE}/challenges",
    summary="Challenges not over yet (or over this month), with each agent's progress",
    response=ChallengeList,
)
async def list_challenges(request: web.Request) -> ChallengeList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await service.list_challenges(conn, datetime.now(UTC))


@routes.post(
    f"{_BASE}/challenges",
    summary="Create a challenge for a period: a metric, a threshold, the days, a team",
    body=ChallengeCreate,
    response=ChallengeOut,
    status=201,
    role=Role.SUPERVISOR,
    errors=(422,),
)
async def create_challenge(request: web.Request, body: ChallengeCreate) -> ChallengeOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await service.create_challenge(conn, body, caller.user_id)
        await audit_in(
            request,
            conn,
            "gamification.challenge.create",
            target_type="challenge",
            target_id=row["id"],
            diff=difference(None, service.audit_fields(row)),
        )
        return await service.challenge_out(conn, row)


@routes.put(
    f"{_BASE}/challenges/{{id}}",
    summary="Change a challenge (every field given)",
    body=ChallengeCreate,
    response=ChallengeOut,
    role=Role.SUPERVISOR,
    errors=(404, 422),
)
async def change_challenge(request: web.Request, body: ChallengeCreate) -> ChallengeOut:
    caller = identity(request)
    challenge_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before, after = await service.change_challenge(conn, challenge_id, body)
        await audit_in(
            request,
            conn,
            "gamification.challenge.update",
            target_type="challenge",
            target_id=challenge_id,
            diff=difference(service.audit_fields(before), service.audit_fields(after)),
        )
        return await service.challenge_out(conn, after)


@routes.post(
    f"{_BASE}/challenges/{{id}}/end",
    summary="End a running challenge today (the tenant's time zone): its last day becomes today",
    response=ChallengeOut,
    role=Role.SUPERVISOR,
    errors=(404, 409),
)
async def end_challenge(request: web.Request) -> ChallengeOut:
    caller = identity(request)
    challenge_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before, after = await service.end_challenge(conn, challenge_id, datetime.now(UTC))
        await audit_in(
            request,
            conn,
            "gamification.challenge.end",
            target_type="challenge",
            target_id=challenge_id,
            diff=difference(service.audit_fields(before), service.audit_fields(after)),
        )
        return await service.challenge_out(conn, after)


@routes.delete(
    f"{_BASE}/challenges/{{id}}",
    summary="Remove a challenge",
    status=204,
    role=Role.SUPERVISOR,
    errors=(404,),
)
async def delete_challenge(request: web.Request) -> None:
    caller = identity(request)
    challenge_id = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await service.remove_challenge(conn, challenge_id)
        await audit_in(
            request,
            conn,
            "gamification.challenge.delete",
            target_type="challenge",
            target_id=challenge_id,
            diff=difference(service.audit_fields(row), None),
        )


@routes.get(
    f"{_BASE}/settings",
    summary="Whether the tenant's gamification is on",
    response=GamificationSettings,
    role=Role.ADMIN,
)
async def get_gamification_settings(request: web.Request) -> GamificationSettings:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return GamificationSettings(enabled=await db.enabled(conn))


@routes.put(
    f"{_BASE}/settings",
    summary="Turn the tenant's gamification on or off (off: no points computed)",
    body=GamificationSettings,
    response=GamificationSettings,
    role=Role.ADMIN,
    errors=(422,),
)
async def put_gamification_settings(
    request: web.Request, body: GamificationSettings
) -> GamificationSettings:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        before = await service.set_enabled(conn, body.enabled, caller.user_id, datetime.now(UTC))
        await audit_in(
            request,
            conn,
            "gamification.settings",
            target_type="tenant",
            target_id=caller.tenant_id,
            diff=difference({"enabled": before}, {"enabled": body.enabled}),
        )
    return body
