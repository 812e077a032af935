"""The queue monitor's keys (their descriptions are msgids, translated where they are shown)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from pytake_tui.i18n import N_

QUEUE_MONITOR_BINDINGS: list[BindingType] = [
    Binding("a", "assign", N_("Assign")),
    Binding("t", "transfer", N_("Transfer")),
    Binding("m", "take", N_("Take (mine)")),
    Binding("p", "priority", N_("Priority")),
    Binding("o", "open", N_("Open")),
    Binding("f", "filter", N_("Filter")),
    Binding("1", "show('waiting')", N_("Waiting column"), show=False),
    Binding("2", "show('active')", N_("In progress column"), show=False),
    Binding("3", "show('history')", N_("History column"), show=False),
]
