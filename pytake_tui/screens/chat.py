"""The chat console: the conversation list on the left, the open thread and composer on the right.

REST fills what is shown (on open, on filter changes, after a resync); stream events keep it
current. Network calls run in workers that post past-tense messages back to the screen.
"""

from __future__ import annotations

import asyncio
import mimetypes
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, OptionList, Static

from pytake_daemon.protocol import (
    ConversationOut,
    ConversationStatus,
    ConversationUpdated,
    Me,
    MessageOut,
    MessageReceived,
    MessageSent,
    MessageStatusUpdated,
    Role,
    SendMessageRequest,
    TemplateOut,
    TextOut,
    TypingStart,
    TypingStop,
    UserChanged,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.inbox import Inbox, ListFilters
from pytake_tui.message_view import body_text, window_label, window_open
from pytake_tui.messages import (
    ConversationOpened,
    EventReceived,
    MessageQueued,
    ResyncNeeded,
    SessionExpired,
)
from pytake_tui.notifications import contact_name
from pytake_tui.screens.template_picker import TemplatePicker
from pytake_tui.widgets.composer import Composer
from pytake_tui.widgets.conversation_list import ConversationList
from pytake_tui.widgets.filter_bar import FilterBar
from pytake_tui.widgets.thread import ThreadView

Clock = Callable[[], datetime]
SEARCH_DEBOUNCE_SECONDS = 0.3
TYPING_SHOWN_SECONDS = 10.0
"""A typing notice disappears after this long without news (a console may vanish mid-word)."""


class ChatScreen(Screen[None]):
    """Keys: ``/`` search, enter open, escape back to the list, ctrl+g template, ctrl+r
    resolve or reopen; in the thread ``j``/``k`` pick a message, ``d`` download, ``r`` reply."""

    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "#conversations"
    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("ctrl+g", "template", "Template"),
        Binding("ctrl+r", "toggle_resolved", "Resolve/reopen"),
        Binding("escape", "back", "Back", show=False),
    ]

    class ListLoaded(Message):
        def __init__(self, conversations: list[ConversationOut]) -> None:
            super().__init__()
            self.conversations = conversations

    class ThreadLoaded(Message):
        def __init__(self, conversation: ConversationOut, messages: list[MessageOut]) -> None:
            super().__init__()
            self.conversation = conversation
            self.messages = messages

    class ConversationRefreshed(Message):
        def __init__(self, conversation: ConversationOut) -> None:
            super().__init__()
            self.conversation = conversation

    class MessageSendFailed(Message):
        def __init__(self, error: DaemonError) -> None:
            super().__init__()
            self.error = error

    class MessageAccepted(Message):
        def __init__(self, message: MessageOut, from_draft: bool) -> None:
            super().__init__()
            self.message = message
            self.from_draft = from_draft

    def __init__(self, *, client: DaemonClient, me: Me, clock: Clock, downloads: Path) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._clock = clock
        self._downloads = downloads
        self._inbox = Inbox(me.user_id)
        self._filters = ListFilters()
        self._open: ConversationOut | None = None
        self._names: dict[uuid.UUID, str] = {}
        self._search_timer: Timer | None = None
        self._typing_timer: Timer | None = None
        self._render_pending = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="chat"):
            with Vertical(id="sidebar"):
                yield Input(id="search", placeholder="/ search name, phone, text")
                yield FilterBar(self._filters, id="filters")
                yield ConversationList(id="conversations")
            with Vertical(id="conversation"):
                yield Static("Pick a conversation on the left (enter)", id="thread-title")
                yield ThreadView(id="thread")
                yield Static(id="typing")
                yield Composer(id="composer")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Composer).display = False
        self._load_list()
        if self._me.role.at_least(Role.SUPERVISOR):
            self._load_names()
        # The window countdown moves by the minute; twice a minute keeps it honest.
        self.set_interval(30, self._show_window)

    # Loading

    @work(exclusive=True, exit_on_error=False, group="list")
    async def _load_list(self) -> None:
        try:
            page = await self._client.conversations(self._filters.query(self._clock()))
        except DaemonError as error:
            self._failed(error, "Could not load the conversations")
            return
        self.post_message(self.ListLoaded(page.items))

    @work(exclusive=True, exit_on_error=False, group="thread")
    async def _load_thread(self, conversation_id: uuid.UUID) -> None:
        try:
            conversation = await self._client.conversation(conversation_id)
            page = await self._client.messages(conversation_id)
            if conversation.unread_count:
                conversation = await self._client.mark_read(conversation_id)
        except DaemonError as error:
            self._failed(error, "Could not open the conversation")
            return
        self.post_message(self.ThreadLoaded(conversation, list(reversed(page.items))))

    @work(exit_on_error=False, group="names")
    async def _load_names(self) -> None:
        try:
            users = await self._client.users()
        except DaemonError:
            return  # names only label typing notices; ids are not shown anyway
        self._names = {user.id: user.name for user in users.items}

    @work(exclusive=True, exit_on_error=False, group="read")
    async def _mark_read(self, conversation_id: uuid.UUID) -> None:
        try:
            conversation = await self._client.mark_read(conversation_id)
        except DaemonError as error:
            self._failed(error, "Could not mark the conversation read")
            return
        self.post_message(self.ConversationRefreshed(conversation))

    def _failed(self, error: DaemonError, title: str) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired("your session has ended"))
        else:
            self.notify(error.message, title=title, severity="error")

    def on_chat_screen_list_loaded(self, message: ListLoaded) -> None:
        self._inbox.replace_all(message.conversations)
        if self._open is not None:
            self._inbox.upsert(self._open)
        self._render_list()

    async def on_chat_screen_thread_loaded(self, message: ThreadLoaded) -> None:
        self._open = message.conversation
        self._inbox.upsert(message.conversation)
        self._render_list()
        self.query_one(Composer).display = True
        await self.query_one(ThreadView).show(message.messages)
        self._show_open()

    def on_chat_screen_conversation_refreshed(self, message: ConversationRefreshed) -> None:
        self._conversation_changed(message.conversation)

    # The list

    def _schedule_render(self) -> None:
        # Events can come in bursts: rebuild the list once per frame, not once per event.
        if not self._render_pending:
            self._render_pending = True
            self.call_after_refresh(self._render_list)

    def _render_list(self) -> None:
        self._render_pending = False
        self.query_one(ConversationList).show(
            self._inbox.ordered(), self._me.user_id, self._clock()
        )

    @on(OptionList.OptionSelected, "#conversations")
    def _open_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:
            return
        self.open_conversation(uuid.UUID(event.option.id))

    def open_conversation(self, conversation_id: uuid.UUID) -> None:
        """Show a conversation's thread and put the cursor in the composer."""
        composer = self.query_one(Composer)
        if self._open is None or self._open.id != conversation_id:
            composer.reset()
            self.query_one("#typing", Static).update("")
        self.app.post_message(ConversationOpened(conversation_id))
        self._load_thread(conversation_id)
        composer.display = True
        composer.draft.focus()

    @on(ConversationList.FilterCycled)
    @on(FilterBar.FilterCycled)
    def _cycle_filter(self, event: ConversationList.FilterCycled | FilterBar.FilterCycled) -> None:
        cycle = {
            "status": self._filters.next_status,
            "agent": self._filters.next_agent,
            "period": self._filters.next_period,
        }
        self._set_filters(cycle[event.which]())

    def _set_filters(self, filters: ListFilters) -> None:
        self._filters = filters
        self.query_one(FilterBar).filters = filters
        self._load_list()

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE_SECONDS, self._apply_search)

    def _apply_search(self) -> None:
        text = self.query_one("#search", Input).value
        if text.strip() != self._filters.search.strip():
            self._set_filters(replace(self._filters, search=text))

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self._apply_search()
        self.query_one(ConversationList).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_back(self) -> None:
        if self.query_one(Composer).reply_to is not None:
            self.query_one(Composer).set_reply_to(None)
            return
        self.query_one(ConversationList).focus()

    # The open conversation

    def _show_open(self) -> None:
        conversation = self._open
        if conversation is None:
            return
        contact = conversation.contact
        name = contact_name(contact)
        phone = f" · +{contact.wa_id}" if contact.profile_name else ""
        self.query_one("#thread-title", Static).update(
            f"{name}{phone} · {conversation.status.value}"
        )
        self._show_window()

    def _show_window(self) -> None:
        if self._open is None:
            return
        now = self._clock()
        window = self._open.window
        self.query_one(Composer).set_window(
            window_label(window, now), open_=window_open(window, now)
        )

    def _conversation_changed(self, conversation: ConversationOut) -> None:
        listed = conversation.id in self._inbox
        if self._filters.admits(conversation, self._me.user_id, self._clock()) or (
            listed and self._filters.searching
        ):
            self._inbox.upsert(conversation)
        elif listed and (self._open is None or self._open.id != conversation.id):
            self._inbox.remove(conversation.id)
        opened = self._open
        if (
            opened is not None
            and opened.id == conversation.id
            and conversation.updated_at >= opened.updated_at
        ):
            self._open = conversation
            self._show_open()
        self._schedule_render()

    # Sending

    @on(Composer.SendRequested)
    def _send_draft(self, event: Composer.SendRequested) -> None:
        if self._open is None:
            return
        reply_to = event.reply_to.id if event.reply_to is not None else None
        request = SendMessageRequest(
            content=TextOut(body=event.text),
            reply_to=reply_to,
            idempotency_key=event.idempotency_key,
        )
        self._send(self._open.id, request, from_draft=True)

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

    async def on_chat_screen_message_accepted(self, event: MessageAccepted) -> None:
        if event.from_draft:
            self.query_one(Composer).sent()
        self.app.post_message(MessageQueued(event.message))
        if self._open is not None and event.message.conversation_id == self._open.id:
            await self.query_one(ThreadView).add(event.message)

    def on_chat_screen_message_send_failed(self, event: MessageSendFailed) -> None:
        self.query_one(Composer).send_failed()
        error = event.error
        if error.unauthorized:
            self.post_message(SessionExpired("your session has ended"))
            return
        # A 409 is the 24-hour window: its detail says so in plain words.
        self.notify(error.detail or error.message, title="Not sent", severity="error")

    @on(Composer.TypingChanged)
    def _typing_changed(self, event: Composer.TypingChanged) -> None:
        if self._open is not None:
            self._send_typing(self._open.id, event.typing)

    @work(exit_on_error=False, group="typing")
    async def _send_typing(self, conversation_id: uuid.UUID, typing: bool) -> None:
        await self._client.send_typing(conversation_id, typing)

    def action_template(self) -> None:
        """Pick an approved template (the only thing allowed outside the 24-hour window)."""
        if self._open is None:
            self.notify("Open a conversation first", severity="warning")
            return
        self._open_template_picker(self._open)

    @work(exclusive=True, exit_on_error=False, group="templates")
    async def _open_template_picker(self, conversation: ConversationOut) -> None:
        try:
            templates = await self._client.approved_templates()
        except DaemonError as error:
            self._failed(error, "Could not load the templates")
            return
        content = await self.app.push_screen_wait(
            TemplatePicker(templates.items, contact_name(conversation.contact))
        )
        if content is not None:
            self._send_template(conversation.id, content)

    def _send_template(self, conversation_id: uuid.UUID, content: TemplateOut) -> None:
        request = SendMessageRequest(content=content, idempotency_key=str(uuid.uuid4()))
        self._send(conversation_id, request, from_draft=False)

    def action_toggle_resolved(self) -> None:
        """Resolve the open conversation, or reopen it if it is resolved."""
        if self._open is None:
            return
        resolved = self._open.status is ConversationStatus.RESOLVED
        target = ConversationStatus.OPEN if resolved else ConversationStatus.RESOLVED
        self._set_status(self._open.id, target)

    @work(exclusive=True, exit_on_error=False, group="status")
    async def _set_status(self, conversation_id: uuid.UUID, status: ConversationStatus) -> None:
        try:
            conversation = await self._client.set_status(conversation_id, status)
        except DaemonError as error:
            self._failed(error, "Could not change the status")
            return
        self.notify(f"{contact_name(conversation.contact)}: {status.value}")
        self.post_message(self.ConversationRefreshed(conversation))

    # Thread actions

    @on(ThreadView.ReplyRequested)
    def _reply_to(self, event: ThreadView.ReplyRequested) -> None:
        composer = self.query_one(Composer)
        composer.set_reply_to(event.message, " ".join(body_text(event.message).split())[:50])
        composer.draft.focus()

    @on(ThreadView.DownloadRequested)
    def _download_requested(self, event: ThreadView.DownloadRequested) -> None:
        self._download(event.message)

    @work(exit_on_error=False, group="download")
    async def _download(self, message: MessageOut) -> None:
        try:
            media = await self._client.media(message.conversation_id, message.id)
        except DaemonError as error:
            self._failed(error, "Could not download")
            return
        extension = mimetypes.guess_extension(media.content_type.split(";")[0]) or ""
        name = Path(media.filename).name if media.filename else f"{message.id}{extension}"
        target = self._downloads / name
        try:
            await asyncio.to_thread(_write, target, media.content)
        except OSError as error:
            self.notify(f"{target}: {error.strerror}", title="Could not save", severity="error")
            return
        self.notify(f"saved to {target}", title="Downloaded")

    # Live events

    async def on_event_received(self, message: EventReceived) -> None:
        event = message.envelope.event
        open_id = self._open.id if self._open is not None else None
        match event:
            case MessageReceived() | MessageSent():
                self._conversation_changed(event.conversation)
                if event.conversation.id == open_id:
                    await self.query_one(ThreadView).add(event.message)
                    if isinstance(event, MessageReceived) and self.is_current:
                        self._mark_read(event.conversation.id)
                        self._show_typing(None)
            case MessageStatusUpdated() if event.conversation_id == open_id:
                thread = self.query_one(ThreadView)
                shown = thread.message(event.message_id)
                if shown is not None:
                    update: dict[str, object] = {"status": event.status, "error": event.error}
                    if event.wa_message_id:
                        update["wa_message_id"] = event.wa_message_id
                    thread.update_status(shown.model_copy(update=update))
            case ConversationUpdated():
                self._conversation_changed(event.conversation)
            case TypingStart() if event.conversation_id == open_id:
                if event.user_id != self._me.user_id:
                    self._show_typing(self._names.get(event.user_id, "another agent"))
            case TypingStop() if event.conversation_id == open_id:
                self._show_typing(None)
            case UserChanged():
                self._names[event.user_id] = event.name
            case _:
                pass

    def _show_typing(self, who: str | None) -> None:
        self.query_one("#typing", Static).update(f"{who} is typing…" if who else "")
        if self._typing_timer is not None:
            self._typing_timer.stop()
        if who is not None:
            self._typing_timer = self.set_timer(
                TYPING_SHOWN_SECONDS, lambda: self._show_typing(None)
            )

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self._load_list()
        if self._open is not None:
            self._load_thread(self._open.id)

    def on_screen_resume(self) -> None:
        if self._open is not None:
            self.app.post_message(ConversationOpened(self._open.id))
            if self._open.unread_count:
                self._mark_read(self._open.id)

    def on_screen_suspend(self) -> None:
        self.app.post_message(ConversationOpened(None))


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
