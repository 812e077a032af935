"""A conversation's messages as bubbles, updated in place as delivery states move forward, with
the agents' internal notes between them (styled apart: the customer never sees those)."""

from __future__ import annotations

import uuid

from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from pytake_daemon.protocol import MessageOut, MessageStatus
from pytake_daemon.protocol.conversations import NoteOut
from pytake_tui.message_view import (
    body_text,
    clock,
    delivery_label,
    failure_reason,
    is_media,
    is_system_line,
    message_marks,
    reaction_of,
)

_RANK = {status: rank for rank, status in enumerate(MessageStatus)}
"""The enum lists statuses in the daemon's rank order; a state never moves backwards."""


class MessageBubble(Static):
    """One message: the quote it replies to, its text, time and delivery state, reactions."""

    def __init__(self, message: MessageOut) -> None:
        side = "-in" if message.direction == "in" else "-out"
        super().__init__(classes=f"{side} -system" if is_system_line(message) else side)
        self.message = message
        self.quote: str | None = None
        self.reactions: dict[str, str] = {}
        """Emoji by who reacted (``in``: the customer, ``out``: us); the latest one wins."""

    def on_mount(self) -> None:
        self.refresh_content()

    def refresh_content(self) -> None:
        message = self.message
        parts: list[Content | str | tuple[str, str]] = []
        if message.reply_to is not None:
            quoted = self.quote or "an earlier message"
            parts += [("↪ " + quoted, "italic dim"), "\n"]
        parts.append(body_text(message))
        if is_media(message) and message.deleted_at is None:
            parts += ["\n", ("d: download", "dim")]
        for line in message_marks(message):
            parts += ["\n", (line, "italic $text-secondary")]
        footer = clock(message.wa_timestamp or message.created_at)
        label = delivery_label(message)
        parts += ["\n", (f"{footer} {label}".rstrip(), "dim")]
        reason = failure_reason(message)
        if reason is not None:
            parts += ["\n", (reason, "bold $text-error")]
        who = {"in": "customer", "out": "you"}
        reactions = [f"{who[d]} {e}" for d, e in self.reactions.items() if e]
        if reactions:
            parts += ["\n", ("reacted: " + ", ".join(reactions), "dim")]
        self.set_class(message.status is MessageStatus.FAILED, "-failed")
        self.set_class(message.deleted_at is not None, "-deleted")
        self.update(Content.assemble(*parts))


class NoteBubble(Static):
    """An internal note: who wrote it and when, across the thread's width."""

    def __init__(self, note: NoteOut) -> None:
        super().__init__(classes="-note")
        self.note = note

    def on_mount(self) -> None:
        note = self.note
        author = note.author_name or "a former user"
        header = f"🔒 internal note · {author} · {clock(note.created_at)}"
        self.update(Content.assemble((header, "bold"), "\n", note.body))


class BubbleRow(Horizontal):
    """A full-width row, so our messages sit on the right and the customer's on the left."""

    DEFAULT_CSS = """
    BubbleRow { height: auto; }
    BubbleRow.-out { align-horizontal: right; }
    BubbleRow.-note { align-horizontal: center; }
    """


