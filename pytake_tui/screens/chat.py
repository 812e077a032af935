"""The chat console: the conversation list on the left, the open thread and composer on the right.

REST fills what is shown (on open, on filter changes, after a resync); stream events keep it
current. Network calls run in workers that post past-tense messages back to the screen.

The agent's actions on the open conversation (transfer, close, internal notes, tags, canned
responses and reply suggestions) open the dialogs of ``chat_actions.py``; the other consoles on
the same conversation follow through the events the daemon publishes (``ConversationUpdated``,
``NoteAdded``).
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
    MessageUpdated,
    Role,
    SendMessageRequest,
    TemplateOut,
    TextOut,
    TypingStart,
    TypingStop,
    UserChanged,
)
from pytake_daemon.protocol.conversations import NoteOut, TransferRequest
from pytake_daemon.protocol.events import NoteAdded
from pytake_daemon.protocol.outgoing import PhoneRequest
from pytake_daemon.protocol.queues import QueueItemChanged
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.contact_view import contact_title, identity_warning
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
from pytake_tui.replies import tags_label, variables
from pytake_tui.screens.chat_actions import (
    CannedPicker,
    ConfirmClose,
    NoteEditor,
    TagEditor,
    TransferPicker,
)
from pytake_tui.screens.template_picker import TemplatePicker
from pytake_tui.widgets.composer import SUGGESTION_CHARACTER_KEYS, Composer
from pytake_tui.widgets.conversation_list import ConversationList
from pytake_tui.widgets.filter_bar import FilterBar
from pytake_tui.widgets.thread import ThreadView

Clock = Callable[[], datetime]
SEARCH_DEBOUNCE_SECONDS = 0.3
TYPING_SHOWN_SECONDS = 10.0
"""A typing notice disappears after this long without news (a console may vanish mid-word)."""


class ChatScreen(Screen[None]):
    """Keys: ``/`` search, enter open, escape back to the list, ctrl+g template, ctrl+r
    resolve or reopen; in the thread ``j``/``k`` pick a message, ``d`` download, ``r`` reply.

    On the open conversation: ctrl+o transfer, alt+c close (after a confirmation), ctrl+n
    internal note, ctrl+l tags, ctrl+b canned responses, alt+p ask a username customer for their
    phone number, ctrl+space reply suggestions and alt+1..3 to insert one. Terminals send
    alt+key as escape + key, and ctrl+space as NUL, so these reach the console in any terminal;
    the alt keys are priority bindings so the draft doesn't take them as text.
    """

    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "#conversations"
    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("ctrl+g", "template", "Template"),
        Binding("ctrl+r", "toggle_resolved", "Resolve/reopen"),
        Binding("escape", "back", "Back", show=False),
        # The footer has no room left at 80 columns: help (?) and the palette list these.
        Binding("ctrl+o", "transfer", "Transfer to a queue or agent", show=False),
        Binding("alt+c", "close", "Close (the customer rates)", show=False, priority=True),
        Binding("ctrl+n", "note", "Internal note", show=False),
        Binding("ctrl+l", "tags", "Edit tags", show=False),
        Binding("ctrl+b", "canned", "Canned responses", show=False),
        Binding("alt+p", "request_phone", "Ask for the phone number", show=False, priority=True),
        # A terminal sends ctrl+space as NUL, which Textual names ctrl+@.
        Binding(
            "ctrl+space,ctrl+@",
            "suggest",
            "Reply suggestions",
            show=False,
            key_display="^space",
        ),
        Binding("alt+1", "insert_suggestion(1)", "Insert suggestion 1", show=False, priority=True),
        Binding("alt+2", "insert_suggestion(2)", "Insert suggestion 2", show=False, priority=True),
        Binding("alt+3", "insert_suggestion(3)", "Insert suggestion 3", show=False, priority=True),
        # Textual reads escape + digit (what most terminals send for alt+digit) as the
        # characters macOS types with option+digit (¡ ™ £). Outside a text field these bind
        # here; in the draft, the composer takes them while suggestions are shown.
        *(
            Binding(key, f"insert_suggestion({n})", show=False)
            for n, key in enumerate(SUGGESTION_CHARACTER_KEYS, start=1)
        ),
    ]

    class ListLoaded(Message):
        def __init__(self, conversations: list[ConversationOut]) -> None:
            super().__init__()
            self.conversations = conversations

    class ThreadLoaded(Message):
        def __init__(
            self, conversation: ConversationOut, messages: list[MessageOut], notes: list[NoteOut]
        ) -> None:
            super().__init__()
            self.conversation = conversation
            self.messages = messages
            self.notes = notes

    class NoteWritten(Message):
        def __init__(self, note: NoteOut) -> None:
            super().__init__()
            self.note = note

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
            # Only conversations with notes cost the extra call.
            notes = (
                (await self._client.notes(conversation_id)).items
                if conversation.notes_count
                else []
            )
        except DaemonError as error:
            self._failed(error, "Could not open the conversation")
            return
        self.post_message(self.ThreadLoaded(conversation, list(reversed(page.items)), notes))

    @work(exit_on_error=False, group="names")
    async def _load_names(self) -> None:
        try:
            users = await self._client.users()
        except DaemonError:
            return  # names only label typing notices; ids are not shown anyway
        self._names = {user.id: user.name for user in users.items}

    @work(exclusive=True, exit_on_error=False, group="refresh")
    async def _refresh(self, conversation_id: uuid.UUID) -> None:
        try:
            conversation = await self._client.conversation(conversation_id)
        except DaemonError:
            return  # the next event or resync re-reads it
        self.post_message(self.ConversationRefreshed(conversation))

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
        await self.query_one(ThreadView).show(message.messages, message.notes)
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
        title = contact_title(contact)
        extra = ""
        warning = identity_warning(contact)
        if warning is not None:
            extra += f" · {warning}"
        if conversation.tags:
            extra += f" · {tags_label(conversation.tags)}"
        if conversation.notes_count:
            plural = "s" if conversation.notes_count > 1 else ""
            extra += f" · ✎ {conversation.notes_count} note{plural}"
        self.query_one("#thread-title", Static).update(
            f"{title} · {conversation.status.value}{extra}"
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

    @on(Composer.SuggestionPicked)
    def _suggestion_picked(self, event: Composer.SuggestionPicked) -> None:
        self.action_insert_suggestion(event.number)

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

    # Actions on the open conversation

    def _opened(self) -> ConversationOut | None:
        if self._open is None:
            self.notify("Open a conversation first", severity="warning")
        return self._open

    def action_transfer(self) -> None:
        """Hand the open conversation to a queue or another agent."""
        conversation = self._opened()
        if conversation is not None:
            self._open_transfer_picker(conversation)

    @work(exclusive=True, exit_on_error=False, group="transfer")
    async def _open_transfer_picker(self, conversation: ConversationOut) -> None:
        try:
            queues = await self._client.queues()
            agents = await self._client.agents()
        except DaemonError as error:
            self._failed(error, "Could not load the queues and agents")
            return
        picker = TransferPicker(
            contact_name(conversation.contact), queues.items, agents.items, self._me.user_id
        )
        request = await self.app.push_screen_wait(picker)
        if request is None:
            return
        if request.queue_id is not None:
            target = next(q.name for q in queues.items if q.id == request.queue_id)
        else:
            target = next(a.name for a in agents.items if a.id == request.agent_id)
        await self._transfer(conversation, request, target)

    async def _transfer(
        self, conversation: ConversationOut, request: TransferRequest, target: str
    ) -> None:
        try:
            changed = await self._client.transfer(conversation.id, request)
        except DaemonError as error:
            self._failed(error, "Not transferred")
            return
        self.notify(f"{contact_name(changed.contact)} transferred to {target}", title="Transferred")
        self.post_message(self.ConversationRefreshed(changed))

    def action_close(self) -> None:
        """Resolve the open conversation after a confirmation; the customer rates the agent."""
        conversation = self._opened()
        if conversation is None:
            return
        if conversation.status is ConversationStatus.RESOLVED:
            self.notify("Already closed (ctrl+r reopens it)", severity="warning")
            return
        self._confirm_close(conversation)

    @work(exclusive=True, exit_on_error=False, group="status")
    async def _confirm_close(self, conversation: ConversationOut) -> None:
        # As it is now: an assignment made meanwhile decides whether a rating is asked.
        try:
            conversation = await self._client.conversation(conversation.id)
        except DaemonError as error:
            self._failed(error, "Could not close the conversation")
            return
        attended = conversation.assigned_user_id is not None
        name = contact_name(conversation.contact)
        if not await self.app.push_screen_wait(ConfirmClose(name, attended)):
            return
        try:
            changed = await self._client.set_status(conversation.id, ConversationStatus.RESOLVED)
        except DaemonError as error:
            self._failed(error, "Could not close the conversation")
            return
        rating = " — the customer will be asked for a rating" if attended else ""
        self.notify(f"{name}: closed{rating}", title="Closed")
        self.post_message(self.ConversationRefreshed(changed))

    def action_note(self) -> None:
        """Write an internal note on the open conversation."""
        conversation = self._opened()
        if conversation is not None:
            self._write_note(conversation)

    @work(exclusive=True, exit_on_error=False, group="note")
    async def _write_note(self, conversation: ConversationOut) -> None:
        body = await self.app.push_screen_wait(NoteEditor(contact_name(conversation.contact)))
        if body is None:
            return
        try:
            note = await self._client.add_note(conversation.id, body)
        except DaemonError as error:
            self._failed(error, "Note not saved")
            return
        self.post_message(self.NoteWritten(note))

    async def on_chat_screen_note_written(self, message: NoteWritten) -> None:
        # The NoteAdded event brings it too (and the counter); whichever comes first shows it.
        if self._open is not None and message.note.conversation_id == self._open.id:
            await self.query_one(ThreadView).add_note(message.note)

    def action_tags(self) -> None:
        """Edit the open conversation's tags."""
        conversation = self._opened()
        if conversation is not None:
            self._edit_tags(conversation)

    @work(exclusive=True, exit_on_error=False, group="tags")
    async def _edit_tags(self, conversation: ConversationOut) -> None:
        editor = TagEditor(contact_name(conversation.contact), conversation.tags)
        tags = await self.app.push_screen_wait(editor)
        if tags is None:
            return
        try:
            changed = await self._client.set_tags(conversation.id, tags)
        except DaemonError as error:
            self._failed(error, "Tags not saved")
            return
        self.post_message(self.ConversationRefreshed(changed))

    def action_request_phone(self) -> None:
        """Ask a customer known only by their username to share their phone number."""
        conversation = self._opened()
        if conversation is not None:
            self._request_phone(conversation)

    @work(exclusive=True, exit_on_error=False, group="phone-request")
    async def _request_phone(self, conversation: ConversationOut) -> None:
        # The daemon decides (window, templates, a phone already known) and says why in a 409.
        request = PhoneRequest(idempotency_key=str(uuid.uuid4()))
        try:
            message = await self._client.request_phone(conversation.id, request)
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired("your session has ended"))
            else:
                self.notify(
                    error.detail or error.message, title="Phone not asked", severity="error"
                )
            return
        self.notify(f"Asked {contact_name(conversation.contact)} to share their phone number")
        self.post_message(self.MessageAccepted(message, False))

    def action_canned(self) -> None:
        """Pick a canned response; it goes into the draft with its variables filled."""
        conversation = self._opened()
        if conversation is not None:
            self._pick_canned(conversation)

    @work(exclusive=True, exit_on_error=False, group="canned")
    async def _pick_canned(self, conversation: ConversationOut) -> None:
        try:
            replies = await self._client.canned_replies()
        except DaemonError as error:
            self._failed(error, "Could not load the canned responses")
            return
        values = variables(conversation, self._me.name)
        text = await self.app.push_screen_wait(CannedPicker(replies.items, values))
        if text is not None:
            self._insert(text)

    def _insert(self, text: str) -> None:
        composer = self.query_one(Composer)
        if composer.draft.disabled:
            self.notify("The 24-hour window is closed: only templates (ctrl+g)", severity="warning")
            return
        composer.insert(text)

    def action_suggest(self) -> None:
        """Show the top three replies for the open conversation above the draft."""
        conversation = self._opened()
        if conversation is not None:
            self._load_suggestions(conversation.id)

    @work(exclusive=True, exit_on_error=False, group="suggestions")
    async def _load_suggestions(self, conversation_id: uuid.UUID) -> None:
        try:
            found = await self._client.reply_suggestions(conversation_id)
        except DaemonError as error:
            self._failed(error, "No suggestions")
            return
        if self._open is not None and self._open.id == conversation_id:
            self.query_one(Composer).show_suggestions(found.items, found.intent)

    def action_insert_suggestion(self, number: int) -> None:
        """Insert the ``number``-th suggestion shown into the draft."""
        composer = self.query_one(Composer)
        if not composer.suggestions:
            self.notify("No suggestions shown: ctrl+space shows them", severity="warning")
            return
        if number > len(composer.suggestions):
            return
        self._insert(composer.suggestions[number - 1].text)

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
                        # Shown suggestions follow what the customer just said.
                        if self.query_one(Composer).suggestions:
                            self._load_suggestions(event.conversation.id)
            case MessageStatusUpdated() if event.conversation_id == open_id:
                thread = self.query_one(ThreadView)
                shown = thread.message(event.message_id)
                if shown is not None:
                    update: dict[str, object] = {"status": event.status, "error": event.error}
                    if event.wa_message_id:
                        update["wa_message_id"] = event.wa_message_id
                    thread.update_status(shown.model_copy(update=update))
            case MessageUpdated() if event.conversation_id == open_id:
                # The customer edited or deleted it: the bubble is replaced in place.
                self.query_one(ThreadView).update_status(event.message)
            case ConversationUpdated():
                self._conversation_changed(event.conversation)
            case NoteAdded():
                self._conversation_changed(event.conversation)
                if event.conversation.id == open_id:
                    await self.query_one(ThreadView).add_note(event.note)
            case QueueItemChanged() if event.item.conversation_id == open_id:
                # Distribution assigns without a conversation event: re-read the open one, so
                # the header and the close dialog know who attends it.
                self._refresh(event.item.conversation_id)
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
