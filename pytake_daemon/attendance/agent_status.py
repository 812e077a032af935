"""Agent status and settings: who may change what, and what a change sets in motion."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from pytake_daemon.attendance import agents_db
from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.errors import Conflict, Forbidden, NotFound
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import (
    AgentOut,
    AgentStatus,
    AgentStatusChanged,
    AgentStatusUpdate,
)


def agent_out(row: asyncpg.Record) -> AgentOut:
    return rows.of(AgentOut, row, active=row["active_count"])


async def get(conn: Connection, agent_id: uuid.UUID) -> AgentOut:
    await agents_db.ensure(conn, agent_id)
    row = await agents_db.get_agent(conn, agent_id)
    if row is None:
        raise NotFound("no such agent")
    return agent_out(row)


async def change_status(
    conn: Connection,
    agent_id: uuid.UUID,
    body: AgentStatusUpdate,
    *,
    by_user: uuid.UUID,
    by_role: Role,
    now: datetime,
    effects: Effects,
) -> AgentOut:
    """An agent sets their own status; supervisors set anyone's, and the settings."""
    supervisor = by_role.at_least(Role.SUPERVISOR)
    if not supervisor and agent_id != by_user:
        raise Forbidden("agents set only their own status")
    settings_given = body.model_fields_set - {"status"}
    if settings_given and not supervisor:
        raise Forbidden("only supervisors change capacity, skills, departments and hours")
    await agents_db.ensure(conn, agent_id)
    before = await agents_db.lock_agent(conn, agent_id)
    if before is None:
        raise NotFound("no such agent")
    try:
        # A savepoint, so a refused capacity leaves a clean transaction for the error.
        async with conn.transaction():
            await agents_db.update_agent(
                conn,
                agent_id,
                status=body.status.value,
                at=now,
                capacity=body.capacity,
                skills=body.skills,
                departments=body.departments,
                working_hours=("working_hours" in settings_given, body.working_hours),
                timezone=body.timezone,
                busy_at_capacity=body.busy_at_capacity,
            )
    except asyncpg.CheckViolationError:
        raise Conflict(
            f"the agent has {before['active_count']} active conversations; "
            "capacity can't go below that"
        ) from None
    row = await agents_db.get_agent(conn, agent_id)
    assert row is not None
    agent = agent_out(row)
    if before["status"] != body.status.value:
        await agents_db.add_activities(
            conn,
            [(agent_id, "status_changed", None, {"from": before["status"], "to": agent.status})],
            now,
        )
    if before["status"] != body.status.value or settings_given:
        # Settings alone (skills, departments, hours, capacity) are news too: the admins'
        # Agents page and the queue monitor show them.
        effects.events.append(
            AgentStatusChanged(
                agent_id=agent_id,
                status=agent.status,
                active=agent.active,
                capacity=agent.capacity,
                reason="manual",
            )
        )
    if agent.status is AgentStatus.ONLINE:
        # Newly available, more capacity or new skills: all the same to distribution.
        effects.capacity_freed = True
    return agent


async def console_gone(
    conn: Connection, agent_id: uuid.UUID, *, now: datetime, effects: Effects
) -> bool:
    """Presence lapsed: an online or busy agent becomes away (their conversations stay)."""
    row = await agents_db.set_status_if(
        conn,
        agent_id,
        AgentStatus.AWAY.value,
        now,
        [AgentStatus.ONLINE.value, AgentStatus.BUSY.value],
    )
    if row is None:
        return False
    await agents_db.add_activities(
        conn, [(agent_id, "status_changed", None, {"to": "away", "reason": "presence"})], now
    )
    effects.events.append(
        AgentStatusChanged(
            agent_id=agent_id,
            status=AgentStatus.AWAY,
            active=row["active_count"],
            capacity=row["capacity"],
            reason="presence",
        )
    )
    return True


async def capacity_back(
    conn: Connection, agent_id: uuid.UUID, *, now: datetime, effects: Effects
) -> None:
    """An agent made busy by a full load goes back online when a place frees up."""
    agent = await agents_db.get_agent(conn, agent_id)
    if (
        agent is None
        or not agent["busy_at_capacity"]
        or agent["status"] != AgentStatus.BUSY
        or agent["active_count"] >= agent["capacity"]
    ):
        return
    row = await agents_db.set_status_if(
        conn, agent_id, AgentStatus.ONLINE.value, now, [AgentStatus.BUSY.value]
    )
    if row is not None:
        effects.events.append(
            AgentStatusChanged(
                agent_id=agent_id,
                status=AgentStatus.ONLINE,
                active=row["active_count"],
                capacity=row["capacity"],
                reason="capacity",
            )
        )