class ThreadView(VerticalScroll, can_focus=True):
    """Keys: ``j``/``k`` pick a message, ``d`` downloads its medium, ``r`` replies to it."""

    BINDINGS = [
        Binding("k,up", "select(-1)", "Previous", show=False),
        Binding("j,down", "select(1)", "Next", show=False),
        Binding("d", "download", "Download"),
        Binding("r", "reply", "Reply to"),
        Binding("end", "latest", "Latest", show=False),
    ]

    class DownloadRequested(Message):
        def __init__(self, message: MessageOut) -> None:
            super().__init__()
            self.message = message

    class ReplyRequested(Message):
        def __init__(self, message: MessageOut) -> None:
            super().__init__()
            self.message = message

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._bubbles: dict[uuid.UUID, MessageBubble] = {}
        self._by_wamid: dict[str, MessageBubble] = {}
        self._selected: MessageBubble | None = None
        self._notes: dict[uuid.UUID, NoteBubble] = {}

    @property
    def selected(self) -> MessageOut | None:
        return self._selected.message if self._selected is not None else None

    def message(self, message_id: uuid.UUID) -> MessageOut | None:
        bubble = self._bubbles.get(message_id)
        return bubble.message if bubble is not None else None

    @property
    def notes(self) -> list[NoteOut]:
        return [bubble.note for bubble in self._notes.values()]

    async def show(self, messages: list[MessageOut], notes: list[NoteOut] | None = None) -> None:
        """Replace the thread with ``messages`` (oldest first) and the internal ``notes``, in
        time order, and scroll to the newest."""
        await self.remove_children()
        self._bubbles.clear()
        self._by_wamid.clear()
        self._notes.clear()
        self._selected = None
        # Messages keep the daemon's order; each note goes before the first message stored
        # after it.
        pending = sorted(notes or [], key=lambda n: n.created_at)
        for message in messages:
            while pending and pending[0].created_at <= message.created_at:
                await self._place_note(pending.pop(0))
            await self._place(message)
        for note in pending:
            await self._place_note(note)
        # After the layout pass, when the bubbles' heights are known.
        self.call_after_refresh(self.scroll_end, animate=False)

    async def add(self, message: MessageOut) -> None:
        """Add a new message, or update it if shown; follow it unless scrolled up."""
        shown = self._bubbles.get(message.id)
        if shown is not None:
            self._update(shown, message)
            return
        following = self.max_scroll_y - self.scroll_y <= 1
        await self._place(message)
        if following:
            self.call_after_refresh(self.scroll_end, animate=False)

    async def add_note(self, note: NoteOut) -> None:
        """Add a new internal note (once, however many times it arrives)."""
        if note.id in self._notes:
            return
        following = self.max_scroll_y - self.scroll_y <= 1
        await self._place_note(note)
        if following:
            self.call_after_refresh(self.scroll_end, animate=False)

    async def _place_note(self, note: NoteOut) -> None:
        bubble = NoteBubble(note)
        self._notes[note.id] = bubble
        await self.mount(BubbleRow(bubble, classes="-note"))

    def update_status(self, message: MessageOut) -> None:
        """A newer state of a shown message (delivery status, error)."""
        shown = self._bubbles.get(message.id)
        if shown is not None:
            self._update(shown, message)

    def _update(self, bubble: MessageBubble, message: MessageOut) -> None:
        if _RANK[message.status] < _RANK[bubble.message.status]:
            return  # a stale REST read crossing a newer event
        bubble.message = message
        if message.wa_message_id:
            self._by_wamid[message.wa_message_id] = bubble
        bubble.refresh_content()

    async def _place(self, message: MessageOut) -> None:
        reaction = reaction_of(message)
        if reaction is not None:
            target = self._by_wamid.get(reaction[0])
            if target is not None:
                target.reactions[message.direction] = reaction[1]
                target.refresh_content()
                return
        bubble = MessageBubble(message)
        if message.reply_to is not None:
            quoted = self._by_wamid.get(message.reply_to)
            if quoted is not None:
                bubble.quote = " ".join(body_text(quoted.message).split())[:60]
        self._bubbles[message.id] = bubble
        if message.wa_message_id:
            self._by_wamid[message.wa_message_id] = bubble
        row = "-note" if is_system_line(message) else "-in" if message.direction == "in" else "-out"
        await self.mount(BubbleRow(bubble, classes=row))

    def action_select(self, step: int) -> None:
        bubbles = list(self._bubbles.values())
        if not bubbles:
            return
        if self._selected is None:
            index = len(bubbles) - 1
        else:
            index = max(0, min(len(bubbles) - 1, bubbles.index(self._selected) + step))
        if self._selected is not None:
            self._selected.remove_class("-selected")
        self._selected = bubbles[index]
        self._selected.add_class("-selected")
        self._selected.scroll_visible(animate=False)

    def action_latest(self) -> None:
        self.scroll_end(animate=False)

    def action_download(self) -> None:
        message = self.selected
        if message is None or not is_media(message):
            self.notify("Pick a media message first (j/k)", severity="warning")
            return
        self.post_message(self.DownloadRequested(message))

    def action_reply(self) -> None:
        message = self.selected
        if message is None:
            self.notify("Pick the message to reply to first (j/k)", severity="warning")
            return
        self.post_message(self.ReplyRequested(message))
