"""The chat's left side: the search box, the filter chips and the conversation list.

It owns the list's state (:class:`~pytake_tui.inbox.Inbox`, the filters, the search debounce)
and its REST reads; the screen hands it the conversations the stream brings and hears back
:class:`ConversationChosen` when the agent opens one (enter on a row, or enter in the search).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList

from pytake_daemon.protocol import ConversationOut
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _
from pytake_tui.inbox import Inbox, ListFilters
from pytake_tui.messages import report_failure
from pytake_tui.widgets.conversation_list import ConversationList
from pytake_tui.widgets.filter_bar import FilterBar

SEARCH_DEBOUNCE_SECONDS = 0.3


class ConversationSidebar(Vertical):
    """Search, filters and the list; ``/`` (on the screen) focuses the search."""

    class ConversationChosen(Message):
        """The agent picked a conversation to open."""

        def __init__(self, conversation_id: uuid.UUID) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class ListLoaded(Message):
        def __init__(self, conversations: list[ConversationOut]) -> None:
            super().__init__()
            self.conversations = conversations

    def __init__(
        self,
        *,
        client: DaemonClient,
        me: uuid.UUID,
        clock: Callable[[], datetime],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._client = client
        self._me = me
        self._clock = clock
        self.inbox = Inbox(me)
        self.filters = ListFilters()
        self.open_id: uuid.UUID | None = None
        """The conversation shown on the right: kept in the list whatever the filters say."""
        self._open: ConversationOut | None = None
        self._search_timer: Timer | None = None
        self._render_pending = False
        self._open_after_load = False

    def compose(self) -> ComposeResult:
        yield Input(id="search", placeholder=_("/ search name, phone, text"))
        yield FilterBar(self.filters, id="filters")
        yield ConversationList(id="conversations")

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def focus_list(self) -> None:
        self.query_one(ConversationList).focus()

    @work(exclusive=True, exit_on_error=False, group="list")
    async def load(self) -> None:
        """Read the list again for the current filters (on open, filter change, resync)."""
        try:
            page = await self._client.conversations(self.filters.query(self._clock()))
        except DaemonError as error:
            report_failure(self, error, _("Could not load the conversations"))
            return
        self.post_message(self.ListLoaded(page.items))

    @on(ListLoaded)
    def _list_loaded(self, message: ListLoaded) -> None:
        message.stop()
        self.inbox.replace_all(message.conversations)
        if self._open is not None:
            self.inbox.upsert(self._open)
            self.inbox.seen(self._open.id)
        self._show_rows()
        if self._open_after_load:
            self._open_after_load = False
            self._choose_highlighted()

    def opened(self, conversation: ConversationOut) -> None:
        """The right side shows ``conversation`` now: keep it listed, its news seen."""
        self._open = conversation
        self.open_id = conversation.id
        self.inbox.upsert(conversation)
        self.inbox.seen(conversation.id)
        self._schedule_render()

    def conversation_changed(self, conversation: ConversationOut) -> None:
        """A newer state from the stream or an action: update, add or drop its row in place."""
        listed = conversation.id in self.inbox
        if self.filters.admits(conversation, self._me, self._clock()) or (
            listed and self.filters.searching
        ):
            self.inbox.upsert(conversation)
        elif listed and self.open_id != conversation.id:
            self.inbox.remove(conversation.id)
        if conversation.id == self.open_id:
            self.inbox.seen(conversation.id)
        self._schedule_render()

    def _schedule_render(self) -> None:
        # Events can come in bursts: rebuild the list once per frame, not once per event.
        if not self._render_pending:
            self._render_pending = True
            self.call_after_refresh(self._show_rows)

    def _show_rows(self) -> None:
        self._render_pending = False
        self.query_one(ConversationList).show(
            self.inbox.ordered(), self._me, self._clock(), self.inbox.fresh
        )

    @on(ConversationList.ResortRequested)
    def _resort(self, event: ConversationList.ResortRequested) -> None:
        event.stop()
        self.inbox.resort()
        self._show_rows()

    @on(OptionList.OptionSelected, "#conversations")
    def _row_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.ConversationChosen(uuid.UUID(event.option.id)))

    @on(ConversationList.FilterCycled)
    @on(FilterBar.FilterCycled)
    def _cycle_filter(self, event: ConversationList.FilterCycled | FilterBar.FilterCycled) -> None:
        event.stop()
        cycle = {
            "status": self.filters.next_status,
            "agent": self.filters.next_agent,
            "period": self.filters.next_period,
        }
        self._set_filters(cycle[event.which]())

    def _set_filters(self, filters: ListFilters) -> None:
        self.filters = filters
        self.query_one(FilterBar).filters = filters
        self.load()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE_SECONDS, self._apply_search)

    def _apply_search(self) -> bool:
        """Search for the box's text now; True when that starts a new read of the list."""
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        text = self.query_one("#search", Input).value
        if text.strip() == self.filters.search.strip():
            return False
        self._set_filters(replace(self.filters, search=text))
        return True

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        # Enter in the search opens the highlighted match; when the box holds a search not
        # read yet, the match is known only once that read is in.
        event.stop()
        self.focus_list()
        if self._apply_search():
            self._open_after_load = True
        else:
            self._choose_highlighted()

    def _choose_highlighted(self) -> None:
        chosen = self.query_one(ConversationList).highlighted_id
        if chosen is not None:
            self.post_message(self.ConversationChosen(chosen))
