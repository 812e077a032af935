"""The list's filters as three chips: the key (or a click) cycles each one."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from pytake_tui.i18n import pgettext
from pytake_tui.inbox import ListFilters
from pytake_tui.vocabulary import agent_filter, conversation_status, period_name


class FilterChip(Static):
    """``s status: open``; clicking it asks for the next value."""

    def __init__(self, which: str, key: str) -> None:
        super().__init__(id=f"chip-{which}")
        self.which = which
        self.key = key

    def show(self, value: str) -> None:
        self.update(Content.assemble((self.key, "bold underline"), f":{value}"))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(FilterBar.FilterCycled(self.which))


class FilterBar(Horizontal):
    """Status, agent and period of the conversation list."""

    filters: reactive[ListFilters] = reactive(ListFilters, init=False)

    class FilterCycled(Message):
        def __init__(self, which: str) -> None:
            super().__init__()
            self.which = which

    def __init__(self, filters: ListFilters, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(FilterBar.filters, filters)

    def compose(self) -> ComposeResult:
        yield FilterChip("status", "s")
        yield FilterChip("agent", "a")
        yield FilterChip("period", "p")

    def on_mount(self) -> None:
        self.watch_filters(self.filters)

    def watch_filters(self, filters: ListFilters) -> None:
        status = filters.status
        shown = conversation_status(status) if status is not None else pgettext("status", "all")
        self.query_one("#chip-status", FilterChip).show(shown)
        self.query_one("#chip-agent", FilterChip).show(agent_filter(filters.agent))
        self.query_one("#chip-period", FilterChip).show(period_name(filters.period))
