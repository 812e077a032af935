"""A modal listing the keys that work on the screen it was opened from, and the icons."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pytake_tui.i18n import N_, _


class HelpScreen(ModalScreen[None]):
    """Keys and what they do; any of escape, ``?`` or ``q`` closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", N_("Close"))]

    def __init__(
        self, keys: list[tuple[str, str]], legend: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__()
        self._keys = keys
        self._legend = legend or []

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(_("Keys"), id="help-title")
            table: DataTable[str] = DataTable(show_cursor=False, zebra_stripes=True)
            table.add_columns(_("key"), _("action"))
            for key, description in self._keys:
                table.add_row(key, description)
            yield table
            with Vertical(id="help-foot"):
                if self._legend:
                    # The icons in one wrapped paragraph: a second table would not fit 80x24.
                    icons = "  ".join(f"{icon} {_(meaning)}" for icon, meaning in self._legend)
                    yield Static(
                        Content.assemble((_("Icons"), "bold"), "  ", icons), id="help-legend"
                    )
                yield Static(
                    _("escape closes this · ctrl+p opens the command palette"), id="help-hint"
                )
