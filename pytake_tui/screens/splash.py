"""Shown for the moment it takes to check a saved session."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class SplashScreen(Screen[None]):
    """``Resuming your session on <server>…``."""

    CSS_PATH = "splash.tcss"

    def __init__(self, server: str) -> None:
        super().__init__()
        self._server = server

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(f"Resuming your session on {self._server}…"), id="splash")
        yield Footer()
