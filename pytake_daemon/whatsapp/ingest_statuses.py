"""Status callbacks in the inbound stage's tenant transaction: recorded, applied to their
messages and numbered as events by one statement (``status_db._RECORD_STATUSES``)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import asyncpg

from pytake_daemon.conversations.views import message_error
from pytake_daemon.db.pool import Connection
from pytake_daemon.metrics import families as metrics
from pytake_daemon.protocol import EventEnvelope, MessageStatusUpdated
from pytake_daemon.realtime.bus import envelopes
from pytake_daemon.whatsapp import status_db
from pytake_daemon.whatsapp.meta_errors import explain_error
from pytake_daemon.whatsapp.status_rank import rank
from pytake_daemon.whatsapp.webhook import StatusUpdate


@dataclass
class StatusesWritten:
    numbered: list[EventEnvelope] = field(default_factory=list)
    """The changed messages' events, numbered by the recording statement."""
    late: list[asyncpg.Record] = field(default_factory=list)
    """Messages changed after their wamid's lock (the caller numbers their events)."""


def status_event(row: asyncpg.Record) -> MessageStatusUpdated:
    """What clients hear of a message whose status moved."""
    # By hand, not db.rows: a status callback's hot path, and the error is composed
    # (``message_error``), not a column.
    return MessageStatusUpdated(
        conversation_id=row["conversation_id"],
        message_id=row["id"],
        wa_message_id=row["wa_message_id"],
        status=row["status"],
        error=message_error(row),
    )


def _error_of(s: StatusUpdate) -> tuple[int | None, str | None, str | None]:
    """Code, title and explanation a failed status leaves on its message."""
    if s.status != "failed":
        return None, None, None
    return explain_error(s.errors[0] if s.errors else None)


async def write_statuses(
    conn: Connection, tenant_id: uuid.UUID, statuses: list[StatusUpdate]
) -> StatusesWritten:
    """Record ``statuses`` and move their messages forward, in the caller's transaction."""
    now = time.time()
    for s in statuses:
        metrics.STATUS_LAG_SECONDS.observe(max(0.0, now - s.timestamp.timestamp()))
    statuses = sorted(statuses, key=lambda s: (s.message_id, s.status))
    failures = [_error_of(s) for s in statuses]
    rows = await status_db.record_statuses(
        conn,
        wa_message_ids=[s.message_id for s in statuses],
        statuses=[s.status for s in statuses],
        occurred_at=[s.timestamp for s in statuses],
        recipient_ids=[s.recipient_id for s in statuses],
        recipient_user_ids=[s.recipient_user_id for s in statuses],
        errors=[
            [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in s.errors]
            for s in statuses
        ],
        pricing=[s.pricing for s in statuses],
        conversations=[s.conversation for s in statuses],
        raws=[s.raw for s in statuses],
        error_codes=[f[0] for f in failures],
        error_titles=[f[1] for f in failures],
        explanations=[f[2] for f in failures],
    )
    changed = [row for row in rows if row["part"] == "changed"]
    numbers = next((list(row["seqs"]) for row in rows if row["part"] == "numbers"), [])
    written = StatusesWritten(
        numbered=envelopes(tenant_id, [status_event(row) for row in changed], numbers)
    )
    unseen = [row for row in rows if row["part"] == "unseen"]
    if unseen:
        written.late = await _apply_unseen(conn, unseen)
    return written


async def _apply_unseen(conn: Connection, unseen: list[asyncpg.Record]) -> list[asyncpg.Record]:
    """New statuses of wamids none of our messages carried: their send's recording may be
    committing right now. The lock waits for it, and the advance (a new snapshot) then sees
    the wamid; a recording that starts later waits for this commit and finds the status."""
    best: dict[str, asyncpg.Record] = {}
    learn: dict[str, str] = {}
    # In (wamid, status) order, as the statement's DISTINCT ON chose: the same fold every time.
    for row in sorted(unseen, key=lambda r: (r["wa_message_id"], r["status"])):
        wamid = row["wa_message_id"]
        if row["recipient_user_id"] is not None:
            learn.setdefault(wamid, row["recipient_user_id"])
        if rank(row["status"]) < 0:
            continue
        current = best.get(wamid)
        if current is None or rank(row["status"]) > rank(current["status"]):
            best[wamid] = row
    if not best and not learn:
        return []
    await status_db.lock_wamids(conn, sorted(set(best) | set(learn)))
    chosen = [best[k] for k in sorted(best)]
    return await status_db.advance_statuses(
        conn,
        wa_message_ids=[r["wa_message_id"] for r in chosen],
        statuses=[r["status"] for r in chosen],
        occurred_at=[r["occurred_at"] for r in chosen],
        error_codes=[r["error_code"] for r in chosen],
        error_titles=[r["error_title"] for r in chosen],
        explanations=[r["error_explanation"] for r in chosen],
        learn_wamids=sorted(learn),
        learn_bsuids=[learn[w] for w in sorted(learn)],
    )
