"""Settings: profile, appearance and notifications, the server connection, and (for admins)
the admin area's pages and the AI analysis form."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Header,
    Input,
    Label,
    Select,
    Static,
    Switch,
    TabbedContent,
    TabPane,
)

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.auth import UserLanguage
from pytake_i18n import format_moment
from pytake_tui.client import DaemonClient
from pytake_tui.i18n import N_, _
from pytake_tui.navigation import SessionContext
from pytake_tui.preferences import Preferences
from pytake_tui.screens.admin import ADMIN_PAGES, open_admin_page
from pytake_tui.vocabulary import role_name
from pytake_tui.widgets.admin_pages import AdminPageList
from pytake_tui.widgets.ai_settings import AiSettingsForm
from pytake_tui.widgets.connection_indicator import ConnectionIndicator
from pytake_tui.widgets.footer import Footer

MIN_PASSWORD = 10
"""The daemon's minimum (``PasswordChange.new_password``), checked here for a quicker answer."""

_SWITCHES = {
    "dark": N_("Dark theme"),
    "toast_new_messages": N_("Toast new customer messages"),
    "bell_new_messages": N_("Ring the terminal bell with them"),
    "toast_failures": N_("Toast messages that fail to send"),
}
_AUTOMATIC = "auto"
"""The language picker's "not chosen" (the profile's NULL): --lang, the tenant's, the system's."""
_LANGUAGES: list[tuple[str, UserLanguage]] = [("English", "en"), ("Português (Brasil)", "pt_BR")]


