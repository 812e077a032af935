"""The Textual app: session lifecycle, the event-stream worker and the connection state.

:func:`build_app` builds it for ``pytake tui`` and for the snapshot tests alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import aclosing, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from pytake_daemon.protocol import (
    ConversationUpdated,
    Me,
    MessageReceived,
    MessageSent,
    Role,
)
from pytake_tui.client import DEFAULT_SERVER, DaemonClient, DaemonError, normalize_server
from pytake_tui.connection import OFFLINE, ConnectionStatus, LinkState
from pytake_tui.credentials import CredentialStore, SavedSession
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
from pytake_tui.preferences import Preferences, PreferenceStore
from pytake_tui.screens import (
    ChatScreen,
    HelpScreen,
    HomeScreen,
    LoginScreen,
    SettingsScreen,
    SplashScreen,
)
from pytake_tui.screens.audit import build_audit
from pytake_tui.screens.backups import build_backups
from pytake_tui.screens.canned_replies import build_canned_replies
from pytake_tui.screens.dashboard import build_dashboard
from pytake_tui.screens.flows import flows_destination
from pytake_tui.screens.insights import build_insights
from pytake_tui.screens.queue_monitor import queue_monitor
from pytake_tui.stream import (
    Connected,
    Connecting,
    Disconnected,
    Polling,
    Received,
    Rejected,
    Resync,
    StreamEvent,
)

ClientFactory = Callable[[str], DaemonClient]
"""Builds the client for a server URL; tests pass fakes or a fast reconnect policy."""
Clock = Callable[[], datetime]

_EVENTS = "events"
_UNREAD_DEBOUNCE_SECONDS = 0.5


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _chat(context: SessionContext) -> Screen[None]:
    return ChatScreen(
        client=context.client, me=context.me, clock=context.clock, downloads=context.downloads
    )


def _activity(context: SessionContext) -> Screen[None]:
    return HomeScreen(client=context.client, me=context.me)


DESTINATIONS: list[Destination] = [
    Destination("chat", "Chat", "f2", Role.AGENT, _chat, "Conversations and the open thread"),
    Destination("activity", "Activity", "f3", Role.AGENT, _activity, "Who you are, live events"),
    Destination("queues", "Queues", "f4", Role.SUPERVISOR, queue_monitor, "Live queue monitor"),
    Destination(
        "dashboard", "Dashboard", "f5", Role.AGENT, build_dashboard, "Figures, goals, timeline"
    ),
    Destination(
        "insights", "Insights", "f6", Role.SUPERVISOR, build_insights, "Sentiment, intents, alerts"
    ),
    Destination("audit", "Audit", "f7", Role.ADMIN, build_audit, "Audit log, alerts, changes"),
    Destination(
        "backups", "Backups", "f8", Role.SUPERVISOR, build_backups, "Backup health, list, verify"
    ),
    Destination(
        "flows", "Flows", "f9", Role.SUPERVISOR, flows_destination, "Automation flows: edit, test"
    ),
    Destination(
        "replies",
        "Replies",
        "f12",
        Role.AGENT,
        build_canned_replies,
        "Canned responses: add, edit, share, remove",
    ),
]
"""Screens reachable from anywhere, in key order; features append theirs (settings is last)."""
SETTINGS_KEY = "f10"


def stream_messages(item: StreamEvent) -> list[Message]:
    """What the app posts for one item of :meth:`DaemonClient.events`."""
    match item:
        case Connecting():
            return [ConnectionStateChanged(ConnectionStatus(LinkState.CONNECTING))]
        case Connected(hello):
            return [
                ConnectionStateChanged(ConnectionStatus(LinkState.CONNECTED)),
                EventReceived(hello),
            ]
        case Received(envelope):
            return [EventReceived(envelope)]
        case Resync(reason):
            return [ResyncNeeded(reason)]
        case Disconnected(reason, retry_in):
            status = ConnectionStatus(LinkState.DISCONNECTED, retry_in=retry_in, reason=reason)
            return [ConnectionStateChanged(status)]
        case Polling(reason):
            return [ConnectionStateChanged(ConnectionStatus(LinkState.POLLING, reason=reason))]
        case Rejected(reason):
            return [SessionExpired(reason)]


class PyTakeApp(App[None]):
    """PyTake's terminal client."""

    TITLE = "PyTake"
    BINDINGS = [
        Binding("ctrl+t", "toggle_dark", "Theme"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
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
    ) -> None:
        super().__init__()
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
        self._unread_timer: Timer | None = None

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
        for destination in DESTINATIONS:
            self.bind(destination.key, f"go('{destination.name}')", description=destination.title)
        self.bind(SETTINGS_KEY, "go('settings')", description="Settings")
        saved = self.credentials.load(self.server)
        if saved is None:
            self.push_screen(self._login_screen())
        else:
            self.push_screen(SplashScreen(self.server))
            self._resume(saved)

    @work(exclusive=True, exit_on_error=False, group="session")
    async def _resume(self, saved: SavedSession) -> None:
        client = self.client_for(saved.server)
        client.token = saved.token
        try:
            me = await client.me()
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired("your saved session has ended"))
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
                title="Could not save the session",
                severity="warning",
            )
        await self._start_session(client, response.me)

    async def on_session_resumed(self, message: SessionResumed) -> None:
        await self._start_session(message.client, message.me)

    async def on_resume_failed(self, message: ResumeFailed) -> None:
        self.notify(message.message, title="Could not resume the session", severity="error")
        await self._show(self._login_screen())

    async def on_session_expired(self, message: SessionExpired) -> None:
        if isinstance(self.screen, LoginScreen):
            return  # a late refusal of a session already closed
        login = self._login_screen()  # before forgetting, so the e-mail stays in the form
        self.credentials.forget(self.server)
        await self._end_session(login)
        self.notify(f"{message.reason}; please log in again", severity="warning")

    async def on_logged_out(self, message: LoggedOut) -> None:
        self.credentials.forget(self.server)
        await self._end_session(self._login_screen())
        if message.warning:
            self.notify(message.warning, severity="warning")
        else:
            self.notify("Logged out")

    async def _start_session(self, client: DaemonClient, me: Me) -> None:
        self.client, self.me = client, me
        self.notifier = Notifier(me.user_id)
        # Activity is mounted first so its log starts with the session, not with its first visit.
        await self.action_go("activity")
        await self.action_go(DESTINATIONS[0].name)
        self._follow_events(client)
        self._count_unread()

    async def _end_session(self, login: LoginScreen) -> None:
        self.workers.cancel_group(self, _EVENTS)
        if self.client is not None:
            self.client.token = None
        self.client = self.me = self.notifier = None
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

    def _destination(self, name: str) -> Destination | None:
        if name == "settings":
            return Destination("settings", "Settings", SETTINGS_KEY, Role.AGENT, self._settings)
        return next((d for d in DESTINATIONS if d.name == name), None)

    def _settings(self, context: SessionContext) -> Screen[None]:
        return SettingsScreen(
            me=context.me, server=self.server, preferences=self.preferences, client=context.client
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go":
            destination = self._destination(str(parameters[0]))
            return destination is not None and destination.allowed(self.me)
        return True

    async def action_go(self, name: str) -> None:
        """Show a destination's screen, built once per session and kept while away from it."""
        destination = self._destination(name)
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
        if isinstance(message.envelope.event, MessageReceived | MessageSent | ConversationUpdated):
            self._schedule_unread_count()

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        for screen in self._session_screens():
            screen.post_message(ResyncNeeded(message.reason))
        self._schedule_unread_count()

    def on_conversation_opened(self, message: ConversationOpened) -> None:
        if self.notifier is not None:
            self.notifier.open_conversation = message.conversation_id
            self._schedule_unread_count()  # opening marks it read

    def on_message_queued(self, message: MessageQueued) -> None:
        if self.notifier is not None:
            self.notifier.sent_here(message.message.id)

    # Unread count in the title

    def _schedule_unread_count(self) -> None:
        # A burst of events costs one stats request, not one each.
        if self._unread_timer is None:
            self._unread_timer = self.set_timer(_UNREAD_DEBOUNCE_SECONDS, self._count_unread)

    @work(exclusive=True, exit_on_error=False, group="unread")
    async def _count_unread(self) -> None:
        self._unread_timer = None
        client = self.client
        if client is None:
            return
        try:
            stats = await client.conversation_stats()
        except DaemonError:
            return  # the title keeps the last count; the stream's state says what is wrong
        if client is self.client:
            self._show_unread(stats.unread_messages)

    def _show_unread(self, unread: int) -> None:
        title = f"PyTake ({unread})" if unread else "PyTake"
        self.title = title
        if not self.is_headless and self._driver is not None:
            # OSC 2 sets the terminal's window/tab title (Textual only draws its own header).
            self._driver.write(f"\x1b]2;{title}\x07")

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
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Show the keys of this screen", self.action_help)
        yield SystemCommand(
            "Toggle theme", "Switch between light and dark", self.action_toggle_dark
        )
        if self.client is None:
            return
        for destination in [*DESTINATIONS, self._destination("settings")]:
            if destination is not None and destination.allowed(self.me):
                name = destination.name
                yield SystemCommand(
                    f"Go to {destination.title} ({destination.key})",
                    destination.description or destination.title,
                    lambda name=name: self.run_action(f"go('{name}')"),
                )
        # Every binding of the current screen and its focused widget, so the palette is complete.
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.description and active.enabled and active.node is not self:
                node, action = active.node, binding.action
                yield SystemCommand(
                    binding.description,
                    f"key: {self.get_key_display(binding)}",
                    lambda node=node, action=action: self.run_action(action, node),
                )
        yield SystemCommand("Log out", "End the session on this machine", self.action_logout)

    def action_logout(self) -> None:
        """Log out on the daemon, then forget the saved token."""
        if self.client is not None:
            self._log_out(self.client)

    @work(exclusive=True, exit_on_error=False, group="logout")
    async def _log_out(self, client: DaemonClient) -> None:
        try:
            await client.logout()
        except DaemonError as error:
            self.post_message(LoggedOut(warning=f"logged out here only: {error.message}"))
            return
        self.post_message(LoggedOut())

    def on_settings_screen_logout_requested(self) -> None:
        self.action_logout()

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
            self.notify(error.message, title="Password not changed", severity="error")
            return
        self.notify("Password changed; your other sessions were logged out.")
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
                title="Could not save the settings",
                severity="warning",
            )

    def action_help(self) -> None:
        """Show the keys of the current screen: ours, and Textual's that the footer shows."""
        keys: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            description = binding.description
            if not description or description.lower() in seen or key == "ctrl+p":
                continue
            if binding.show or key in _own_keys(active.node):
                seen.add(description.lower())
                keys.append((self.get_key_display(binding), description))
        keys.append((self.COMMAND_PALETTE_BINDING, "Command palette"))
        self.push_screen(HelpScreen(keys))


def _own_keys(node: object) -> set[str]:
    """Keys bound by PyTake's own classes in ``node``'s hierarchy (not Textual's scrolling)."""
    keys: set[str] = set()
    for cls in type(node).__mro__:
        if cls.__module__.startswith("pytake_tui"):
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    keys.update(k.strip() for k in binding.key.split(","))
    return keys


def build_app(
    *,
    server: str | None,
    credentials_path: Path | None = None,
    client_factory: ClientFactory = DaemonClient,
    theme: str | None = None,
    clock: Clock = _utc_now,
    preferences_path: Path | None = None,
    downloads_dir: Path | None = None,
) -> PyTakeApp:
    """The app for ``server`` (default: the last one logged in to, else the local daemon).

    Does no I/O beyond reading the credentials and preferences files; the CLI calls
    ``build_app(...).run()``. Tests pin ``clock`` and keep the files in a temporary directory
    (the preferences default to the credentials' directory). Raises ``ValueError`` for a server
    that is not an http(s) URL.
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
    )
