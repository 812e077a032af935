"""Textual's footer with each key's description in the reader's language.

Bindings are merged when a class is defined (Textual copies them then), so a description is
the English msgid for good; it is translated here, where it is drawn, each time the footer
recomposes (a focus change, or the app's language change).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from pytake_tui.i18n import _


class Footer(TextualFooter):
    """The footer, translated."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = _(widget.description) if widget.description else ""
                if isinstance(widget.tooltip, str) and widget.tooltip:
                    widget.tooltip = _(widget.tooltip)
            yield widget
