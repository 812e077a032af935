"""The dashboard's keys (their descriptions are msgids, translated where they are shown)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from pytake_tui.dashboard_view import STATUS_BINDINGS, STATUS_KEYS
from pytake_tui.i18n import N_

DASHBOARD_BINDINGS: list[BindingType] = [
    *(
        Binding(key, f"status('{status.value}')", STATUS_BINDINGS[status], show=False)
        for status, key in STATUS_KEYS.items()
    ),
    Binding("1", "tab('overview')", N_("Overview"), show=False),
    Binding("2", "tab('charts')", N_("Charts"), show=False),
    Binding("3", "tab('timeline')", N_("Timeline"), show=False),
    Binding("m", "more", N_("Older entries"), show=False),
    Binding("r", "reload", N_("Reload")),
    Binding("g", "pick_agent", N_("Agent")),
    Binding("e", "edit_goals", N_("Goals")),
]
