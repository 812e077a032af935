"""Queueing an outbound message: every rule Meta would refuse is checked here, before anything is
sent, so the agent gets a plain sentence at once instead of a failure later.

- The 24-hour window: free-form content needs a customer message in the last 24 hours (from
  the customer's messages only; our sends and templates never extend it). Meta would fail such a
  send with 131047.
- Templates must exist for the number's WABA, be approved, and get the parameters they declare
  (Meta: 132001, 132000). Authentication templates (one-tap, zero-tap, copy-code passwords) need
  the customer's phone number: to a customer known only by BSUID, Meta would refuse them with
  131062.
- An idempotency key makes a retried submit return the first message instead of sending twice.

The message row (status ``pending``) and its ``outbox`` row are written in one transaction; the
sender picks it up after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import ApiError, Conflict, NotFound, UnprocessableEntity
from pytake_daemon.protocol.message_preview import english
from pytake_daemon.protocol.outgoing import ReactionOut, SendMessageRequest, TemplateOut
from pytake_daemon.whatsapp import db as whatsapp_db
from pytake_daemon.whatsapp import outbox_db
from pytake_daemon.whatsapp.meta_errors import explain
from pytake_daemon.whatsapp.render import describe_outgoing, stored_preview
from pytake_daemon.whatsapp.template_params import (
    TemplateParameterError,
    check_parameters,
    needs_phone,
)

WINDOW = timedelta(hours=24)
RE_ENGAGEMENT = 131047
BSUID_NOT_SUPPORTED = 131062


@dataclass(frozen=True)
class Queued:
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    created: bool
    """False when an earlier request with the same idempotency key already queued it."""
    row: asyncpg.Record | None = None
    """The new message as ``conversations.db.get_messages`` reads it (None when replayed)."""


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    return last_inbound_at is not None and now < last_inbound_at + WINDOW


async def queue_message(
    conn: Connection,
    conversation_id: uuid.UUID,
    request: SendMessageRequest,
    *,
    sent_by: uuid.UUID | None,
    now: datetime,
    deferred_previews: dict[uuid.UUID, str] | None = None,
    conversation: Mapping[str, Any] | None = None,
) -> Queued:
    """Validate and queue one message in the caller's tenant transaction. Given
    ``deferred_previews``, the conversation's preview goes there for the caller to write with
    ``outbox_db.touch_previews`` just before its commit (the ingest fan-out). ``conversation``:
    ``outbox_db.conversation_for_send``'s row when the caller read it in this transaction
    already (a flow step), else it is read here."""
    content = request.content.model_dump(mode="json", exclude_none=True)
    try:
        return await _queue_new(
            conn, conversation_id, request, content, sent_by, now, deferred_previews, conversation
        )
    except ApiError:
        # A request refused now may be the retry of one accepted earlier (the window has closed
        # since, say): a retry gets the first answer. Looked up only on this path and when the
        # insert found the key taken, never before every send (a round trip a reply).
        if request.idempotency_key is None:
            raise
        earlier = await outbox_db.find_by_idempotency_key(conn, request.idempotency_key)
        if earlier is None:
            raise
        return _replayed(earlier, conversation_id, content)


async def _queue_new(
    conn: Connection,
    conversation_id: uuid.UUID,
    request: SendMessageRequest,
    content: dict[str, Any],
    sent_by: uuid.UUID | None,
    now: datetime,
    deferred_previews: dict[uuid.UUID, str] | None,
    conversation: Mapping[str, Any] | asyncpg.Record | None,
) -> Queued:
    if conversation is None:
        conversation = await outbox_db.conversation_for_send(conn, conversation_id)
    if conversation is None:
        raise NotFound("no such conversation")
    _check_conversation(conversation, request, now)
    if isinstance(request.content, TemplateOut):
        await _check_template(
            conn,
            conversation["waba_id"],
            request.content,
            has_phone=conversation["wa_id"] is not None,
        )
    context = await _context(conn, conversation_id, request)
    described = describe_outgoing(request.content)
    text = english(described)
    shown = stored_preview(described)
    row = await outbox_db.queue_outbound(
        conn,
        conversation_id=conversation_id,
        number_id=conversation["number_id"],
        type=request.content.type,
        content=content,
        text=text,
        preview=shown,
        context=context,
        sent_by=sent_by,
        idempotency_key=request.idempotency_key,
        touch_conversation=deferred_previews is None,
    )
    if row is None:
        # The key was taken: by an earlier request (a retry) or a concurrent one that committed
        # between our checks and our insert.
        assert request.idempotency_key is not None
        earlier = await outbox_db.find_by_idempotency_key(conn, request.idempotency_key)
        assert earlier is not None
        return _replayed(earlier, conversation_id, content)
    if deferred_previews is not None:
        deferred_previews[conversation_id] = shown
    return Queued(message_id=row["id"], conversation_id=conversation_id, created=True, row=row)


def _check_conversation(
    conversation: Mapping[str, Any] | asyncpg.Record, request: SendMessageRequest, now: datetime
) -> None:
    if conversation["removed_at"] is not None:
        raise Conflict("this conversation's WhatsApp number was removed; it can't send anymore")
    is_template = isinstance(request.content, TemplateOut)
    if not is_template and not window_open(conversation["last_inbound_at"], now):
        raise Conflict(explain(RE_ENGAGEMENT))


@dataclass(frozen=True)
class PreparedSend:
    """A send checked without the database, for :func:`queue_prepared` to queue with others."""

    conversation_id: uuid.UUID
    number_id: uuid.UUID
    type: str
    content: dict[str, Any]
    text: str
    preview: str
    idempotency_key: str


def prepare_send(
    conversation_id: uuid.UUID,
    request: SendMessageRequest,
    *,
    conversation: Mapping[str, Any],
    now: datetime,
) -> PreparedSend | None:
    """Check a send as :func:`queue_message` would (raising the same ``ApiError``) when that
    needs nothing from the database; None when it does (a template, a quoted message, no
    idempotency key): queue that one with :func:`queue_message`."""
    key = request.idempotency_key
    if isinstance(request.content, TemplateOut) or request.referenced_message or key is None:
        return None
    _check_conversation(conversation, request, now)
    described = describe_outgoing(request.content)
    return PreparedSend(
        conversation_id,
        conversation["number_id"],
        request.content.type,
        request.content.model_dump(mode="json", exclude_none=True),
        english(described),
        stored_preview(described),
        key,
    )


async def queue_prepared(
    conn: Connection, sends: Sequence[PreparedSend]
) -> dict[str, asyncpg.Record]:
    """Queue prepared sends in one statement, each conversation's in the order given (their
    previews are the caller's, as ``deferred_previews``); the new messages by idempotency key
    (a key taken already, by a send queued earlier, queues nothing and is left out)."""
    rows = await outbox_db.queue_many(
        conn,
        conversation_ids=[s.conversation_id for s in sends],
        number_ids=[s.number_id for s in sends],
        types=[s.type for s in sends],
        contents=[s.content for s in sends],
        texts=[s.text for s in sends],
        keys=[s.idempotency_key for s in sends],
    )
    return {row["idempotency_key"]: row for row in rows}


def _replayed(earlier: Any, conversation_id: uuid.UUID, content: dict[str, Any]) -> Queued:
    if earlier["conversation_id"] != conversation_id or earlier["content"] != content:
        raise Conflict("this idempotency key was already used for a different message")
    return Queued(message_id=earlier["id"], conversation_id=conversation_id, created=False)


async def _check_template(
    conn: Connection, waba_id: str, content: TemplateOut, *, has_phone: bool
) -> None:
    template = await whatsapp_db.get_template(conn, waba_id, content.name, content.language)
    if template is None:
        raise UnprocessableEntity(
            f"template {content.name!r} ({content.language}) doesn't exist for this number's "
            "account: run a template sync or pick another template"
        )
    if template["status"] != "APPROVED":
        raise UnprocessableEntity(
            f"template {content.name!r} ({content.language}) is {template['status']}: "
            "only approved templates can be sent"
        )
    definition = {
        "id": template["meta_id"] or str(template["id"]),
        "name": template["name"],
        "language": template["language"],
        "parameter_format": template["parameter_format"],
        "category": template["category"],
        "components": template["components"],
    }
    if not has_phone and needs_phone(definition):
        # Refused here, like the window: the agent learns it now, not from a failed send later.
        raise Conflict(explain(BSUID_NOT_SUPPORTED))
    try:
        check_parameters(definition, content.components)
    except TemplateParameterError as exc:
        raise UnprocessableEntity(str(exc)) from None


async def _context(
    conn: Connection, conversation_id: uuid.UUID, request: SendMessageRequest
) -> dict[str, Any] | None:
    """``{"id": wamid}`` of the quoted (or reacted-to) message, checked to be in this thread."""
    ref = request.referenced_message
    if ref is None:
        return None
    if isinstance(ref, str):
        return {"id": ref}
    found, wamid = await outbox_db.message_wamid(conn, ref, conversation_id)
    if not found:
        raise UnprocessableEntity("the message replied or reacted to is not in this conversation")
    if wamid is None:
        raise Conflict("the message replied or reacted to hasn't reached WhatsApp yet")
    what = "reaction" if isinstance(request.content, ReactionOut) else "reply"
    return {"id": wamid, "kind": what}
