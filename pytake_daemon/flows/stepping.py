"""One flow step's reading and writing around the engine: the customer's message and the
conversation as the engine sees them, the session's stored state, and what a step leaves
behind (its log, the session, timers as ``flow_timer`` jobs, the events of what it queued)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from pytake_daemon.conversations.sent import sent_events_of
from pytake_daemon.conversations.views import conversation_out, message_out
from pytake_daemon.db.pool import Connection
from pytake_daemon.effects import Effects
from pytake_daemon.flows import step_db
from pytake_daemon.flows.engine import Facts, FlowEngine, Inbound, SessionState
from pytake_daemon.flows.live_effects import LiveEffects
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.protocol import MessageOut, MessageSent
from pytake_daemon.protocol.events import FlowCompleted
from pytake_daemon.whatsapp.send_service import window_open

FLOW_TIMER_JOB = "flow_timer"


@dataclass
class Step:
    result: str
    """What happened, for logs and tests: started, continued, human, queued, no flow…"""
    sent: list[MessageSent] = field(default_factory=list)
    queue_effects: Effects = field(default_factory=Effects)
    later: Callable[[], Awaitable[list[MessageSent]]] | None = None
    """In a round (flows/rounds.py), its replies' events, once the round has queued them."""


def inbound_of(message: MessageOut) -> Inbound:
    content = message.content
    reply_id = content.get("id") or content.get("payload")
    return Inbound(text=message.text, reply_id=str(reply_id) if reply_id else None)


def facts_of(conversation: asyncpg.Record, now: datetime) -> Facts:
    return Facts(
        conversation_id=str(conversation["id"]),
        conversation_status=conversation["status"],
        contact_name=conversation["contact_profile_name"],
        contact_wa_id=conversation["contact_wa_id"],
        window_open=window_open(conversation["last_inbound_at"], now),
        now=now,
    )


def state_of(row: asyncpg.Record | Mapping[str, Any]) -> SessionState:
    return SessionState(
        current_node=row["current_node"],
        waiting=row["waiting"],
        attempts=row["attempts"],
        wait_token=row["wait_token"],
        variables=dict(row["variables"]),
        next_seq=row["next_seq"],
    )


async def save_step(
    conn: Connection,
    engine: FlowEngine,
    effects: LiveEffects,
    session_id: uuid.UUID,
    conversation_id: uuid.UUID,
    idle: timedelta,
    new: step_db.NewSession | None = None,
    deferred: list[step_db.SessionSave] | None = None,
) -> None:
    """Store the step's log and the session's new state (inserted when ``new``, one statement
    either way), or, given ``deferred``, leave them there for the caller to store with its
    round's others (``step_db.save_sessions``); queue its timers."""
    state = engine.state
    # A session waiting on a longer delay or timeout mustn't expire before it fires.
    longest = max((s for s, _ in effects.timers), default=0.0)
    expires = effects.now + max(idle, timedelta(seconds=longest))
    save = step_db.SessionSave(
        session_id,
        new=new,
        steps=[s.model_dump(mode="json") for s in engine.steps],
        current_node=state.current_node,
        waiting=state.waiting,
        attempts=state.attempts,
        wait_token=state.wait_token,
        next_seq=state.next_seq,
        variables=state.variables,
        expires_at=expires,
        end_reason=state.end_reason,
    )
    if deferred is None:
        await step_db.save_sessions(conn, [save])
    else:
        deferred.append(save)
    if state.end_reason == "completed":
        # Published with the step's other events once it commits (outbound webhooks'
        # flow.completed): the effects' events are numbered with the batch in the fan-out.
        effects.queue_effects.events.append(
            FlowCompleted(
                conversation_id=conversation_id,
                flow_id=engine.flow.flow_id,
                flow_version=engine.flow.version,
                session_id=session_id,
            )
        )
    if state.end_reason is None:
        for seconds, token in effects.timers:
            await jobs_db.insert_job_at(
                conn,
                FLOW_TIMER_JOB,
                {
                    "session_id": str(session_id),
                    "conversation_id": str(conversation_id),
                    "token": token,
                },
                effects.now + timedelta(seconds=seconds),
            )


async def sent_events(
    conn: Connection,
    effects: LiveEffects,
    now: datetime,
    conversation: asyncpg.Record | None = None,
) -> list[MessageSent]:
    """The step's queued messages as ``message_sent`` events. Given ``conversation`` (the
    fan-out's step: its caller puts the conversation as the batch leaves it into the events,
    ``fanout._with_previews``), it is not read again."""
    if conversation is None:
        return await sent_events_of(conn, effects.queued, now=now)
    out = conversation_out(conversation, now=now)
    return [MessageSent(conversation=out, message=message_out(row)) for row in effects.queued]
