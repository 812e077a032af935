"""A flow step's own SQL: what it reads after the conversation's lock, in one statement, and
what it writes at its end, in one more.

A customer message's step read the conversation, claimed the message, looked for the active
session and asked whether the conversation waits in a queue (four round trips), then inserted
the session before the engine ran and updated it and inserted the step log after (three). The
engine needs no session row while it runs (the id is made here), so a new session is written
once, with its final state, by the statement that stores the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from pytake_daemon.conversations.db import CONVERSATION_COLUMNS, CONVERSATION_FROM
from pytake_daemon.db.pool import Connection

_SESSION_KEYS = (
    "id",
    "flow_id",
    "flow_version",
    "current_node",
    "waiting",
    "attempts",
    "wait_token",
    "next_seq",
    "variables",
    "expires_at",
)

# Read after ``lock_conversation`` (a statement of its own: after the wait, this statement's
# snapshot sees whatever the lock's previous holder committed). The message is claimed for the
# flows whenever the conversation exists, like a human's conversation's messages are; the queue
# probe reads the queues domain's table by its index (``queue_items_waiting_idx``).
_STEP_FACTS = f"""
WITH conversation AS (
    SELECT {CONVERSATION_COLUMNS}
      FROM {CONVERSATION_FROM}
     WHERE c.tenant_id = current_tenant_id() AND c.id = $1),
claimed AS (
    INSERT INTO flow_processed_messages (tenant_id, message_id, session_id)
    SELECT current_tenant_id(), $2, NULL WHERE EXISTS (SELECT 1 FROM conversation)
    ON CONFLICT DO NOTHING
    RETURNING message_id)
SELECT cv.*, n.waba_id AS number_waba_id, n.removed_at AS number_removed_at,
       EXISTS (SELECT 1 FROM claimed) AS first_time,
       EXISTS (SELECT 1 FROM queue_items q
                WHERE q.tenant_id = current_tenant_id() AND q.conversation_id = $1
                  AND q.status = 'waiting') AS waiting_in_queue,
       {", ".join(f"s.{k} AS session_{k}" for k in _SESSION_KEYS)}
  FROM conversation cv
  JOIN whatsapp_numbers n ON n.tenant_id = current_tenant_id() AND n.id = cv.number_id
  LEFT JOIN flow_sessions s
    ON s.tenant_id = current_tenant_id() AND s.conversation_id = $1 AND s.status = 'active'
"""


@dataclass(frozen=True)
class StepFacts:
    conversation: asyncpg.Record
    """The conversation as ``conversations.db.get_conversation`` reads it (and the flags)."""
    first_time: bool
    """The message was not claimed by the flows before (a redelivered job finds it claimed)."""
    waiting_in_queue: bool
    session: Mapping[str, Any] | None
    """The active session's stored state (keys as ``flows.db.SESSION_COLUMNS``), or None."""
    send_conversation: Mapping[str, Any]
    """What a send checks (``outbox_db.conversation_for_send``'s columns), so the step's
    replies don't read it again."""


async def step_facts(
    conn: Connection, conversation_id: uuid.UUID, message_id: uuid.UUID
) -> StepFacts | None:
    """The conversation, the message claimed, its active session and whether it waits in a
    queue; None when the conversation is gone."""
    # Kept a record, not a db.rows model: the step reads it column by column, once per customer
    # message, and hands it on to ``conversations.views`` (whose window depends on "now").
    row = await conn.fetchrow(_STEP_FACTS, conversation_id, message_id)
    if row is None:
        return None
    session = (
        {k: row[f"session_{k}"] for k in _SESSION_KEYS} if row["session_id"] is not None else None
    )
    send = {
        "id": row["id"],
        "number_id": row["number_id"],
        "last_inbound_at": row["last_inbound_at"],
        "waba_id": row["number_waba_id"],
        "removed_at": row["number_removed_at"],
        "wa_id": row["contact_wa_id"],
        "bsuid": row["contact_bsuid"],
    }
    return StepFacts(row, row["first_time"], row["waiting_in_queue"], session, send)


