"""The notification center's keys (their descriptions are msgids, translated where shown)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from pytake_tui.i18n import N_

NOTIFICATIONS_BINDINGS: list[BindingType] = [
    Binding("space", "select", N_("Select")),
    Binding("asterisk", "select_all", N_("All"), key_display="*"),
    Binding("r", "mark(True)", N_("Read")),
    Binding("u", "mark(False)", N_("Unread")),
    Binding("d", "delete", N_("Delete")),
    Binding("A", "all_read", N_("All read"), key_display="A"),
    Binding("c", "category", N_("Category")),
    Binding("o", "unread_only", N_("Unread only")),
    Binding("m", "more", N_("More"), show=False),
    Binding("p", "preferences", N_("Preferences")),
]
