"""A tenant's inbox in memory: conversations, messages and templates with fixed data.

The fake daemon serves it over HTTP and :class:`~tests.tui.fake_daemon.ScriptedClient` reads it
in-process (for snapshots, which run the app in a loop of their own). The few rules the console
relies on are the daemon's: the 24-hour window (409), idempotency keys, mark read, status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pytake_daemon.protocol import (
    ContactOut,
    ConversationList,
    ConversationOut,
    ConversationQuery,
    ConversationStats,
    ConversationStatus,
    MessageError,
    MessageList,
    MessageOut,
    MessageStatus,
    SendMessageRequest,
    TemplateOut,
    WindowOut,
)
from pytake_daemon.protocol.whatsapp import MessageTemplateOut, TemplateList

from .identities import FIXED_AT, USER_ID

NUMBER_ID = uuid.UUID("00000000-0000-4000-8000-00000000b001")
BOB_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
WINDOW_CLOSED = (
    "The customer's last message was more than 24 hours ago: WhatsApp only allows "
    "approved templates now. Pick one with the template picker."
)


class FakeProblem(Exception):
    def __init__(self, status: int, title: str, detail: str | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


def _uuid(n: int, kind: str = "c") -> uuid.UUID:
    prefix = {"c": "c0", "m": "d0", "t": "e0"}[kind]
    return uuid.UUID(f"00000000-0000-4000-8000-{prefix}{n:010d}")


@dataclass
class FakeWorld:
    """Fixed conversations around ``FIXED_AT``; ``now`` is the daemon's clock."""

    now: datetime = FIXED_AT
    conversations: dict[uuid.UUID, ConversationOut] = field(default_factory=dict)
    messages: dict[uuid.UUID, list[MessageOut]] = field(default_factory=dict)
    templates: list[MessageTemplateOut] = field(default_factory=list)
    sent: list[SendMessageRequest] = field(default_factory=list)
    read: list[uuid.UUID] = field(default_factory=list)
    media: dict[uuid.UUID, tuple[bytes, str]] = field(default_factory=dict)
    _keys: dict[str, MessageOut] = field(default_factory=dict)
    _numbers: int = 100

    # Building

    def add_conversation(
        self,
        n: int,
        name: str | None,
        wa_id: str | None,
        *,
        preview: str = "",
        assigned: uuid.UUID | None = None,
        unread: int = 0,
        status: ConversationStatus = ConversationStatus.OPEN,
        last_inbound_ago: timedelta | None = timedelta(hours=1),
        last_message_ago: timedelta = timedelta(minutes=5),
        contact: dict[str, Any] | None = None,
    ) -> ConversationOut:
        """``contact``: more of the customer's fields (bsuid, username, phone_conflict…)."""
        last_inbound = self.now - last_inbound_ago if last_inbound_ago is not None else None
        expires = last_inbound + timedelta(hours=24) if last_inbound is not None else None
        conversation = ConversationOut(
            id=_uuid(n),
            number_id=NUMBER_ID,
            contact=ContactOut(id=_uuid(n, "t"), wa_id=wa_id, profile_name=name, **(contact or {})),
            status=status,
            assigned_user_id=assigned,
            unread_count=unread,
            last_message_at=self.now - last_message_ago,
            last_message_preview=preview,
            last_inbound_at=last_inbound,
            window=WindowOut(open=expires is not None and expires > self.now, expires_at=expires),
            created_at=self.now - timedelta(days=2),
            updated_at=self.now - last_message_ago,
        )
        self.conversations[conversation.id] = conversation
        self.messages.setdefault(conversation.id, [])
        return conversation

    def add_message(
        self,
        conversation: ConversationOut,
        direction: str,
        text: str,
        *,
        ago: timedelta,
        status: MessageStatus | None = None,
        type_: str = "text",
        content: dict[str, Any] | None = None,
        reply_to: str | None = None,
        error: MessageError | None = None,
        **extra: Any,
    ) -> MessageOut:
        """``extra``: more MessageOut fields (referral, forwarded, edited_at, deleted_at…)."""
        self._numbers += 1
        at = self.now - ago
        message = MessageOut(
            id=_uuid(self._numbers, "m"),
            conversation_id=conversation.id,
            direction=direction,
            wa_message_id=f"wamid.{self._numbers}",
            type=type_,
            text=text,
            content=content if content is not None else {"body": text},
            reply_to=reply_to,
            status=status or (MessageStatus.RECEIVED if direction == "in" else MessageStatus.READ),
            status_at=at,
            error=error,
            sent_by=USER_ID if direction == "out" else None,
            created_at=at,
            wa_timestamp=at,
            **extra,
        )
        self.messages[conversation.id].append(message)
        return message

    # What the daemon answers

    def list(self, query: ConversationQuery, me: uuid.UUID) -> ConversationList:
        items = list(self.conversations.values())
        if query.status is not None:
            items = [c for c in items if c.status is query.status]
        if query.agent == "me":
            items = [c for c in items if c.assigned_user_id == me]
        elif query.agent == "none":
            items = [c for c in items if c.assigned_user_id is None]
        if query.since is not None:
            since = query.since
            items = [c for c in items if c.last_message_at and c.last_message_at >= since]
        if query.q:
            q = query.q.lower()
            items = [c for c in items if self._matches(c, q)]
        items.sort(key=lambda c: c.last_message_at or self.now, reverse=True)
        return ConversationList(items=items[: query.limit], next_cursor=None)

    def _matches(self, conversation: ConversationOut, q: str) -> bool:
        contact = conversation.contact
        texts = [m.text.lower() for m in self.messages[conversation.id]]
        return (
            q in (contact.profile_name or "").lower()
            or q in (contact.username or "").lower()
            or q in (contact.wa_id or "")
            or q in (contact.bsuid or "").lower()
            or any(q in t for t in texts)
        )

    def get(self, conversation_id: uuid.UUID) -> ConversationOut:
        if conversation_id not in self.conversations:
            raise FakeProblem(404, "Not Found", "no such conversation")
        return self.conversations[conversation_id]

    def page(self, conversation_id: uuid.UUID) -> MessageList:
        self.get(conversation_id)
        newest_first = sorted(
            self.messages[conversation_id], key=lambda m: m.created_at, reverse=True
        )
        return MessageList(items=newest_first, next_cursor=None)

    def stats(self) -> ConversationStats:
        unread = [c for c in self.conversations.values() if c.unread_count]
        return ConversationStats(
            by_status=dict.fromkeys(ConversationStatus, 0),
            unassigned_open=0,
            unread_conversations=len(unread),
            unread_messages=sum(c.unread_count for c in unread),
            window_open=0,
            messages_today_in=0,
            messages_today_out=0,
            failed_today=0,
        )

    def update(self, conversation_id: uuid.UUID, **changes: Any) -> ConversationOut:
        changed = self.get(conversation_id).model_copy(
            update={**changes, "updated_at": self.now + timedelta(seconds=len(self.read) + 1)}
        )
        self.conversations[conversation_id] = changed
        return changed

    def mark_read(self, conversation_id: uuid.UUID) -> ConversationOut:
        self.read.append(conversation_id)
        return self.update(conversation_id, unread_count=0)

    def set_status(self, conversation_id: uuid.UUID, status: ConversationStatus) -> ConversationOut:
        return self.update(conversation_id, status=status)

    def send(
        self, conversation_id: uuid.UUID, request: SendMessageRequest
    ) -> tuple[MessageOut, bool]:
        conversation = self.get(conversation_id)
        if request.idempotency_key and request.idempotency_key in self._keys:
            return self._keys[request.idempotency_key], False
        is_template = isinstance(request.content, TemplateOut)
        if not is_template and not conversation.window.open:
            raise FakeProblem(409, "Outside the 24-hour window", WINDOW_CLOSED)
        self.sent.append(request)
        text = getattr(request.content, "body", None) or f"[template {request.content.type}]"
        if isinstance(request.content, TemplateOut):
            text = f"[template {request.content.name}]"
        message = self.add_message(
            conversation,
            "out",
            text,
            ago=timedelta(0),
            status=MessageStatus.PENDING,
            type_=request.content.type,
            content=request.content.model_dump(mode="json", exclude_none=True),
            reply_to=str(request.reply_to) if request.reply_to else None,
        )
        if request.idempotency_key:
            self._keys[request.idempotency_key] = message
        return message, True

    def template_list(self) -> TemplateList:
        return TemplateList(items=self.templates)

    def medium(self, message_id: uuid.UUID) -> tuple[bytes, str]:
        if message_id not in self.media:
            raise FakeProblem(404, "Not Found", "no such media message in this conversation")
        return self.media[message_id]


