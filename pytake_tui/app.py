"""The Textual app: session lifecycle, the event-stream worker and the connection state.

:func:`build_app` builds it for ``pytake tui`` and for the snapshot tests alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import aclosing, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from textual import work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from pytake_daemon.protocol import ConversationUpdated, Me, MessageReceived, MessageSent, Role
from pytake_tui.client import DEFAULT_SERVER, DaemonClient, DaemonError, normalize_server
from pytake_tui.connection import OFFLINE, ConnectionStatus
from pytake_tui.console_language import ConsoleLanguage
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.destinations import DESTINATIONS, SETTINGS_KEY
from pytake_tui.i18n import N_, _
from pytake_tui.key_guide import ICON_LEGEND, help_keys, open_palette, palette_commands
from pytake_tui.messages import (
    ConnectionStateChanged,
    ConversationOpened,
    EventReceived,
    LoggedIn,
    LoggedOut,
    MessageQueued,
    ResumeFailed,
    ResyncNeeded,
    SessionExpired,
    SessionResumed,
)
from pytake_tui.navigation import Destination, SessionContext
from pytake_tui.notifications import Notifier
from pytake_tui.onboarding_offer import OnboardingOffer
from pytake_tui.preferences import PreferenceStore
from pytake_tui.screens import (
    HelpScreen,
    LoginScreen,
    SettingsScreen,
    SplashScreen,
)
from pytake_tui.screens.invitation import InvitationScreen
from pytake_tui.screens.splash import TypedAhead
from pytake_tui.settings_handling import PreferencesAndPassword
from pytake_tui.stream_messages import stream_messages
from pytake_tui.toasts import ToastStack
from pytake_tui.unread_title import UnreadTitle

ClientFactory = Callable[[str], DaemonClient]
"""Builds the client for a server URL; tests pass fakes or a fast reconnect policy."""
Clock = Callable[[], datetime]

_EVENTS = "events"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PyTakeApp(PreferencesAndPassword, ConsoleLanguage, UnreadTitle, ToastStack, OnboardingOffer):
    """PyTake's terminal client."""

    TITLE = "PyTake"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+t", "toggle_dark", N_("Theme")),
        Binding("question_mark", "help", N_("Help"), key_display="?"),
        Binding("q", "quit", N_("Quit")),
    ]

    connection: reactive[ConnectionStatus] = reactive(OFFLINE)
    """The event stream's state; the header's sub-title shows its label."""

    def __init__(
        self,
        *,
        server: str,
        credentials: CredentialStore,
        client_factory: ClientFactory,
        preferences: PreferenceStore,
        clock: Clock = _utc_now,
        downloads: Path,
        theme: str | None = None,
        invite: str | None = None,
        language: str | None = None,
    ) -> None:
        super().__init__()
        self.language_option = language
        """``--lang``/``PYTAKE_LANG``: below the profile's language, above the tenant's."""
        self._invite = invite
        """``pytake tui --invite CODE``: start on the invitation form with the code."""
        self.server = server
        self.credentials = credentials
        self.client: DaemonClient | None = None
        """The signed-in session's client, None while logged out."""
        self.me: Me | None = None
        self.preference_store = preferences
        self.preferences = preferences.load()
        if theme is not None:
            self.preferences = self.preferences.model_copy(update={"theme": theme})
        self.clock = clock
        self.downloads = downloads
        self.notifier: Notifier | None = None
        self._client_factory = client_factory
        self._clients: dict[str, DaemonClient] = {}
        self._destinations: dict[str, Screen[None]] = {}
        self._typed = TypedAhead()
        """Keys typed while a saved session is checked, for the login form if it ended."""

    def watch_connection(self, status: ConnectionStatus) -> None:
        self.sub_title = status.label

    def client_for(self, server: str) -> DaemonClient:
        """One client per server URL, reused across logins and closed when the app exits."""
        if server not in self._clients:
            self._clients[server] = self._client_factory(server)
        return self._clients[server]

    # Startup and session lifecycle

    def on_mount(self) -> None:
        self.theme = self.preferences.theme
        self.apply_language()
        for d in DESTINATIONS:
            self.bind(d.key, f"go('{d.name}')", description=d.title, show=d.footer)
        self.bind(SETTINGS_KEY, "go('settings')", description=N_("Settings"))
        saved = self.credentials.load(self.server)
        if self._invite is not None:
            # An invitation says who is joining now, whatever session was saved before.
            self.push_screen(self._login_screen())
            self.push_screen(
                InvitationScreen(server=self.server, client_for=self.client_for, code=self._invite)
            )
        elif saved is None:
            self.push_screen(self._login_screen())
        else:
            self.push_screen(SplashScreen(self.server, self._typed))
            self._resume(saved)

    @work(exclusive=True, exit_on_error=False, group="session")
    async def _resume(self, saved: SavedSession) -> None:
        client = self.client_for(saved.server)
        client.token = saved.token
        try:
            me = await client.me()
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired(_("your saved session has ended")))
            else:
                self.post_message(ResumeFailed(error.message))
            return
        self.post_message(SessionResumed(client, me))

    async def on_logged_in(self, message: LoggedIn) -> None:
        client, response = message.client, message.response
        self.server = client.server
        saved = SavedSession(
            server=client.server,
            token=response.token,
            expires_at=response.expires_at,
            email=response.me.email,
        )
        try:
            self.credentials.save(saved)
        except OSError as error:
            self.notify(
                f"{self.credentials.path}: {error.strerror}",
                title=_("Could not save the session"),
                severity="warning",
            )
        await self._start_session(client, response.me)

    async def on_session_resumed(self, message: SessionResumed) -> None:
        await self._start_session(message.client, message.me)

    async def on_resume_failed(self, message: ResumeFailed) -> None:
        self.notify(message.message, title=_("Could not resume the session"), severity="error")
        await self._show(self._login_screen())

    async def on_session_expired(self, message: SessionExpired) -> None:
        if isinstance(self.screen, LoginScreen):
            return  # a late refusal of a session already closed
        login = self._login_screen()  # before forgetting, so the e-mail stays in the form
        self.credentials.forget(self.server)
        await self._end_session(login)
        self.notify(
            _("{reason}; please log in again").format(reason=message.reason), severity="warning"
        )

    async def on_logged_out(self, message: LoggedOut) -> None:
        self.credentials.forget(self.server)
        await self._end_session(self._login_screen())
        if message.warning:
            self.notify(message.warning, severity="warning")
        else:
            self.notify(_("Logged out"))

    async def _start_session(self, client: DaemonClient, me: Me) -> None:
        self.client, self.me = client, me
        self.apply_language()
        self.notifier = Notifier()
        # Activity is mounted first so its log starts with the session, not with its first visit.
        await self.action_go("activity")
        await self.action_go(DESTINATIONS[0].name)
        self.offer_onboarding(client, me)
        self._follow_events(client)
        self._count_unread()
        self._count_bell()

    async def _end_session(self, login: LoginScreen) -> None:
        self.workers.cancel_group(self, _EVENTS)
        if self.client is not None:
            self.client.token = None
        self.client = self.me = self.notifier = None
        self.apply_language()
        # The session's screens go first: a title change reaching a header that is being
        # removed fails inside Textual.
        await self._show(login)
        self.connection = OFFLINE
        self._show_unread(0)

    def _login_screen(self) -> LoginScreen:
        return LoginScreen(
            server=self.server,
            email=self.credentials.email_hint(self.server),
            client_for=self.client_for,
            typed=self._typed,
        )

    async def _show(self, screen: Screen[None] | str) -> None:
        # Close modals (help, palette) first, so the replaced screen is the one under them.
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(screen)
        if self.client is None:
            # Logged out: the destinations belonged to that session. Uninstalling alone would
            # leave them mounted (Textual removes only screens it switches away from).
            destinations, self._destinations = self._destinations, {}
            for name, destination in destinations.items():
                self.uninstall_screen(name)
                await destination.remove()

    # Navigation

    def destination(self, name: str) -> Destination | None:
        if name == "settings":
            return Destination("settings", N_("Settings"), SETTINGS_KEY, Role.AGENT, self._settings)
        return next((d for d in DESTINATIONS if d.name == name), None)

    def _settings(self, context: SessionContext) -> Screen[None]:
        return SettingsScreen(
            me=context.me,
            server=self.server,
            preferences=self.preferences,
            client=context.client,
            session=context,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go":
            destination = self.destination(str(parameters[0]))
            return destination is not None and destination.allowed(self.me)
        return True

    async def action_go(self, name: str) -> None:
        """Show a destination's screen, built once per session and kept while away from it."""
        destination = self.destination(name)
        if destination is None or self.client is None or not destination.allowed(self.me):
            return
        if name not in self._destinations:
            assert self.me is not None
            context = SessionContext(self.client, self.me, self.clock, self.downloads)
            self._destinations[name] = destination.build(context)
            self.install_screen(self._destinations[name], name)
        if self.screen is not self._destinations[name]:
            await self._show(name)

    # The event stream

    @work(exclusive=True, exit_on_error=False, group=_EVENTS)
    async def _follow_events(self, client: DaemonClient) -> None:
        async with aclosing(client.events()) as stream:
            async for item in stream:
                for message in stream_messages(item):
                    self.post_message(message)

    def on_connection_state_changed(self, message: ConnectionStateChanged) -> None:
        if self.client is not None:  # not a late message from a stream already cancelled
            self.connection = message.status

    def _session_screens(self) -> list[Screen[Any]]:
        """The screens that follow the stream: those on the stack and the kept destinations."""
        screens = list(self.screen_stack)
        screens += [s for s in self._destinations.values() if s not in screens and s.is_attached]
        return screens

    def on_event_received(self, message: EventReceived) -> None:
        for screen in self._session_screens():
            screen.post_message(EventReceived(message.envelope))
        if self.notifier is not None:
            for toast in self.notifier.toasts(message.envelope, self.preferences):
                self.notify(toast.message, title=toast.title, severity=toast.severity)
                if toast.bell:
                    self.bell()
        self._follow_notifications(message.envelope.event)
        if isinstance(message.envelope.event, MessageReceived | MessageSent | ConversationUpdated):
            self._schedule_unread_count()

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        for screen in self._session_screens():
            screen.post_message(ResyncNeeded(message.reason))
        self._schedule_unread_count()
        self._count_bell()

    def on_conversation_opened(self, message: ConversationOpened) -> None:
        if self.notifier is not None:
            self.notifier.open_conversation = message.conversation_id
            self._schedule_unread_count()  # opening marks it read

    def on_message_queued(self, message: MessageQueued) -> None:
        if self.notifier is not None:
            self.notifier.sent_here(message.message.id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            # A bug, not a network failure (those are handled where they happen): say so in
            # one line instead of tearing the app down.
            self.notify(f"{event.worker.name}: {event.worker.error}", severity="error")
            if event.worker.group == _EVENTS:
                self.connection = OFFLINE

    async def on_unmount(self) -> None:
        # Let the stream close its WebSocket before the loop goes away.
        for worker in self.workers.cancel_group(self, _EVENTS):
            with suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        for client in self._clients.values():
            await client.aclose()

    # Actions

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from palette_commands(self, screen, super().get_system_commands(screen))

    def action_command_palette(self) -> None:
        open_palette(self)

    def action_help(self) -> None:
        """Show the keys of the current screen and the icons the console draws."""
        self.push_screen(HelpScreen(help_keys(self, self.screen), legend=ICON_LEGEND))


def build_app(
    *,
    server: str | None,
    credentials_path: Path | None = None,
    client_factory: ClientFactory = DaemonClient,
    theme: str | None = None,
    clock: Clock = _utc_now,
    preferences_path: Path | None = None,
    downloads_dir: Path | None = None,
    invite: str | None = None,
    language: str | None = None,
) -> PyTakeApp:
    """The app for ``server`` (default: the last one logged in to, else the local daemon).

    Does no I/O beyond reading the credentials and preferences files; the CLI calls
    ``build_app(...).run()``. Tests pin ``clock`` and keep the files in a temporary directory
    (the preferences default to the credentials' directory). Raises ``ValueError`` for a server
    that is not an http(s) URL. ``invite`` opens the invitation form with that code.
    ``language`` (``--lang``, else ``PYTAKE_LANG``) ranks below the user's profile language.
    """
    credentials = CredentialStore(credentials_path)
    chosen = normalize_server(server or credentials.last_server() or DEFAULT_SERVER)
    if preferences_path is None:
        preferences_path = credentials.path.with_name("preferences.json")
    downloads = downloads_dir or Path(platformdirs.user_downloads_dir()) / "pytake"
    return PyTakeApp(
        server=chosen,
        credentials=credentials,
        client_factory=client_factory,
        preferences=PreferenceStore(preferences_path),
        clock=clock,
        downloads=downloads,
        theme=theme,
        invite=invite,
        language=language or os.environ.get("PYTAKE_LANG"),
    )
