"""Conversations, their messages and media, and the actions on one (notes, tags, transfer)."""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from pytake_daemon.protocol import (
    ConversationList,
    ConversationOut,
    ConversationQuery,
    ConversationStats,
    ConversationStatus,
    ConversationStatusUpdate,
    MessageList,
    MessageOut,
    SendMessageRequest,
)
from pytake_daemon.protocol.conversations import (
    AssignmentRequest,
    NoteCreate,
    NoteList,
    NoteOut,
    TagsUpdate,
    TransferRequest,
)
from pytake_daemon.protocol.outgoing import PhoneRequest
from pytake_daemon.protocol.whatsapp import TemplateList
from pytake_tui.api.transport import API_PREFIX, DaemonError, Endpoints, MediaFile
from pytake_tui.i18n import N_

_CONVERSATIONS = f"{API_PREFIX}/conversations"


class ConversationEndpoints(Endpoints):
    """``/conversations/…`` and the approved templates a closed window needs."""

    async def conversations(self, query: ConversationQuery) -> ConversationList:
        """A page of conversations matching ``query``, most recent first."""
        params = query.model_dump(mode="json", exclude_none=True)
        return await self._transport.get(ConversationList, _CONVERSATIONS, params=params)

    async def conversation(self, conversation_id: uuid.UUID) -> ConversationOut:
        """One conversation, as it is now."""
        return await self._transport.get(ConversationOut, f"{_CONVERSATIONS}/{conversation_id}")

    async def conversation_stats(self) -> ConversationStats:
        """The tenant's inbox counts (unread, open…)."""
        return await self._transport.get(ConversationStats, f"{_CONVERSATIONS}/stats")

    async def messages(
        self, conversation_id: uuid.UUID, *, cursor: str | None = None, limit: int = 50
    ) -> MessageList:
        """A page of a conversation's messages, newest first."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        path = f"{_CONVERSATIONS}/{conversation_id}/messages"
        return await self._transport.get(MessageList, path, params=params)

    async def mark_read(self, conversation_id: uuid.UUID) -> ConversationOut:
        """Unread count to zero (and read receipts to the customer)."""
        path = f"{_CONVERSATIONS}/{conversation_id}/read"
        return await self._transport.call(ConversationOut, "PATCH", path)

    async def set_status(
        self, conversation_id: uuid.UUID, status: ConversationStatus
    ) -> ConversationOut:
        """Resolve, reopen, snooze…"""
        path = f"{_CONVERSATIONS}/{conversation_id}/status"
        body = ConversationStatusUpdate(status=status)
        return await self._transport.call(ConversationOut, "PATCH", path, body)

    async def send_message(
        self, conversation_id: uuid.UUID, request: SendMessageRequest
    ) -> MessageOut:
        """Queue a message; repeating ``request.idempotency_key`` returns the first one."""
        path = f"{_CONVERSATIONS}/{conversation_id}/messages"
        return await self._transport.call(MessageOut, "POST", path, request)

    async def request_phone(self, conversation_id: uuid.UUID, request: PhoneRequest) -> MessageOut:
        """Ask a customer known only by their username to share their phone number (409 when
        it is known, or outside the window with no template that can ask for it)."""
        path = f"{_CONVERSATIONS}/{conversation_id}/phone-request"
        return await self._transport.call(MessageOut, "POST", path, request)

    async def media(self, conversation_id: uuid.UUID, message_id: uuid.UUID) -> MediaFile:
        """The bytes of a customer's image, audio, video, document or sticker."""
        path = f"{_CONVERSATIONS}/{conversation_id}/messages/{message_id}/media"
        response = await self._transport.send("GET", path)
        disposition = response.headers.get("Content-Disposition", "")
        _, _, filename = disposition.partition('filename="')
        return MediaFile(
            content=response.content,
            content_type=response.headers.get("Content-Type", "application/octet-stream"),
            filename=filename.rstrip('"') or None,
        )

    async def approved_templates(self) -> TemplateList:
        """The templates that may be sent now (outside the 24-hour window too)."""
        path = f"{API_PREFIX}/whatsapp/templates"
        return await self._transport.get(TemplateList, path, params={"status": "APPROVED"})

    async def notes(self, conversation_id: uuid.UUID) -> NoteList:
        """The conversation's internal notes, oldest first."""
        return await self._transport.get(NoteList, f"{_CONVERSATIONS}/{conversation_id}/notes")

    async def add_note(self, conversation_id: uuid.UUID, body: str) -> NoteOut:
        """Write an internal note (the other agents see it; the customer never does)."""
        try:
            note = NoteCreate(body=body)
        except ValidationError as error:
            raise DaemonError.invalid(N_("Check the note"), error) from None
        path = f"{_CONVERSATIONS}/{conversation_id}/notes"
        return await self._transport.call(NoteOut, "POST", path, note)

    async def set_tags(self, conversation_id: uuid.UUID, tags: list[str]) -> ConversationOut:
        """Replace the conversation's tags (the daemon trims, lower-cases and sorts them)."""
        try:
            update = TagsUpdate(tags=tags)
        except ValidationError as error:
            raise DaemonError.invalid(N_("Check the tags"), error) from None
        path = f"{_CONVERSATIONS}/{conversation_id}/tags"
        return await self._transport.call(ConversationOut, "PUT", path, update)

    async def transfer(
        self, conversation_id: uuid.UUID, request: TransferRequest
    ) -> ConversationOut:
        """Hand the conversation to a queue or an agent (409: at capacity, queue full…).
        The pickers list ``queues`` and ``agents``."""
        path = f"{_CONVERSATIONS}/{conversation_id}/transfer"
        return await self._transport.call(ConversationOut, "POST", path, request)

    async def assign(
        self, conversation_id: uuid.UUID, request: AssignmentRequest
    ) -> ConversationOut:
        """A supervisor's move: take it, give it to an agent (409 at capacity unless
        ``override_capacity``) or put it in a queue, whether or not it is in one now."""
        path = f"{_CONVERSATIONS}/{conversation_id}/assignment"
        return await self._transport.call(ConversationOut, "POST", path, request)