# The flows' per-conversation lock (``flows.db.lock_conversation``) for a batch of
# conversations, taken in id order as the batch's steps took them one by one.
_LOCK_CONVERSATIONS = """
SELECT count(pg_advisory_xact_lock(hashtextextended(id::text, 7305)))
  FROM (SELECT DISTINCT id FROM unnest($1::uuid[]) AS u(id) ORDER BY id) AS ids
"""


async def lock_conversations(conn: Connection, conversation_ids: Sequence[uuid.UUID]) -> None:
    await conn.execute(_LOCK_CONVERSATIONS, sorted(set(conversation_ids)))


_STEPS_FROM = """
INSERT INTO flow_steps (tenant_id, session_id, seq, node_id, node_type, input, output, variables,
                        branch, duration_ms, error, at)
SELECT current_tenant_id(), saved.id, s.seq, s.node_id, s.node_type, s.input, s.output,
       s.variables, s.branch, s.duration_ms, s.error, s.at
  FROM saved,
       jsonb_to_recordset({steps}::jsonb) AS s (seq int, node_id text, node_type text,
       input jsonb, output jsonb, variables jsonb, branch text, duration_ms double precision,
       error text, at timestamptz)
"""
_STATUS_OF_END = """CASE WHEN $9::text IS NULL THEN 'active' ELSE 'ended' END,
           CASE WHEN $9::text IS NULL THEN NULL ELSE now() END"""

_SAVE_NEW = f"""
WITH saved AS (
    INSERT INTO flow_sessions (tenant_id, id, current_node, waiting, attempts, wait_token,
                               next_seq, variables, expires_at, end_reason, status, ended_at,
                               conversation_id, flow_id, flow_version)
    VALUES (current_tenant_id(), $1, $2, $3, $4, $5, $6, $7, $8, $9,
            {_STATUS_OF_END}, $11, $12, $13)
    RETURNING id)
{_STEPS_FROM.format(steps="$10")}
"""

_SAVE_EXISTING = f"""
WITH saved AS (
    UPDATE flow_sessions
       SET current_node = $2, waiting = $3, attempts = $4, wait_token = $5, next_seq = $6,
           variables = $7, expires_at = $8, end_reason = $9, updated_at = now(),
           (status, ended_at) = ({_STATUS_OF_END})
     WHERE tenant_id = current_tenant_id() AND id = $1
    RETURNING id)
{_STEPS_FROM.format(steps="$10")}
"""


@dataclass(frozen=True)
class NewSession:
    """A session the step started: written by its save, with the state the step left."""

    conversation_id: uuid.UUID
    flow_id: uuid.UUID
    flow_version: int


async def save_session_and_steps(
    conn: Connection,
    session_id: uuid.UUID,
    *,
    new: NewSession | None,
    current_node: str | None,
    waiting: str | None,
    attempts: int,
    wait_token: int,
    next_seq: int,
    variables: dict[str, Any],
    expires_at: datetime,
    end_reason: str | None,
    steps: Sequence[dict[str, Any]],
) -> None:
    """Insert (``new``) or update the session with the step's state, and its step log."""
    args: list[Any] = [
        session_id,
        current_node,
        waiting,
        attempts,
        wait_token,
        next_seq,
        variables,
        expires_at,
        end_reason,
        list(steps),
    ]
    if new is None:
        await conn.execute(_SAVE_EXISTING, *args)
    else:
        await conn.execute(_SAVE_NEW, *args, new.conversation_id, new.flow_id, new.flow_version)


_RUNNING_SESSIONS = """
SELECT conversation_id FROM flow_sessions
 WHERE tenant_id = current_tenant_id() AND conversation_id = ANY($1::uuid[]) AND status = 'active'
"""


async def running_sessions(
    conn: Connection, conversation_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of the conversations have an active session (``flow_sessions_active_idx``)."""
    rows = await conn.fetch(_RUNNING_SESSIONS, list(set(conversation_ids)))
    return {row["conversation_id"] for row in rows}
