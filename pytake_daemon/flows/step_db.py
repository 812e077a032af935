"""A flow step's own SQL: what it reads after the conversation's lock, in one statement, and
what it writes at its end, in one more.

A customer message's step read the conversation, claimed the message, looked for the active
session and asked whether the conversation waits in a queue (four round trips), then inserted
the session before the engine ran and updated it and inserted the step log after (three). The
engine needs no session row while it runs (the id is made here), so a new session is written
once, with its final state, by the statement that stores the log.

Both statements take a whole round of the ingest fan-out's steps (one message of each of its
conversations): two round trips a round, not two a message.
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
# snapshot sees whatever the lock's previous holder committed), for every message of a batch
# at once (one per conversation: ``FlowRunner.inbound_hook`` steps a conversation's second
# message in the next round). A message is claimed for the flows whenever its conversation
# exists, like a human's conversation's messages are; the queue probe reads the queues domain's
# table by its index (``queue_items_waiting_idx``).
_STEP_FACTS = f"""
WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS u(conversation_id, message_id)),
conversation AS (
    SELECT {CONVERSATION_COLUMNS}
      FROM {CONVERSATION_FROM}
     WHERE c.tenant_id = current_tenant_id() AND c.id = ANY($1::uuid[])),
claimed AS (
    INSERT INTO flow_processed_messages (tenant_id, message_id, session_id)
    SELECT current_tenant_id(), i.message_id, NULL
      FROM input i WHERE i.conversation_id IN (SELECT id FROM conversation)
    ON CONFLICT DO NOTHING
    RETURNING message_id)
SELECT i.message_id AS step_message_id, cv.*, n.waba_id AS number_waba_id,
       n.removed_at AS number_removed_at,
       i.message_id IN (SELECT message_id FROM claimed) AS first_time,
       EXISTS (SELECT 1 FROM queue_items q
                WHERE q.tenant_id = current_tenant_id() AND q.conversation_id = i.conversation_id
                  AND q.status = 'waiting') AS waiting_in_queue,
       {", ".join(f"s.{k} AS session_{k}" for k in _SESSION_KEYS)}
  FROM input i
  JOIN conversation cv ON cv.id = i.conversation_id
  JOIN whatsapp_numbers n ON n.tenant_id = current_tenant_id() AND n.id = cv.number_id
  LEFT JOIN flow_sessions s
    ON s.tenant_id = current_tenant_id() AND s.conversation_id = i.conversation_id
   AND s.status = 'active'
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


def _facts(row: asyncpg.Record) -> StepFacts:
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


