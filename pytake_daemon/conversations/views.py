"""Rows of ``conversations/db.py`` as wire models (shared by the API, the webhook's events and
the outbox's)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
from pydantic import ValidationError

from pytake_daemon.conversations.explanations import explanation_in
from pytake_daemon.db import rows
from pytake_daemon.i18n import _
from pytake_daemon.protocol import (
    ContactOut,
    ConversationOut,
    ConversationStats,
    ConversationStatus,
    MessageError,
    MessageOut,
    WindowOut,
)
from pytake_daemon.protocol.conversations import (
    ConversationEventOut,
    MessageEditOut,
    NamedRef,
    ReferralOut,
)

SERVICE_WINDOW = timedelta(hours=24)
"""Meta's customer-service window: free-form messages are allowed this long after the
customer's last message; afterwards only templates."""


def window(last_inbound_at: datetime | None, *, now: datetime) -> WindowOut:
    if last_inbound_at is None:
        return WindowOut(open=False, expires_at=None)
    expires_at = last_inbound_at + SERVICE_WINDOW
    return WindowOut(open=expires_at > now, expires_at=expires_at)


def contact_out(row: asyncpg.Record) -> ContactOut:
    """The ``contact_*`` columns of ``db.CONVERSATION_COLUMNS``."""
    return rows.of(ContactOut, rows.Prefixed(row, "contact_"))


def conversation_out(row: asyncpg.Record, *, now: datetime) -> ConversationOut:
    """A row selected with ``db.CONVERSATION_COLUMNS``; ``now`` decides the window."""
    return rows.of(
        ConversationOut,
        row,
        contact=contact_out(row),
        window=window(row["last_inbound_at"], now=now),
        assignee=_named(row["assigned_user_id"], row.get("assignee_name")),
        queue=_named(row.get("queue_id"), row.get("queue_name")),
    )


def _named(id_: object, name: object) -> NamedRef | None:
    """An id with its name; ``None`` when either is missing (a row selected without the
    names, or a user deleted since)."""
    if id_ is None or name is None:
        return None
    return NamedRef.model_validate({"id": id_, "name": name})


def event_out(row: asyncpg.Record) -> ConversationEventOut:
    """A row selected with ``timeline_db.EVENT_COLUMNS``."""
    return rows.of(
        ConversationEventOut,
        row,
        at=row["created_at"],
        actor=_named(row["actor_id"], row["actor_name"]),
        agent=_named(row["agent_id"], row["agent_name"]),
        queue=_named(row["queue_id"], row["queue_name"]),
    )


def message_error(row: asyncpg.Record) -> MessageError | None:
    code: int | None = row["error_code"]
    title: str | None = row["error_title"]
    explanation: str | None = row["error_explanation"]
    if code is None and not explanation:
        return None
    if not explanation:
        explanation = title or _("WhatsApp error {code}", code=code).say()
    else:
        explanation = explanation_in(explanation)
    return MessageError(code=code, title=title, explanation=explanation)


def _referral(value: object) -> ReferralOut | None:
    if not isinstance(value, dict):
        return None
    try:
        return ReferralOut.model_validate(value)
    except ValidationError:
        return None  # Meta's shape changed: the raw JSON still has it


def _edits(value: object) -> list[MessageEditOut]:
    found: list[MessageEditOut] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            replaced = item.get("replaced_at")
            when = datetime.fromisoformat(replaced) if isinstance(replaced, str) else None
            found.append(MessageEditOut(text=item["text"], replaced_at=when))
    return found


def _unsupported_reason(row: asyncpg.Record) -> str | None:
    content = row["content"]
    if row["direction"] != "in" or not isinstance(content, dict):
        return None
    reason = content.get("reason")
    # The shape of whatsapp.webhook_content.UnsupportedContent (a NormalModel: no extra keys).
    if isinstance(reason, str) and set(content) <= {"type", "payload", "reason"}:
        return reason
    return None


def message_out(row: asyncpg.Record) -> MessageOut:
    """A row selected with ``db.MESSAGE_COLUMNS`` (``reply_to`` is ``context->>'id'``).

    A message the customer deleted keeps its content in the database (audit) but not here."""
    deleted = row["revoked_at"] is not None
    return rows.of(
        MessageOut,
        row,
        text="" if deleted else row["text"],
        content={} if deleted else row["content"],
        error=message_error(row),
        referral=_referral(row["referral"]),
        unsupported_reason=_unsupported_reason(row),
        edits=[] if deleted else _edits(row["edits"]),
        deleted_at=row["revoked_at"],
    )


def stats_out(row: asyncpg.Record) -> ConversationStats:
    return rows.of(
        ConversationStats,
        row,
        by_status={status: row[status.value] for status in ConversationStatus},
    )
