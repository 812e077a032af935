"""A conversation's messages as bubbles, updated in place as delivery states move forward, with
the agents' internal notes between them (styled apart: the customer never sees those).

Entries of other kinds (system lines, say) go in with :meth:`ThreadView.add_entry`: any widget
with a time and a key, placed in time order among the messages, once per key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from pytake_daemon.protocol import MessageError, MessageOut, MessageStatus
from pytake_daemon.protocol.conversations import NoteOut
from pytake_tui.i18n import N_, _
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


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """Something other than a message shown in the thread at its time (a note, a system line).

    ``key`` makes it appear once however many times it arrives (a REST read and an event);
    ``row`` is the row's class: ``-note`` centred, ``-in`` left, ``-out`` right.
    """

    key: str
    at: datetime
    widget: Widget
    row: str = "-note"


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
            quoted = self.quote or _("an earlier message")
            parts += [("↪ " + quoted, "italic dim"), "\n"]
        parts.append(body_text(message))
        if is_media(message) and message.deleted_at is None:
            parts += ["\n", (_("d: download"), "dim")]
        for line in message_marks(message):
            parts += ["\n", (line, "italic $text-secondary")]
        footer = clock(message.wa_timestamp or message.created_at)
        label = delivery_label(message)
        parts += ["\n", (f"{footer} {label}".rstrip(), "dim")]
        reason = failure_reason(message)
        if reason is not None:
            parts += ["\n", (reason, "bold $text-error")]
        who = {"in": _("customer"), "out": _("you")}
        reactions = [f"{who[d]} {e}" for d, e in self.reactions.items() if e]
        if reactions:
            parts += ["\n", (_("reacted: {who}").format(who=", ".join(reactions)), "dim")]
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
        author = note.author_name or _("a former user")
        header = f"🔒 {_('internal note')} · {author} · {clock(note.created_at)}"
        self.update(Content.assemble((header, "bold"), "\n", note.body))


def note_entry(note: NoteOut) -> ThreadEntry:
    """An internal note as a thread entry."""
    return ThreadEntry(key=f"note:{note.id}", at=note.created_at, widget=NoteBubble(note))


@dataclass(frozen=True, slots=True)
class _StatusNews:
    status: MessageStatus
    error: MessageError | None
    wa_message_id: str | None

    def applied_to(self, message: MessageOut) -> MessageOut:
        update: dict[str, object] = {"status": self.status, "error": self.error}
        if self.wa_message_id:
            update["wa_message_id"] = self.wa_message_id
        return message.model_copy(update=update)


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
        Binding("k,up", "select(-1)", N_("Previous"), show=False),
        Binding("j,down", "select(1)", N_("Next"), show=False),
        Binding("d", "download", N_("Download")),
        Binding("r", "reply", N_("Reply to")),
        Binding("end", "latest", N_("Latest"), show=False),
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
        self._entries: dict[str, ThreadEntry] = {}
        self._early: dict[uuid.UUID, _StatusNews] = {}
        """Delivery news of messages not shown yet: the daemon can announce a reply's ``sent``
        before the reply itself (its sender is woken before the reply is announced), and a
        dropped status left the reply at ◷ pending."""

    def on_mount(self) -> None:
        # Stay at the newest message as it grows and as it shrinks (the suggestions panel
        # opening above the draft), until the agent scrolls up; back at the end, it follows.
        self.anchor()

    @property
    def selected(self) -> MessageOut | None:
        return self._selected.message if self._selected is not None else None

    def message(self, message_id: uuid.UUID) -> MessageOut | None:
        bubble = self._bubbles.get(message_id)
        return bubble.message if bubble is not None else None

    @property
    def notes(self) -> list[NoteOut]:
        return [e.widget.note for e in self._entries.values() if isinstance(e.widget, NoteBubble)]

    async def show(
        self,
        messages: list[MessageOut],
        notes: list[NoteOut] | None = None,
        entries: list[ThreadEntry] | None = None,
    ) -> None:
        """Replace the thread with ``messages`` (oldest first), the internal ``notes`` and any
        other ``entries``, in time order, and scroll to the newest."""
        await self.remove_children()
        self._bubbles.clear()
        self._by_wamid.clear()
        self._entries.clear()
        self._early.clear()
        self._selected = None
        # Messages keep the daemon's order; each entry goes before the first message stored
        # after it.
        pending = sorted([*map(note_entry, notes or []), *(entries or [])], key=lambda e: e.at)
        for message in messages:
            while pending and pending[0].at <= message.created_at:
                await self._place_entry(pending.pop(0))
            await self._place(message)
        for entry in pending:
            await self._place_entry(entry)
        self.anchor()

    async def add(self, message: MessageOut) -> None:
        """Add a new message, or update it if shown (the anchor follows it unless the agent
        scrolled up)."""
        shown = self._bubbles.get(message.id)
        if shown is not None:
            self._update(shown, message)
            return
        await self._place(message)

    async def add_note(self, note: NoteOut) -> None:
        """Add a new internal note (once, however many times it arrives)."""
        await self.add_entry(note_entry(note))

    async def add_entry(self, entry: ThreadEntry) -> None:
        """Add an entry of another kind at the end (once per key)."""
        if entry.key not in self._entries:
            await self._place_entry(entry)

    async def _place_entry(self, entry: ThreadEntry) -> None:
        self._entries[entry.key] = entry
        await self.mount(BubbleRow(entry.widget, classes=entry.row))

    def status_changed(
        self,
        message_id: uuid.UUID,
        status: MessageStatus,
        error: MessageError | None,
        wa_message_id: str | None,
    ) -> None:
        """A delivery state from the stream; kept for later when the message isn't shown yet."""
        news = _StatusNews(status, error, wa_message_id)
        shown = self._bubbles.get(message_id)
        if shown is None:
            early = self._early.get(message_id)
            if early is None or _RANK[status] >= _RANK[early.status]:
                self._early[message_id] = news
            return
        self._update(shown, news.applied_to(shown.message))

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
        early = self._early.pop(message.id, None)
        if early is not None and _RANK[early.status] > _RANK[message.status]:
            message = early.applied_to(message)
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
        self.anchor()

    def action_download(self) -> None:
        message = self.selected
        if message is None or not is_media(message):
            self.notify(_("Pick a media message first (j/k)"), severity="warning")
            return
        self.post_message(self.DownloadRequested(message))

    def action_reply(self) -> None:
        message = self.selected
        if message is None:
            self.notify(_("Pick the message to reply to first (j/k)"), severity="warning")
            return
        self.post_message(self.ReplyRequested(message))
