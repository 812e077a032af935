"""Shown for the moment it takes to check a saved session; keys typed meanwhile are kept for
the login form, should the session turn out to have ended."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from pytake_tui.i18n import _
from pytake_tui.widgets.footer import Footer


class TypedAhead:
    """Keys typed before the login form was there (while a saved session was checked).

    A fast typist starts on the e-mail before the form shows; those keys used to be lost, the
    Tab with them, and the password then landed in the e-mail field.
    """

    FORM_KEYS = frozenset({"tab", "shift+tab", "enter", "backspace"})

    def __init__(self) -> None:
        self.keys: list[tuple[str, str | None]] = []

    def keep(self, event: events.Key) -> bool:
        """Record a key a form would take; False for the others (ctrl+q still quits)."""
        if event.key in self.FORM_KEYS or event.is_printable:
            self.keys.append((event.key, event.character))
            return True
        return False

    def take(self) -> list[tuple[str, str | None]]:
        """The keys so far, forgetting them."""
        keys, self.keys = self.keys, []
        return keys


class SplashScreen(Screen[None]):
    """``Resuming your session on <server>…``."""

    CSS_PATH = "splash.tcss"

    def __init__(self, server: str, typed: TypedAhead | None = None) -> None:
        super().__init__()
        self._server = server
        self._typed = typed

    def on_key(self, event: events.Key) -> None:
        if self._typed is not None and self._typed.keep(event):
            event.stop()

    def compose(self) -> ComposeResult:
        yield Header()
        text = _("Resuming your session on {server}…").format(server=self._server)
        yield Static(Content(text), id="splash")
        yield Footer()
