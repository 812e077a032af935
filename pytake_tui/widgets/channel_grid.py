"""A table of switches: one row per notification category, one column per channel (console,
desktop, e-mail, sound); space or enter flips the switch under the cursor.

Forty checkboxes would be forty tab stops; a grid is walked with the arrows.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from pytake_daemon.protocol.notifications import ChannelSwitches, NotificationCategory
from pytake_tui.i18n import N_, _
from pytake_tui.notification_form import CHANNELS
from pytake_tui.vocabulary import notification_category


def _switch(on: bool) -> Text:
    return Text(_("✓ on"), style="bold green") if on else Text(_("· off"), style="dim")


class ChannelGrid(DataTable[Text]):
    """The switches of every category; :attr:`switches` is what the form saves."""

    BINDINGS = [Binding("space", "flip", N_("Switch on/off"))]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="cell", zebra_stripes=True)
        self.switches: dict[NotificationCategory, ChannelSwitches] = {}

    def on_mount(self) -> None:
        self.add_column(_("category"), key="category")
        for name, title in CHANNELS:
            self.add_column(_(title), key=name)

    def load(self, switches: dict[NotificationCategory, ChannelSwitches]) -> None:
        """Show ``switches`` (every category, in the wire's order)."""
        self.switches = dict(switches)
        cursor = self.cursor_coordinate
        self.clear()
        for category in NotificationCategory:
            chosen = self.switches.get(category, ChannelSwitches())
            cells = [_switch(getattr(chosen, name)) for name, _title in CHANNELS]
            self.add_row(
                Text(notification_category(category).replace("_", " ")), *cells, key=category.value
            )
        # On a switch, not on the category's name (which flips nothing).
        self.cursor_coordinate = cursor if cursor.column else cursor._replace(column=1)

    def action_flip(self) -> None:
        """Flip the switch under the cursor (the category column flips nothing)."""
        row, column = self.cursor_coordinate
        if not 1 <= column <= len(CHANNELS) or not 0 <= row < len(NotificationCategory):
            return
        category = list(NotificationCategory)[row]
        name = CHANNELS[column - 1][0]
        chosen = self.switches.get(category, ChannelSwitches())
        flipped = chosen.model_copy(update={name: not getattr(chosen, name)})
        self.switches[category] = flipped
        self.update_cell(category.value, name, _switch(getattr(flipped, name)))

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self.action_flip()
