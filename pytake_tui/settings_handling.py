"""The app's part in the Settings screen: theme and preferences saved at once, the password
change (a worker, a toast, the form told it worked) and logging out.

A base class of :class:`~pytake_tui.app.PyTakeApp` so app.py keeps to the session's wiring.
"""

from __future__ import annotations

from textual import work
from textual.app import App
from textual.screen import Screen

from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _
from pytake_tui.messages import LoggedOut
from pytake_tui.preferences import Preferences, PreferenceStore
from pytake_tui.screens import SettingsScreen


class PreferencesAndPassword(App[None]):
    """Handles what the Settings screen asks of the app."""

    preferences: Preferences
    preference_store: PreferenceStore
    client: DaemonClient | None
    _destinations: dict[str, Screen[None]]

    def on_settings_screen_password_change_requested(
        self, message: SettingsScreen.PasswordChangeRequested
    ) -> None:
        if self.client is not None:
            self._change_password(self.client, message.current, message.new)

    @work(exclusive=True, exit_on_error=False, group="password")
    async def _change_password(self, client: DaemonClient, current: str, new: str) -> None:
        try:
            await client.change_password(current, new)
        except DaemonError as error:
            self.notify(error.message, title=_("Password not changed"), severity="error")
            return
        self.notify(_("Password changed; your other sessions were logged out."))
        settings = self._destinations.get("settings")
        if isinstance(settings, SettingsScreen):
            settings.password_changed()

    def on_settings_screen_preferences_changed(
        self, message: SettingsScreen.PreferencesChanged
    ) -> None:
        self._apply_preferences(message.preferences)

    def action_toggle_dark(self) -> None:
        """Switch between the light and dark themes, and remember the choice."""
        theme = "textual-light" if self.preferences.theme == "textual-dark" else "textual-dark"
        self._apply_preferences(self.preferences.model_copy(update={"theme": theme}))
        settings = self._destinations.get("settings")
        if isinstance(settings, SettingsScreen):
            settings.show_preferences(self.preferences)

    def _apply_preferences(self, preferences: Preferences) -> None:
        self.preferences = preferences
        self.theme = preferences.theme
        try:
            self.preference_store.save(preferences)
        except OSError as error:
            self.notify(
                f"{self.preference_store.path}: {error.strerror}",
                title=_("Could not save the settings"),
                severity="warning",
            )

    def action_logout(self) -> None:
        """Log out on the daemon, then forget the saved token."""
        if self.client is not None:
            self._log_out(self.client)

    @work(exclusive=True, exit_on_error=False, group="logout")
    async def _log_out(self, client: DaemonClient) -> None:
        try:
            await client.logout()
        except DaemonError as error:
            warning = _("logged out here only: {reason}").format(reason=error.message)
            self.post_message(LoggedOut(warning=warning))
            return
        self.post_message(LoggedOut())

    def on_settings_screen_logout_requested(self) -> None:
        self.action_logout()
