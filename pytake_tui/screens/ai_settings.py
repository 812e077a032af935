"""Admin → AI analysis: the tenant's AI settings form on a page of its own (the same form as
Settings → Admin)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header

from pytake_tui.client import DaemonClient
from pytake_tui.i18n import N_
from pytake_tui.widgets.ai_settings import AiSettingsForm
from pytake_tui.widgets.footer import Footer


class AiSettingsScreen(Screen[None]):
    """The form scrolls: it is longer than 24 rows."""

    CSS_PATH = "ai_settings.tcss"
    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back"))]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self._client = client

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="ai-page"):
            yield AiSettingsForm(self._client, id="ai-settings")
        yield Footer()
