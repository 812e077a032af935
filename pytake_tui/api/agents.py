"""The agent dashboard's calls: agents, their status, figures, goals and timeline."""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from pytake_daemon.protocol.agents import (
    ActivityList,
    ActivityQuery,
    AgentList,
    AgentMetrics,
    AgentOut,
    AgentStatus,
    AgentStatusUpdate,
    GoalCreate,
    GoalList,
    GoalOut,
    GoalUpdate,
)
from pytake_tui.api.transport import API_PREFIX, DaemonError, Endpoints, parse
from pytake_tui.i18n import N_

_AGENTS = f"{API_PREFIX}/agents"


class AgentEndpoints(Endpoints):
    """``/agents/…``."""

    async def agents(self) -> AgentList:
        """The tenant's agents with their status and load."""
        return await self._transport.get(AgentList, _AGENTS)

    async def set_agent_status(self, agent_id: uuid.UUID, status: AgentStatus) -> AgentOut:
        """Set an agent's status (their own; supervisors anyone's)."""
        body = AgentStatusUpdate(status=status)
        return await self._transport.call(AgentOut, "PUT", f"{_AGENTS}/{agent_id}/status", body)

    async def set_agent_settings(self, agent_id: uuid.UUID, update: AgentStatusUpdate) -> AgentOut:
        """Change an agent's capacity, skills, departments, hours or zone (supervisors); the
        daemon takes them with a status, so ``update.status`` is the agent's current one. Only
        the fields set are sent: ``working_hours=None`` set removes the hours (always on)."""
        path = f"{_AGENTS}/{agent_id}/status"
        return parse(
            AgentOut, await self._transport.send("PUT", path, body=update, explicit_nulls=True)
        )

    async def agent_metrics(self, agent_id: uuid.UUID) -> AgentMetrics:
        """Today, this week, this month, right now, and the charts' series."""
        return await self._transport.get(AgentMetrics, f"{_AGENTS}/{agent_id}/metrics")

    async def agent_goals(self, agent_id: uuid.UUID) -> GoalList:
        """The agent's goals and their team's, with progress."""
        return await self._transport.get(GoalList, f"{_AGENTS}/{agent_id}/goals")

    async def create_goal(self, agent_id: uuid.UUID, goal: GoalCreate) -> GoalOut:
        """Set a goal for the agent (or, with ``team``, their department)."""
        return await self._transport.call(GoalOut, "POST", f"{_AGENTS}/{agent_id}/goals", goal)

    async def change_goal(
        self, agent_id: uuid.UUID, goal_id: uuid.UUID, change: GoalUpdate
    ) -> GoalOut:
        """Change a goal's target, period or deadline (``deadline=None`` sent removes it)."""
        path = f"{_AGENTS}/{agent_id}/goals/{goal_id}"
        return parse(
            GoalOut, await self._transport.send("PATCH", path, body=change, explicit_nulls=True)
        )

    async def delete_goal(self, agent_id: uuid.UUID, goal_id: uuid.UUID) -> None:
        """Remove one of the agent's goals (or their team's)."""
        await self._transport.send("DELETE", f"{_AGENTS}/{agent_id}/goals/{goal_id}")

    async def agent_activities(
        self, agent_id: uuid.UUID, *, before: int | None = None, limit: int = 50
    ) -> ActivityList:
        """A page of the agent's timeline, newest first; ``before`` is the last id seen."""
        try:
            query = ActivityQuery(before=before, limit=limit)
        except ValidationError as error:
            raise DaemonError.invalid(N_("Check the request"), error) from None
        params = query.model_dump(mode="json", exclude_none=True)
        path = f"{_AGENTS}/{agent_id}/activities"
        return await self._transport.get(ActivityList, path, params=params)
