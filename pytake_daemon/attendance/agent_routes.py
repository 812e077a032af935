"""``/api/v1/agents``: status, the queues an agent serves, metrics, goals and activity timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from pytake_daemon.attendance import agent_metrics as metrics
from pytake_daemon.attendance import agent_status, agents_db, goals, queues_db
from pytake_daemon.attendance.views import queue_out
from pytake_daemon.audit.entries import difference
from pytake_daemon.audit.http import audit_in
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.errors import Forbidden, NotFound
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, QUEUES
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import (
    ActivityList,
    ActivityQuery,
    AgentList,
    AgentMetrics,
    AgentOut,
    AgentStatusUpdate,
    GoalCreate,
    GoalList,
    GoalOut,
    GoalUpdate,
)
from pytake_daemon.protocol.queues import QueueList

routes = RouteTable(tag="agents")


def _own_or_supervisor(request: web.Request) -> uuid.UUID:
    """The agent in the path; agents see only their own figures, supervisors everyone's."""
    caller = identity(request)
    agent_id = path_uuid(request)
    if agent_id != caller.user_id and not caller.role.at_least(Role.SUPERVISOR):
        raise Forbidden("agents see only their own figures")
    return agent_id


async def _existing(conn: Connection, agent_id: uuid.UUID) -> None:
    await agents_db.ensure(conn, agent_id)
    if await agents_db.get_agent(conn, agent_id) is None:
        raise NotFound("no such agent")


@routes.get("/api/v1/agents", summary="Agents with their status and load", response=AgentList)
async def list_agents(request: web.Request) -> AgentList:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await agents_db.ensure_all(conn)
        rows = await agents_db.list_agents(conn)
    return AgentList(items=[agent_status.agent_out(r) for r in rows])


@routes.put(
    "/api/v1/agents/{id}/status",
    summary="Set an agent's status (own; supervisors: anyone's, with settings)",
    operation_id="set_agent_status",
    body=AgentStatusUpdate,
    response=AgentOut,
    errors=(403, 404, 409),
)
async def set_status(request: web.Request, body: AgentStatusUpdate) -> AgentOut:
    caller = identity(request)
    agent_id = path_uuid(request)
    effects = Effects()
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        agent = await agent_status.change_status(
            conn,
            agent_id,
            body,
            by_user=caller.user_id,
            by_role=caller.role,
            now=datetime.now(UTC),
            effects=effects,
        )
    await request.app[QUEUES].after_commit(caller.tenant_id, effects)
    return agent


@routes.get(
    "/api/v1/agents/{id}/queues",
    summary="Queues whose skills and department the agent has",
    response=QueueList,
    errors=(403, 404),
)
async def agent_queues(request: web.Request) -> QueueList:
    caller = identity(request)
    agent_id = _own_or_supervisor(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await _existing(conn, agent_id)
        ids = await agents_db.served_queue_ids(conn, agent_id)
        rows = [await queues_db.get_queue(conn, i) for i in ids]
    now = datetime.now(UTC)
    return QueueList(items=[queue_out(r, now=now) for r in rows if r is not None])


@routes.get(
    "/api/v1/agents/{id}/metrics",
    summary="Today, this week, this month and right now",
    response=AgentMetrics,
    errors=(403, 404),
)
async def agent_metrics(request: web.Request) -> AgentMetrics:
    caller = identity(request)
    agent_id = _own_or_supervisor(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await _existing(conn, agent_id)
        return await metrics.agent_metrics(conn, agent_id, datetime.now(UTC))


@routes.get(
    "/api/v1/agents/{id}/goals",
    summary="The agent's goals and their team's, with progress from real data",
    response=GoalList,
    errors=(403, 404),
)
async def agent_goals(request: web.Request) -> GoalList:
    caller = identity(request)
    agent_id = _own_or_supervisor(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await _existing(conn, agent_id)
        return GoalList(items=await goals.goals_of(conn, agent_id, datetime.now(UTC)))


@routes.post(
    "/api/v1/agents/{id}/goals",
    summary="Set a goal for the agent (or, with team, for their department)",
    body=GoalCreate,
    response=GoalOut,
    status=201,
    role=Role.SUPERVISOR,
    errors=(404, 422),
)
async def create_goal(request: web.Request, body: GoalCreate) -> GoalOut:
    caller = identity(request)
    agent_id = path_uuid(request)
    now = datetime.now(UTC)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await _existing(conn, agent_id)
        row = await goals.create(conn, agent_id, body)
        agent = await agents_db.get_agent(conn, agent_id)
        assert agent is not None
        return await goals.evaluate(conn, agent, row, now)


def _goal_fields(goal: Any) -> dict[str, Any]:
    """What the audit records of a goal (JSON-ready)."""
    deadline = goal["deadline"]
    return {
        "kind": goal["kind"],
        "target": goal["target"],
        "period": goal["period"],
        "deadline": deadline.isoformat() if deadline is not None else None,
        "department": goal["department"],
    }


@routes.patch(
    "/api/v1/agents/{id}/goals/{goal_id}",
    summary="Change a goal of the agent (or of their team): target, period, deadline",
    body=GoalUpdate,
    response=GoalOut,
    role=Role.SUPERVISOR,
    errors=(404, 422),
)
async def change_goal(request: web.Request, body: GoalUpdate) -> GoalOut:
    caller = identity(request)
    agent_id, goal_id = path_uuid(request), path_uuid(request, "goal_id")
    now = datetime.now(UTC)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await _existing(conn, agent_id)
        before, after = await goals.change(conn, agent_id, goal_id, body)
        await audit_in(
            request,
            conn,
            "agent.goal.update",
            target_type="goal",
            target_id=goal_id,
            diff=difference(_goal_fields(before), _goal_fields(after)),
        )
        agent = await agents_db.get_agent(conn, agent_id)
        assert agent is not None
        return await goals.evaluate(conn, agent, after, now)


@routes.delete(
    "/api/v1/agents/{id}/goals/{goal_id}",
    summary="Remove a goal of the agent (or of their team)",
    status=204,
    role=Role.SUPERVISOR,
    errors=(404,),
)
async def delete_goal(request: web.Request) -> None:
    caller = identity(request)
    agent_id, goal_id = path_uuid(request), path_uuid(request, "goal_id")
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await _existing(conn, agent_id)
        goal = await goals.remove(conn, agent_id, goal_id)
        await audit_in(
            request,
            conn,
            "agent.goal.delete",
            target_type="goal",
            target_id=goal_id,
            diff=difference(_goal_fields(goal), None),
        )


@routes.get(
    "/api/v1/agents/{id}/activities",
    summary="The agent's timeline, newest first (pages with ?before=)",
    query=ActivityQuery,
    response=ActivityList,
    errors=(403, 404),
)
async def agent_activities(request: web.Request, query: ActivityQuery) -> ActivityList:
    caller = identity(request)
    agent_id = _own_or_supervisor(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await _existing(conn, agent_id)
        rows = await agents_db.activities(conn, agent_id, query.before, query.limit + 1)
    page = rows[: query.limit]
    return ActivityList(
        items=page,
        next_before=page[-1].id if len(rows) > query.limit else None,
    )
