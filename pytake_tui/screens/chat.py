"""The chat console: the conversation list on the left, the open conversation on the right.

The screen composes the widgets that each own one concern — :class:`ConversationSidebar` (the
list, search and filters), :class:`ConversationPane` (header, thread, composer, side panel) and
:class:`ConversationActions` (the pickers and dialogs) — and routes between them: the stream's
events, the past-tense messages they post, and its keys, which act on the open conversation
wherever the focus is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header

from pytake_daemon.protocol import (
    ConversationOut,
    ConversationStatus,
    ConversationUpdated,
    Me,
    MessageReceived,
    MessageSent,
    Role,
    UserChanged,
)
from pytake_daemon.protocol.events import NoteAdded
from pytake_daemon.protocol.queues import QueueItemChanged
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _
from pytake_tui.messages import ConversationOpened, EventReceived, ResyncNeeded
from pytake_tui.screens.chat_keys import CHAT_BINDINGS
from pytake_tui.screens.contact_dialogs import ContactFinder
from pytake_tui.widgets.composer import Composer
from pytake_tui.widgets.contact_profile import (
    PROFILE_SHOWN,
    ContactProfilePanel,
    follow_conversation,
    place_profile,
    show_profile,
)
from pytake_tui.widgets.conversation_actions import ConversationActions
from pytake_tui.widgets.conversation_pane import ConversationPane, SidePanel
from pytake_tui.widgets.conversation_sidebar import ConversationSidebar
from pytake_tui.widgets.key_footer import KeyFooter
from pytake_tui.widgets.thread import ThreadView

Clock = Callable[[], datetime]


class ChatScreen(Screen[None]):
    """Keys: ``/`` search, enter open, escape back to the list, ctrl+g template, ctrl+r
    resolve or reopen, alt+s snooze or wake; in the thread ``j``/``k`` pick a message, ``d``
    download, ``r`` reply; in the list ``o`` sorts again.

    On the open conversation: ctrl+o transfer, alt+t take it (supervisors), alt+c close (after
    a confirmation), ctrl+n internal note, ctrl+l tags, ctrl+b canned responses, alt+p ask a
    username customer for their phone number, ctrl+space reply suggestions and alt+1..3 to
    insert one, alt+i the customer's
    profile beside the thread; alt+f finds any contact and shows theirs. Terminals send
    alt+key as escape + key, and ctrl+space as NUL, so these reach the console in any terminal;
    the alt keys are priority bindings so the draft doesn't take them as text.
    """

    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "#conversations"
    BINDINGS = CHAT_BINDINGS

    _NEEDS_OPEN = frozenset(
        {"template", "toggle_resolved", "transfer", "close", "note", "snooze", "tags", "canned"}
        | {"request_phone", "suggest", "profile", "take"}
    )
    """Actions on the open conversation: out of the footer until one is open."""

    def __init__(self, *, client: DaemonClient, me: Me, clock: Clock, downloads: Path) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._clock = clock
        self._downloads = downloads
        self._names: dict[uuid.UUID, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="chat"):
            yield ConversationSidebar(
                client=self._client, me=self._me.user_id, clock=self._clock, id="sidebar"
            )
            yield ConversationPane(
                client=self._client,
                me=self._me.user_id,
                clock=self._clock,
                names=self._names,
                id="pane",
            )
        yield ConversationActions(client=self._client, me=self._me, downloads=self._downloads)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sidebar.load()
        if self._me.role.at_least(Role.SUPERVISOR):
            self._load_names()

    @property
    def sidebar(self) -> ConversationSidebar:
        return self.query_one(ConversationSidebar)

    @property
    def pane(self) -> ConversationPane:
        return self.query_one(ConversationPane)

    @property
    def actions(self) -> ConversationActions:
        return self.query_one(ConversationActions)

    @work(exit_on_error=False, group="names")
    async def _load_names(self) -> None:
        try:
            users = await self._client.users()
        except DaemonError:
            return  # names only label typing notices; ids are not shown anyway
        self._names.update({user.id: user.name for user in users.items})

    def footer_hides(self, action: str) -> bool:
        """Before a conversation is open its actions only say so: the footer leaves them out."""
        if action == "take" and not self._me.role.at_least(Role.SUPERVISOR):
            return True
        return action in self._NEEDS_OPEN and self.pane.open is None

    def open_conversation(self, conversation_id: uuid.UUID) -> None:
        """Show a conversation's thread and put the cursor in the composer."""
        self.app.post_message(ConversationOpened(conversation_id))
        self.pane.open_conversation(conversation_id)

    @on(ConversationSidebar.ConversationChosen)
    def _chosen(self, event: ConversationSidebar.ConversationChosen) -> None:
        self.open_conversation(event.conversation_id)

    @on(ContactProfilePanel.ConversationRequested)
    def _conversation_requested(self, event: ContactProfilePanel.ConversationRequested) -> None:
        self.open_conversation(event.conversation_id)

    @on(ConversationPane.ConversationShown)
    async def _shown(self, event: ConversationPane.ConversationShown) -> None:
        self.sidebar.opened(event.conversation)
        self.refresh_bindings()
        await follow_conversation(self._side_panel, self._client, event.conversation.contact.id)

    @on(ConversationPane.ReadAgain)
    @on(ConversationActions.ConversationChanged)
    def _changed(
        self, event: ConversationPane.ReadAgain | ConversationActions.ConversationChanged
    ) -> None:
        self._conversation_changed(event.conversation)

    def _conversation_changed(self, conversation: ConversationOut) -> None:
        self.pane.conversation_changed(conversation)
        self.sidebar.conversation_changed(conversation)

    def action_search(self) -> None:
        self.sidebar.focus_search()

    def action_back(self) -> None:
        composer = self.query_one(Composer)
        if composer.reply_to is not None:
            composer.set_reply_to(None)
            return
        self.sidebar.focus_list()

    # The keys on the open conversation

    def _opened(self) -> ConversationOut | None:
        if self.pane.open is None:
            self.notify(_("Open a conversation first"), severity="warning")
        return self.pane.open

    def action_template(self) -> None:
        """Pick an approved template (the only thing allowed outside the 24-hour window)."""
        if (conversation := self._opened()) is not None:
            self.actions.pick_template(conversation)

    def action_toggle_resolved(self) -> None:
        """Resolve the open conversation, or reopen it if it is resolved."""
        if (conversation := self._opened()) is not None:
            resolved = conversation.status is ConversationStatus.RESOLVED
            target = ConversationStatus.OPEN if resolved else ConversationStatus.RESOLVED
            self.actions.set_status(conversation, target)

    def action_snooze(self) -> None:
        """Snooze the open conversation (the customer's next message wakes it), or wake it."""
        if (conversation := self._opened()) is not None:
            snoozed = conversation.status is ConversationStatus.SNOOZED
            target = ConversationStatus.OPEN if snoozed else ConversationStatus.SNOOZED
            self.actions.set_status(conversation, target)

    def action_transfer(self) -> None:
        """Hand the open conversation to a queue or another agent."""
        if (conversation := self._opened()) is not None:
            self.actions.transfer(conversation)

    def action_take(self) -> None:
        """Attend the open conversation yourself (supervisors)."""
        if not self._me.role.at_least(Role.SUPERVISOR):
            self.notify(_("Only supervisors take conversations"), severity="warning")
            return
        if (conversation := self._opened()) is not None:
            self.actions.take(conversation)

    def action_close(self) -> None:
        """Resolve the open conversation after a confirmation; the customer rates the agent."""
        if (conversation := self._opened()) is None:
            return
        if conversation.status is ConversationStatus.RESOLVED:
            self.notify(_("Already closed (ctrl+r reopens it)"), severity="warning")
            return
        self.actions.close(conversation)

    def action_note(self) -> None:
        """Write an internal note on the open conversation."""
        if (conversation := self._opened()) is not None:
            self.actions.write_note(conversation)

    def action_tags(self) -> None:
        """Edit the open conversation's tags."""
        if (conversation := self._opened()) is not None:
            self.actions.edit_tags(conversation)

    def action_request_phone(self) -> None:
        """Ask a customer known only by their username to share their phone number."""
        if (conversation := self._opened()) is not None:
            self.actions.request_phone(conversation)

    @property
    def _side_panel(self) -> SidePanel:
        return self.query_one(SidePanel)

    async def action_profile(self) -> None:
        """Show the customer's profile beside the thread (again: hide it)."""
        if (conversation := self._opened()) is not None:
            await show_profile(self._side_panel, self._client, conversation.contact.id, toggle=True)

    @work(exclusive=True, exit_on_error=False, group="find-contact")
    async def action_find_contact(self) -> None:
        """Find any contact (with or without a conversation) and show their profile."""
        contact_id = await self.app.push_screen_wait(ContactFinder(self._client))
        if contact_id is not None:
            await show_profile(self._side_panel, self._client, contact_id)

    def action_canned(self) -> None:
        """Pick a canned response; it goes into the draft with its variables filled."""
        if (conversation := self._opened()) is not None:
            self.actions.pick_canned(conversation)

    def action_suggest(self) -> None:
        """Show the top three replies for the open conversation above the draft."""
        if (conversation := self._opened()) is not None:
            self.actions.load_suggestions(conversation.id)

    def action_insert_suggestion(self, number: int) -> None:
        """Insert the ``number``-th suggestion shown into the draft."""
        composer = self.query_one(Composer)
        if not composer.suggestions:
            self.notify(_("No suggestions shown: ctrl+space shows them"), severity="warning")
            return
        if number <= len(composer.suggestions):
            self.pane.insert(composer.suggestions[number - 1].text)

    # What the actions produced

    @on(Composer.SuggestionPicked)
    def _suggestion_picked(self, event: Composer.SuggestionPicked) -> None:
        self.action_insert_suggestion(event.number)

    @on(ConversationActions.SuggestionsFound)
    def _suggestions_found(self, event: ConversationActions.SuggestionsFound) -> None:
        opened = self.pane.open
        if opened is not None and opened.id == event.conversation_id:
            self.query_one(Composer).show_suggestions(event.suggestions, event.intent)

    @on(Composer.ShortcutTyped)
    def _shortcut_typed(self, event: Composer.ShortcutTyped) -> None:
        if (conversation := self.pane.open) is not None:
            self.actions.find_shortcuts(conversation, event.prefix)

    @on(ConversationActions.ShortcutsFound)
    def _shortcuts_found(self, event: ConversationActions.ShortcutsFound) -> None:
        self.query_one(Composer).show_shortcuts(event.prefix, event.matches)

    @on(ConversationActions.TextChosen)
    def _text_chosen(self, event: ConversationActions.TextChosen) -> None:
        self.pane.insert(event.text)

    @on(ConversationActions.TemplateChosen)
    def _template_chosen(self, event: ConversationActions.TemplateChosen) -> None:
        self.pane.send_template(event.conversation_id, event.content)

    @on(ConversationActions.MessageAccepted)
    async def _accepted(self, event: ConversationActions.MessageAccepted) -> None:
        await self.pane.accepted(event.message)

    @on(ConversationActions.NoteWritten)
    async def _note_written(self, event: ConversationActions.NoteWritten) -> None:
        # The NoteAdded event brings it too (and the counter); whichever comes first shows it.
        opened = self.pane.open
        if opened is not None and event.note.conversation_id == opened.id:
            await self.pane.thread.add_note(event.note)

    @on(ThreadView.DownloadRequested)
    def _download_requested(self, event: ThreadView.DownloadRequested) -> None:
        self.actions.download(event.message)

    # Live events

    async def on_event_received(self, message: EventReceived) -> None:
        if not self.query(ConversationPane):
            # Composing or being torn down: the screen reads what it shows when it mounts, and
            # an event handled now would raise NoMatches (seen once in the suite under load).
            return
        event = message.envelope.event
        match event:
            case MessageReceived() | MessageSent() | ConversationUpdated() | NoteAdded():
                self._conversation_changed(event.conversation)
            case QueueItemChanged() if self.pane.open is not None:
                # Distribution assigns without a conversation event: re-read the open one, so
                # the header and the close dialog know who attends it.
                if event.item.conversation_id == self.pane.open.id:
                    self.pane.refresh_open()
            case UserChanged():
                self._names[event.user_id] = event.name
            case _:
                pass
        customer_wrote = await self.pane.apply(event, current=self.is_current)
        # Shown suggestions follow what the customer just said.
        opened = self.pane.open
        if customer_wrote and opened is not None and self.query_one(Composer).suggestions:
            self.actions.load_suggestions(opened.id)

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self.sidebar.load()
        self.pane.reload()

    def on_resize(self, event: events.Resize) -> None:
        # Only while a profile is shown, so the screen's styles never change otherwise.
        if self.has_class(PROFILE_SHOWN):
            place_profile(self)

    def on_screen_resume(self) -> None:
        opened = self.pane.open
        if opened is not None:
            self.app.post_message(ConversationOpened(opened.id))
            if opened.unread_count:
                self.pane.mark_read()

    def on_screen_suspend(self) -> None:
        self.app.post_message(ConversationOpened(None))