async def step_facts(
    conn: Connection, steps: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> dict[uuid.UUID, StepFacts]:
    """For each (conversation, message) of distinct conversations: the conversation, the
    message claimed, its active session and whether it waits in a queue, by message id; a
    message whose conversation is gone is left out."""
    # Kept records, not db.rows models: the step reads them column by column, once per customer
    # message, and hands them on to ``conversations.views`` (whose window depends on "now").
    rows = await conn.fetch(_STEP_FACTS, [c for c, _ in steps], [m for _, m in steps])
    return {row["step_message_id"]: _facts(row) for row in rows}


# The flows' per-conversation lock (``flows.db.lock_conversation``) for a batch of
# conversations, taken in id order as the batch's steps took them one by one.
_LOCK_CONVERSATIONS = """
SELECT count(pg_advisory_xact_lock(hashtextextended(id::text, 7305)))
  FROM (SELECT DISTINCT id FROM unnest($1::uuid[]) AS u(id) ORDER BY id) AS ids
"""


async def lock_conversations(conn: Connection, conversation_ids: Sequence[uuid.UUID]) -> None:
    await conn.execute(_LOCK_CONVERSATIONS, sorted(set(conversation_ids)))


# Every session a round of steps left, inserted (started by the step) or updated, with their
# step logs, in one statement: the input is one JSON array, each session with its log.
_SAVE_SESSIONS = """
WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS i (
        id uuid, new boolean, conversation_id uuid, flow_id uuid, flow_version int,
        current_node text, waiting text, attempts int, wait_token int, next_seq int,
        variables jsonb, expires_at timestamptz, end_reason text, steps jsonb)),
inserted AS (
    INSERT INTO flow_sessions (tenant_id, id, current_node, waiting, attempts, wait_token,
                               next_seq, variables, expires_at, end_reason, status, ended_at,
                               conversation_id, flow_id, flow_version)
    SELECT current_tenant_id(), i.id, i.current_node, i.waiting, i.attempts, i.wait_token,
           i.next_seq, i.variables, i.expires_at, i.end_reason,
           CASE WHEN i.end_reason IS NULL THEN 'active' ELSE 'ended' END,
           CASE WHEN i.end_reason IS NULL THEN NULL ELSE now() END,
           i.conversation_id, i.flow_id, i.flow_version
      FROM input i WHERE i.new
    RETURNING id),
updated AS (
    UPDATE flow_sessions f
       SET current_node = i.current_node, waiting = i.waiting, attempts = i.attempts,
           wait_token = i.wait_token, next_seq = i.next_seq, variables = i.variables,
           expires_at = i.expires_at, end_reason = i.end_reason, updated_at = now(),
           (status, ended_at) = (CASE WHEN i.end_reason IS NULL THEN 'active' ELSE 'ended' END,
                                 CASE WHEN i.end_reason IS NULL THEN NULL ELSE now() END)
      FROM input i
     WHERE NOT i.new AND f.tenant_id = current_tenant_id() AND f.id = i.id
    RETURNING f.id),
saved AS (SELECT id FROM inserted UNION ALL SELECT id FROM updated)
INSERT INTO flow_steps (tenant_id, session_id, seq, node_id, node_type, input, output, variables,
                        branch, duration_ms, error, at)
SELECT current_tenant_id(), saved.id, s.seq, s.node_id, s.node_type, s.input, s.output,
       s.variables, s.branch, s.duration_ms, s.error, s.at
  FROM saved
  JOIN input i ON i.id = saved.id
 CROSS JOIN LATERAL jsonb_to_recordset(i.steps) AS s (seq int, node_id text, node_type text,
       input jsonb, output jsonb, variables jsonb, branch text, duration_ms double precision,
       error text, at timestamptz)
"""


@dataclass(frozen=True)
class NewSession:
    """A session the step started: written by its save, with the state the step left."""

    conversation_id: uuid.UUID
    flow_id: uuid.UUID
    flow_version: int


@dataclass(frozen=True)
class SessionSave:
    """A session's state after a step, and the step's log."""

    session_id: uuid.UUID
    new: NewSession | None
    """Given, the step started the session and this inserts it."""
    current_node: str | None
    waiting: str | None
    attempts: int
    wait_token: int
    next_seq: int
    variables: dict[str, Any]
    expires_at: datetime
    end_reason: str | None
    steps: Sequence[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        new = self.new
        return {
            "id": str(self.session_id),
            "new": new is not None,
            "conversation_id": None if new is None else str(new.conversation_id),
            "flow_id": None if new is None else str(new.flow_id),
            "flow_version": None if new is None else new.flow_version,
            "current_node": self.current_node,
            "waiting": self.waiting,
            "attempts": self.attempts,
            "wait_token": self.wait_token,
            "next_seq": self.next_seq,
            "variables": self.variables,
            "expires_at": self.expires_at.isoformat(),
            "end_reason": self.end_reason,
            "steps": list(self.steps),
        }


async def save_sessions(conn: Connection, saves: Sequence[SessionSave]) -> None:
    """Insert or update each session with its step's state, and store the steps' logs."""
    if saves:
        await conn.execute(_SAVE_SESSIONS, [save.as_json() for save in saves])


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
