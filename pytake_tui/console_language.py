"""The console's language: which one (profile, --lang/PYTAKE_LANG, tenant, system locale) and
the switch from Settings → Profile, applied without a restart.

A base class of :class:`~pytake_tui.app.PyTakeApp` so app.py keeps to the session's wiring.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

from pytake_daemon.protocol import Me
from pytake_daemon.protocol.auth import UserLanguage
from pytake_i18n import choose, set_language
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _
from pytake_tui.navigation import SessionContext
from pytake_tui.screens import SettingsScreen
from pytake_tui.screenshot_words import ScreenshotWords

if TYPE_CHECKING:
    from pytake_tui.connection import ConnectionStatus
    from pytake_tui.navigation import Destination

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "pt_BR": "Português (Brasil)"}
"""Each language by its own name, as language pickers show them (never translated)."""


def console_language(me: Me | None, option: str | None) -> str:
    """The user's profile language, else --lang/PYTAKE_LANG, else the tenant's, else the system's.

    Before login only the option and the system locale are known (the login form).
    """
    if me is None:
        return choose(option)
    return choose(me.language, option, me.tenant_language)


class ConsoleLanguage(ScreenshotWords):
    """Sets the process language from the session and follows the profile's changes (and says
    Textual's screenshot notice in it: ``ScreenshotWords``)."""

    client: DaemonClient | None
    me: Me | None
    language_option: str | None
    clock: Callable[[], datetime]
    downloads: Path
    _destinations: dict[str, Screen[None]]

    if TYPE_CHECKING:
        connection: ConnectionStatus

        def destination(self, name: str) -> Destination | None: ...

        def show_title(self) -> None: ...

    def apply_language(self) -> str:
        """Set the language in force for this session (or the login form); returns it."""
        language = console_language(self.me, self.language_option)
        set_language(language)
        return language

    def on_settings_screen_language_changed(self, message: SettingsScreen.LanguageChanged) -> None:
        if self.client is not None:
            self._save_language(self.client, message.language)

    @work(exclusive=True, exit_on_error=False, group="language")
    async def _save_language(self, client: DaemonClient, language: UserLanguage | None) -> None:
        try:
            me = await client.set_language(language)
        except DaemonError as error:
            self.notify(error.message, title=_("Language not changed"), severity="error")
            return
        self.me = me
        now = self.apply_language()
        await self.rebuild_screens()
        self.notify(_("The console is now in {language}.").format(language=LANGUAGE_NAMES[now]))

    async def rebuild_screens(self) -> None:
        """Build the session's screens again, in the language now in force.

        Their text is set as they compose (titles, columns, bindings' footers), so the screen
        shown is replaced by a fresh one and the kept ones are dropped, to be built again when
        visited; their data is fetched again as on a first visit.
        """
        shown = next((n for n, s in self._destinations.items() if s is self.screen), None)
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        old, self._destinations = self._destinations, {}
        destination = self.destination(shown) if shown is not None else None
        fresh: Screen[None] | None = None
        if destination is not None and self.client is not None and self.me is not None:
            fresh = destination.build(
                SessionContext(self.client, self.me, self.clock, self.downloads)
            )
            await self.switch_screen(fresh)  # the old one leaves the stack, to be removed
        for name, screen in old.items():
            self.uninstall_screen(name)
            await screen.remove()
        if fresh is not None and shown is not None:
            self._destinations[shown] = fresh
            self.install_screen(fresh, shown)
        self.sub_title = self.connection.label
        self.show_title()  # the header's and the terminal's, now, not at the next event
        self.refresh_bindings()