class SettingsScreen(Screen[None]):
    """Changes apply at once and are saved on this machine."""

    CSS_PATH = "settings.tcss"

    class PreferencesChanged(Message):
        """The user changed a preference; the app applies and saves it."""

        def __init__(self, preferences: Preferences) -> None:
            super().__init__()
            self.preferences = preferences

    class LanguageChanged(Message):
        """The user chose the language they read the console in (None: automatic)."""

        def __init__(self, language: UserLanguage | None) -> None:
            super().__init__()
            self.language = language

    class LogoutRequested(Message):
        """Log out (to sign in again, possibly on another server)."""

    class PasswordChangeRequested(Message):
        """Change the password; the app calls the daemon and says how it went."""

        def __init__(self, current: str, new: str) -> None:
            super().__init__()
            self.current = current
            self.new = new

    def __init__(
        self,
        *,
        me: Me,
        server: str,
        preferences: Preferences,
        client: DaemonClient | None = None,
        session: SessionContext | None = None,
    ) -> None:
        super().__init__()
        self._me = me
        self._client = client
        """For the admin pages that talk to the daemon (the AI page); None leaves them out."""
        self._session = session
        """What the admin area's pages are built with; None leaves the list out."""
        self._server = server
        self._preferences = preferences

    def compose(self) -> ComposeResult:
        me = self._me
        yield Header()
        with TabbedContent(id="settings"):
            with TabPane(_("Profile"), id="profile"):
                yield Static(self._profile_card(me), id="profile-card")
                with Horizontal(classes="switch-row"):
                    yield Label(_("Language"))
                    yield Select(
                        [(_("Automatic"), _AUTOMATIC), *_LANGUAGES],
                        value=me.language or _AUTOMATIC,
                        allow_blank=False,
                        id="language",
                    )
                yield Static(_("Change your password"), classes="section")
                yield Input(password=True, id="current-password", placeholder=_("current password"))
                yield Input(
                    password=True,
                    id="new-password",
                    placeholder=_("new password (10+ characters)"),
                )
                yield Input(
                    password=True, id="confirm-password", placeholder=_("the new password again")
                )
                yield Button(_("Change password"), id="change-password", variant="primary")
                yield Static(
                    _(
                        "Your other sessions and API tokens end; this one stays. "
                        "Your name is changed by an admin."
                    ),
                    classes="hint",
                )
            with TabPane(_("Appearance"), id="appearance"):
                for key, label in _SWITCHES.items():
                    with Horizontal(classes="switch-row"):
                        yield Switch(self._switch_value(key), id=f"pref-{key}")
                        yield Label(_(label))
            with TabPane(_("Server"), id="server"):
                server_label = _("Server").ljust(8)
                yield Static(Content.assemble((server_label, "dim"), self._server), id="server-url")
                with Horizontal(classes="switch-row"):
                    yield Label(Content.styled(_("Link").ljust(8), "dim"))
                    yield ConnectionIndicator()
                yield Static(
                    _("To use another server, log out: the login form asks for it."),
                    classes="hint",
                )
                yield Button(_("Log out"), id="logout", variant="warning")
            if me.role.at_least(Role.ADMIN):
                with TabPane(_("Admin"), id="admin"):
                    if self._session is not None:
                        yield Static(
                            _("The admin area (also ctrl+p → Admin): enter opens a page"),
                            classes="hint",
                        )
                        yield AdminPageList(ADMIN_PAGES, me, id="admin-pages")
                    if self._client is not None:
                        yield Static(_("AI analysis"), classes="section")
                        yield AiSettingsForm(self._client, id="ai-settings")
        yield Footer()

    @staticmethod
    def _profile_card(me: Me) -> Content:
        rows = [
            (_("Name"), me.name),
            (_("E-mail"), me.email),
            (_("Role"), role_name(me.role)),
            (_("Tenant"), f"{me.tenant_name} ({me.tenant_slug})"),
            (
                _("Session"),
                _("until {moment}").format(moment=format_moment(me.token_expires_at.astimezone())),
            ),
        ]
        # The labels' column is as wide as the longest label in this language.
        width = max(len(label) for label, _value in rows) + 2
        parts: list[Content | str | tuple[str, str]] = []
        for label, value in rows:
            parts += [(label.ljust(width), "dim"), value, "\n"]
        return Content.assemble(*parts[:-1])

    @on(Select.Changed, "#language")
    def _language_chosen(self, event: Select.Changed) -> None:
        chosen = next((code for _name, code in _LANGUAGES if code == event.value), None)
        if chosen != self._me.language:
            self.post_message(self.LanguageChanged(chosen))

    @on(AdminPageList.Chosen)
    async def _admin_page(self, message: AdminPageList.Chosen) -> None:
        if self._session is not None:
            await open_admin_page(self.app, message.page, self._session)

    def _switch_value(self, key: str) -> bool:
        if key == "dark":
            return self._preferences.theme == "textual-dark"
        value = getattr(self._preferences, key)
        assert isinstance(value, bool)
        return value

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        assert event.switch.id is not None
        key = event.switch.id.removeprefix("pref-")
        if key == "dark":
            theme = "textual-dark" if event.value else "textual-light"
            changed = self._preferences.model_copy(update={"theme": theme})
        else:
            changed = self._preferences.model_copy(update={key: event.value})
        if changed != self._preferences:
            self._preferences = changed
            self.post_message(self.PreferencesChanged(changed))

    def show_preferences(self, preferences: Preferences) -> None:
        """Follow a change made elsewhere (ctrl+t toggles the theme from any screen)."""
        self._preferences = preferences
        for key in _SWITCHES:
            switch = self.query_one(f"#pref-{key}", Switch)
            with switch.prevent(Switch.Changed):
                switch.value = self._switch_value(key)

    @on(Button.Pressed, "#change-password")
    def _change_password(self) -> None:
        current = self.query_one("#current-password", Input).value
        new = self.query_one("#new-password", Input).value
        again = self.query_one("#confirm-password", Input).value
        problem = None
        if not current:
            problem = _("Type your current password.")
        elif len(new) < MIN_PASSWORD:
            problem = _("The new password needs at least {count} characters.").format(
                count=MIN_PASSWORD
            )
        elif new != again:
            problem = _("The two new passwords differ.")
        if problem is not None:
            self.notify(problem, severity="warning")
            return
        self.post_message(self.PasswordChangeRequested(current, new))

    def password_changed(self) -> None:
        """Clear the form after the daemon accepted the change."""
        for field in ("#current-password", "#new-password", "#confirm-password"):
            self.query_one(field, Input).value = ""

    @on(Button.Pressed, "#logout")
    def _logout(self) -> None:
        self.post_message(self.LogoutRequested())
