"""The chat's right side: the open conversation's header, thread, typing notice and composer,
with a side panel beside them.

It owns the open conversation: reading it (and marking it read), following its events, and
sending what the composer and the template picker produce. The side panel is a slot: a contact
profile (or any other view of the conversation) is mounted into it with :meth:`SidePanel.show`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from pytake_daemon.protocol import (
    ConversationOut,
    MessageOut,
    MessageReceived,
    MessageSent,
    MessageStatusUpdated,
    MessageUpdated,
    SendMessageRequest,
    ServerEvent,
    TemplateOut,
    TextOut,
    TypingStart,
    TypingStop,
)
from pytake_daemon.protocol.conversations import ConversationEventOut, NoteOut
from pytake_daemon.protocol.events import ConversationEventAdded, NoteAdded
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.contact_view import contact_title, identity_warning
from pytake_tui.i18n import _, ngettext
from pytake_tui.message_view import body_text, window_label, window_open
from pytake_tui.messages import MessageQueued, SessionExpired, report_failure
from pytake_tui.replies import tags_label
from pytake_tui.vocabulary import conversation_status
from pytake_tui.widgets.composer import Composer
from pytake_tui.widgets.system_line import assignment_label, system_entry
from pytake_tui.widgets.thread import ThreadView

TYPING_SHOWN_SECONDS = 10.0
"""A typing notice disappears after this long without news (a console may vanish mid-word)."""


class SidePanel(VerticalScroll):
    """A slot beside the thread, hidden while empty."""

    DEFAULT_CSS = "SidePanel { display: none; }"

    async def show(self, content: Widget | None) -> None:
        """Put ``content`` in the panel (None empties and hides it)."""
        await self.remove_children()
        if content is not None:
            await self.mount(content)
        self.display = content is not None


class ConversationPane(Horizontal):
    """The open conversation; :attr:`open` is None until one is read."""

    class ConversationShown(Message):
        """The pane now shows this state of the open conversation (read, or newer)."""

        def __init__(self, conversation: ConversationOut) -> None:
            super().__init__()
            self.conversation = conversation

    class ThreadLoaded(Message):
        def __init__(
            self,
            conversation: ConversationOut,
            messages: list[MessageOut],
            notes: list[NoteOut],
            events: list[ConversationEventOut] | None = None,
        ) -> None:
            super().__init__()
            self.conversation = conversation
            self.messages = messages
            self.notes = notes
            self.events = events or []
            """The page's system lines (queued, assigned, closed…)."""

    class MessageSendFailed(Message):
        def __init__(self, error: DaemonError) -> None:
            super().__init__()
            self.error = error

    class MessageAccepted(Message):
        def __init__(self, message: MessageOut, from_draft: bool) -> None:
            super().__init__()
            self.message = message
            self.from_draft = from_draft

    class ReadAgain(Message):
        """The open conversation as the daemon has it now (after mark-read or a refresh)."""

        def __init__(self, conversation: ConversationOut) -> None:
            super().__init__()
            self.conversation = conversation

    def __init__(
        self,
        *,
        client: DaemonClient,
        me: uuid.UUID,
        clock: Callable[[], datetime],
        names: dict[uuid.UUID, str],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._client = client
        self._me = me
        self._clock = clock
        self._names = names
        """Users' names by id (the screen keeps them current), for typing notices."""
        self.open: ConversationOut | None = None
        self._typing_timer: Timer | None = None
        self._mounted = False
        self._opening: uuid.UUID | None = None
        """A conversation asked for before the pane's children existed."""

    def compose(self) -> ComposeResult:
        with Vertical(id="conversation"):
            yield Static(_("Pick a conversation on the left (enter)"), id="thread-title")
            yield ThreadView(id="thread")
            yield Static(id="typing")
            yield Composer(id="composer")
        yield SidePanel(id="side-panel")

    def on_mount(self) -> None:
        self._mounted = True
        self.composer.display = False
        # The window countdown moves by the minute; twice a minute keeps it honest.
        self.set_interval(30, self._show_window)
        if self._opening is not None:
            self.open_conversation(self._opening)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def thread(self) -> ThreadView:
        return self.query_one(ThreadView)

    # Opening and reading

    def open_conversation(self, conversation_id: uuid.UUID) -> None:
        """Read a conversation's thread and put the cursor in the composer."""
        if not self._mounted:
            # Another screen (insights, reports, a notification) can switch to a chat shown
            # for the first time and open a conversation before the pane has its children.
            self._opening = conversation_id
            return
        self._opening = None
        if self.open is None or self.open.id != conversation_id:
            self.composer.reset()
            self._show_typing(None)
        self._load_thread(conversation_id)
        self.composer.display = True
        self.composer.draft.focus()

    def reload(self) -> None:
        """Read the open conversation again (after a resync)."""
        if self.open is not None:
            self._load_thread(self.open.id)

    @work(exclusive=True, exit_on_error=False, group="thread")
    async def _load_thread(self, conversation_id: uuid.UUID) -> None:
        try:
            conversation = await self._client.conversation(conversation_id)
            page = await self._client.messages(conversation_id)
            if conversation.unread_count:
                conversation = await self._client.mark_read(conversation_id)
            # Only conversations with notes cost the extra call.
            notes = (
                (await self._client.notes(conversation_id)).items
                if conversation.notes_count
                else []
            )
        except DaemonError as error:
            report_failure(self, error, _("Could not open the conversation"))
            return
        self.post_message(
            self.ThreadLoaded(conversation, list(reversed(page.items)), notes, page.events)
        )

    @on(ThreadLoaded)
    async def _thread_loaded(self, message: ThreadLoaded) -> None:
        message.stop()
        self.open = message.conversation
        self.composer.display = True
        entries = [system_entry(event) for event in message.events]
        await self.thread.show(message.messages, message.notes, entries)
        self._show_header()
        self.post_message(self.ConversationShown(message.conversation))

    @work(exclusive=True, exit_on_error=False, group="refresh")
    async def refresh_open(self) -> None:
        """Re-read the open conversation (an assignment comes without a conversation event)."""
        if self.open is None:
            return
        try:
            conversation = await self._client.conversation(self.open.id)
        except DaemonError:
            return  # the next event or resync re-reads it
        self.post_message(self.ReadAgain(conversation))

    @work(exclusive=True, exit_on_error=False, group="read")
    async def mark_read(self) -> None:
        """Unread to zero (the customer gets the blue ticks)."""
        if self.open is None:
            return
        try:
            conversation = await self._client.mark_read(self.open.id)
        except DaemonError as error:
            report_failure(self, error, _("Could not mark the conversation read"))
            return
        self.post_message(self.ReadAgain(conversation))

    def conversation_changed(self, conversation: ConversationOut) -> bool:
        """Take a newer state of the open conversation; True when it was the open one."""
        opened = self.open
        if opened is None or opened.id != conversation.id:
            return False
        if conversation.updated_at >= opened.updated_at:
            self.open = conversation
            self._show_header()
        return True

    def _show_header(self) -> None:
        conversation = self.open
        if conversation is None:
            return
        contact = conversation.contact
        extra = ""
        warning = identity_warning(contact)
        if warning is not None:
            extra += f" · {warning}"
        if (attended := assignment_label(conversation)) is not None:
            extra += f" · {attended}"
        if conversation.tags:
            extra += f" · {tags_label(conversation.tags)}"
        if count := conversation.notes_count:
            extra += " · ✎ " + ngettext("{n} note", "{n} notes", count).format(n=count)
        self.query_one("#thread-title", Static).update(
            f"{contact_title(contact)} · {conversation_status(conversation.status)}{extra}"
        )
        self._show_window()

    def _show_window(self) -> None:
        if self.open is None:
            return
        now = self._clock()
        window = self.open.window
        self.composer.set_window(window_label(window, now), open_=window_open(window, now))

    # Sending

    @on(Composer.SendRequested)
    def _send_draft(self, event: Composer.SendRequested) -> None:
        event.stop()
        if self.open is None:
            return
        reply_to = event.reply_to.id if event.reply_to is not None else None
        request = SendMessageRequest(
            content=TextOut(body=event.text),
            reply_to=reply_to,
            idempotency_key=event.idempotency_key,
        )
        self._send(self.open.id, request, from_draft=True)

    def send_template(self, conversation_id: uuid.UUID, content: TemplateOut) -> None:
        """Send a filled template (its own idempotency key: it is not the draft)."""
        request = SendMessageRequest(content=content, idempotency_key=str(uuid.uuid4()))
        self._send(conversation_id, request, from_draft=False)

    @work(exit_on_error=False, group="send")
    async def _send(
        self, conversation_id: uuid.UUID, request: SendMessageRequest, *, from_draft: bool
    ) -> None:
        try:
            message = await self._client.send_message(conversation_id, request)
        except DaemonError as error:
            self.post_message(self.MessageSendFailed(error))
            return
        self.post_message(self.MessageAccepted(message, from_draft))

    @on(MessageAccepted)
    async def _message_accepted(self, event: MessageAccepted) -> None:
        event.stop()
        if event.from_draft:
            self.composer.sent()
        await self.accepted(event.message)

    async def accepted(self, message: MessageOut) -> None:
        """A message this console queued: the app watches its fate, the thread shows it."""
        self.app.post_message(MessageQueued(message))
        if self.open is not None and message.conversation_id == self.open.id:
            await self.thread.add(message)

    @on(MessageSendFailed)
    def _message_send_failed(self, event: MessageSendFailed) -> None:
        event.stop()
        self.composer.send_failed()
        error = event.error
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
            return
        # A 409 is the 24-hour window: its detail says so in plain words.
        self.notify(error.detail or error.message, title=_("Not sent"), severity="error")

    def insert(self, text: str) -> None:
        """Put text in the draft (a canned response, a suggestion), unless the window closed."""
        if self.composer.draft.disabled:
            self.notify(
                _("The 24-hour window is closed: only templates (ctrl+g)"), severity="warning"
            )
            return
        self.composer.insert(text)

    @on(Composer.TypingChanged)
    def _typing_changed(self, event: Composer.TypingChanged) -> None:
        event.stop()
        if self.open is not None:
            self._send_typing(self.open.id, event.typing)

    @work(exit_on_error=False, group="typing")
    async def _send_typing(self, conversation_id: uuid.UUID, typing: bool) -> None:
        await self._client.send_typing(conversation_id, typing)

    @on(ThreadView.ReplyRequested)
    def _reply_to(self, event: ThreadView.ReplyRequested) -> None:
        event.stop()
        self.composer.set_reply_to(event.message, " ".join(body_text(event.message).split())[:50])
        self.composer.draft.focus()

    # Live events of the open conversation

    async def apply(self, event: ServerEvent, *, current: bool) -> bool:
        """Show an event about the open conversation; True when the customer just wrote
        (``current``: this screen is the one on display, so the news counts as read)."""
        open_id = self.open.id if self.open is not None else None
        if open_id is None:
            return False
        match event:
            case MessageReceived() | MessageSent() if event.conversation.id == open_id:
                await self.thread.add(event.message)
                if isinstance(event, MessageReceived):
                    self._show_typing(None)
                    if current:
                        self.mark_read()
                    return True
            case MessageStatusUpdated() if event.conversation_id == open_id:
                self.thread.status_changed(
                    event.message_id, event.status, event.error, event.wa_message_id
                )
            case MessageUpdated() if event.conversation_id == open_id:
                # The customer edited or deleted it: the bubble is replaced in place.
                self.thread.update_status(event.message)
            case NoteAdded() if event.conversation.id == open_id:
                await self.thread.add_note(event.note)
            case ConversationEventAdded() if event.event.conversation_id == open_id:
                await self.thread.add_entry(system_entry(event.event))
            case TypingStart() if event.conversation_id == open_id:
                if event.user_id != self._me:
                    self._show_typing(self._names.get(event.user_id, _("another agent")))
            case TypingStop() if event.conversation_id == open_id:
                self._show_typing(None)
            case _:
                pass
        return False

    def _show_typing(self, who: str | None) -> None:
        self.query_one("#typing", Static).update(
            _("{name} is typing…").format(name=who) if who else ""
        )
        if self._typing_timer is not None:
            self._typing_timer.stop()
        if who is not None:
            self._typing_timer = self.set_timer(
                TYPING_SHOWN_SECONDS, lambda: self._show_typing(None)
            )
