"""A footer that shows every key of the current screen, on as many rows as the width needs.

Textual's footer is one row that scrolls sideways, so at 80 columns the chat's own keys and the
destinations past ``f5`` were cut off. This one wraps the same keys (each ``key label`` kept
whole) onto up to :data:`MAX_ROWS` rows, and leaves out the keys the screen says do nothing yet
(:class:`FooterFilter`), such as the actions on a conversation before one is open.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from pytake_tui.i18n import _

MAX_ROWS = 3


@runtime_checkable
class FooterFilter(Protocol):
    """A screen that hides some of its keys from the footer for now."""

    def footer_hides(self, action: str) -> bool: ...


def wrap_keys(items: list[tuple[str, str]], width: int, max_rows: int = MAX_ROWS) -> list[str]:
    """``key label`` items on rows of at most ``width`` cells, two spaces apart (whole items)."""
    rows: list[str] = []
    line = ""
    for key, label in items:
        item = f"{key} {label}".strip()
        candidate = f"{line}  {item}" if line else item
        if line and len(candidate) > width:
            rows.append(line)
            line = item
        else:
            line = candidate
    if line:
        rows.append(line)
    return rows[:max_rows]


class KeyFooter(Static):
    """The current screen's keys (its own first, then the app's), wrapped."""

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: auto;
        max-height: 3;
        padding: 0 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._show)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._show)

    def on_resize(self, event: events.Resize) -> None:
        self._show()

    def items(self) -> list[tuple[str, str]]:
        """``(key, label)`` of each key shown, in the screen's order, the palette last."""
        screen = self.screen
        hides = screen.footer_hides if isinstance(screen, FooterFilter) else None
        palette = self.app.COMMAND_PALETTE_BINDING
        items: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.show or binding.action in seen or key == palette:
                continue
            if hides is not None and hides(binding.action):
                continue
            seen.add(binding.action)
            # Descriptions are English msgids (Textual copies bindings at class creation).
            items.append((self.app.get_key_display(binding), _(binding.description)))
        if self.app.ENABLE_COMMAND_PALETTE and palette in screen.active_bindings:
            items.append(
                (self.app.get_key_display(screen.active_bindings[palette].binding), _("palette"))
            )
        return items

    def _show(self) -> None:
        if not self.is_attached:
            return
        items = self.items()
        width = max(20, (self.size.width or self.app.size.width) - 2)
        styled = {f"{key} {label}".strip(): (key, label) for key, label in items}
        rows: list[Content] = []
        for text in wrap_keys(items, width):
            parts: list[Content] = []
            for chunk in text.split("  "):
                key, label = styled.get(chunk, (chunk, ""))
                parts.append(Content.assemble((key, "bold $footer-key-foreground"), f" {label}"))
            rows.append(Content("  ").join(parts))
        self.update(Content("\n").join(rows))
