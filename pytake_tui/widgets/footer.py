"""Textual's footer with each key's description in the reader's language, redrawn only when
what it shows changes.

Bindings are merged when a class is defined (Textual copies them then), so a description is
the English msgid for good; it is translated here, where it is drawn, each time the footer
recomposes (a focus change, or the app's language change).

Textual recomposes the footer at every change of the screen's bindings, which a focus change
is, even when the keys it shows stay the same (tabbing through a form's inputs): every key is
mounted and styled again. It was the largest single cost of the console's tests (a seventh of
their time, py-spy) and is the same CPU at each tab in a terminal used all day.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from pytake_tui.i18n import _


class Footer(TextualFooter):
    """The footer, translated."""

    _shown: object = None
    """What the last composition showed (see :meth:`_showing`)."""

    def _showing(self) -> object:
        """Everything the footer draws from the screen's bindings, in the reader's language."""
        keys = tuple(
            (binding.key, _(binding.description), binding.action, binding.group, enabled, tooltip)
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return keys, self.compact, self.show_command_palette

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen and self._shown == self._showing():
            return  # the same keys, enabled alike: nothing to redraw
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self._shown = self._showing() if self._bindings_ready else None
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                if not widget.has_class("-command-palette"):  # the one key not bound
                    # A key starts compact (its default) and the footer's binding makes it
                    # not: two restyles of every key at every composition, a twelfth of the
                    # console tests' CPU. Started as the footer is, the binding changes nothing.
                    widget.set_reactive(FooterKey.compact, self.compact)
                    widget.set_class(self.compact, "-compact", update=False)
                widget.description = _(widget.description) if widget.description else ""
                if isinstance(widget.tooltip, str) and widget.tooltip:
                    widget.tooltip = _(widget.tooltip)
            yield widget