def template(
    n: int, name: str, components: list[dict[str, Any]], **extra: Any
) -> MessageTemplateOut:
    return MessageTemplateOut(
        id=_uuid(n, "t"),
        waba_id="200000000000001",
        meta_id=str(n),
        name=name,
        language=extra.get("language", "en_US"),
        status="APPROVED",
        category=extra.get("category", "UTILITY"),
        parameter_format=extra.get("parameter_format", "POSITIONAL"),
        components=components,
        reason=None,
        synced_at=FIXED_AT,
        updated_at=FIXED_AT,
    )


def demo_world() -> FakeWorld:
    """Three conversations; Ana's thread has every delivery state, a failure, media, a reply and
    a reaction; Bruno's window is closed."""
    world = FakeWorld()
    ana = world.add_conversation(
        1, "Ana Souza", "5511999990001", preview="Can I pay by pix?", assigned=USER_ID, unread=2
    )
    world.add_conversation(
        2,
        "Bruno Lima",
        "5511999990002",
        preview="Thanks, bye",
        last_inbound_ago=timedelta(hours=30),
        last_message_ago=timedelta(hours=30),
    )
    world.add_conversation(
        3,
        None,
        "447700900123",
        preview="Is the shop open on Sunday?",
        unread=1,
        last_message_ago=timedelta(minutes=2),
    )
    world.add_conversation(
        4,
        "Carla Dias",
        "5511999990004",
        preview="All sorted, thank you!",
        status=ConversationStatus.RESOLVED,
        assigned=BOB_ID,
        last_message_ago=timedelta(days=3),
        last_inbound_ago=timedelta(days=3),
    )
    minutes = timedelta(minutes=1)
    first = world.add_message(ana, "in", "Hi! Where is my order #123?", ago=40 * minutes)
    world.add_message(ana, "out", "Let me check, one moment.", ago=39 * minutes)
    shipped = world.add_message(
        ana, "out", "It shipped this morning.", ago=38 * minutes, status=MessageStatus.DELIVERED
    )
    world.add_message(
        ana,
        "in",
        "reacted 👍",
        ago=37 * minutes,
        type_="reaction",
        content={"message_id": shipped.wa_message_id, "emoji": "👍"},
    )
    photo = world.add_message(
        ana,
        "in",
        "[image] the label",
        ago=30 * minutes,
        type_="image",
        content={"id": "media-1", "mime_type": "image/jpeg", "caption": "the label"},
    )
    world.media[photo.id] = (b"\xff\xd8\xff fake jpeg", "image/jpeg")
    world.add_message(
        ana,
        "in",
        "Is this the right address?",
        ago=29 * minutes,
        reply_to=first.wa_message_id,
    )
    world.add_message(ana, "out", "Yes, that's right.", ago=20 * minutes, status=MessageStatus.SENT)
    world.add_message(
        ana,
        "out",
        "Here is the tracking link.",
        ago=10 * minutes,
        status=MessageStatus.FAILED,
        error=MessageError(
            code=131026,
            title="Message undeliverable",
            explanation="WhatsApp could not deliver it: the customer's phone may be off or "
            "WhatsApp out of date.",
        ),
    )
    world.add_message(ana, "out", "Anything else?", ago=6 * minutes, status=MessageStatus.PENDING)
    world.add_message(ana, "in", "Can I pay by pix?", ago=5 * minutes)
    world.templates = [
        template(
            1,
            "order_update",
            [
                {
                    "type": "BODY",
                    "text": "Hi {{1}}, your order {{2}} ships {{3}}.",
                    "example": {"body_text": [["Ana", "#123", "today"]]},
                },
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
            ],
        ),
        template(2, "hello_world", [{"type": "BODY", "text": "Hello! How can we help?"}]),
    ]
    return world
