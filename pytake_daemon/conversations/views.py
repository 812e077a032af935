"""Rows of ``conversations/db.py`` as wire models (shared by the API, the webhook's events and
the outbox's)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
from pydantic import ValidationError

from pytake_daemon.conversations.explanations import explanation_in
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
    TimelineKind,
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
    return ContactOut(
        id=row["contact_id"],
        wa_id=row["contact_wa_id"],
        profile_name=row["contact_profile_name"],
        bsuid=row["contact_bsuid"],
        parent_bsuid=row["contact_parent_bsuid"],
        username=row["contact_username"],
        phone_verified=row["contact_phone_verified"],
        phone_conflict=row["contact_phone_conflict"],
    )


def conversation_out(row: asyncpg.Record, *, now: datetime) -> ConversationOut:
    """A row selected with ``db.CONVERSATION_COLUMNS``; ``now`` decides the window."""
    return ConversationOut(
        id=row["id"],
        number_id=row["number_id"],
        contact=contact_out(row),
        status=ConversationStatus(row["status"]),
        assigned_user_id=row["assigned_user_id"],
        unread_count=row["unread_count"],
        last_message_at=row["last_message_at"],
        last_message_preview=row["last_message_preview"],
        last_inbound_at=row["last_inbound_at"],
        window=window(row["last_inbound_at"], now=now),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        tags=list(row["tags"]),
        notes_count=row["notes_count"],
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
    return ConversationEventOut(
        id=row["id"],
        conversation_id=row["conversation_id"],
        kind=TimelineKind(row["kind"]),
        at=row["created_at"],
        actor=_named(row["actor_id"], row["actor_name"]),
        agent=_named(row["agent_id"], row["agent_name"]),
        queue=_named(row["queue_id"], row["queue_name"]),
        detail=dict(row["detail"]),
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
    return MessageOut(
        id=row["id"],
        conversation_id=row["conversation_id"],
        direction=row["direction"],
        wa_message_id=row["wa_message_id"],
        type=row["type"],
        text="" if deleted else row["text"],
        content={} if deleted else row["content"],
        reply_to=row["reply_to"],
        status=row["status"],
        status_at=row["status_at"],
        error=message_error(row),
        sent_by=row["sent_by"],
        created_at=row["created_at"],
        wa_timestamp=row["wa_timestamp"],
        referral=_referral(row["referral"]),
        forwarded=row["forwarded"],
        frequently_forwarded=row["frequently_forwarded"],
        unsupported_reason=_unsupported_reason(row),
        edited_at=row["edited_at"],
        edits=[] if deleted else _edits(row["edits"]),
        deleted_at=row["revoked_at"],
    )


def stats_out(row: asyncpg.Record) -> ConversationStats:
    return ConversationStats(
        by_status={status: row[status.value] for status in ConversationStatus},
        unassigned_open=row["unassigned_open"],
        unread_conversations=row["unread_conversations"],
        unread_messages=row["unread_messages"],
        window_open=row["window_open"],
        messages_today_in=row["messages_today_in"],
        messages_today_out=row["messages_today_out"],
        failed_today=row["failed_today"],
    )
