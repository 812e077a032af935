"""The Textual app: session lifecycle, the event-stream worker and the connection state.

:func:`build_app` builds it for ``pytake tui`` and for the snapshot tests alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import aclosing, suppress
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from pytake_daemon.protocol import Me
from pytake_tui.client import DEFAULT_SERVER, DaemonClient, DaemonError, normalize_server
from pytake_tui.connection import OFFLINE, ConnectionStatus, LinkState
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.messages import (
    ConnectionStateChanged,
    EventReceived,
    LoggedIn,
    LoggedOut,
    ResumeFailed,
    ResyncNeeded,
    SessionExpired,
    SessionResumed,
)
from pytake_tui.screens import HelpScreen, HomeScreen, LoginScreen, SplashScreen
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

_EVENTS = "events"


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
        theme: str = "textual-dark",
    ) -> None:
        super().__init__()
        self.server = server
        self.credentials = credentials
        self.client: DaemonClient | None = None
        """The signed-in session's client, None while logged out."""
        self.me: Me | None = None
        self._client_factory = client_factory
        self._clients: dict[str, DaemonClient] = {}
        self._initial_theme = theme

    def watch_connection(self, status: ConnectionStatus) -> None:
        self.sub_title = status.label

    def client_for(self, server: str) -> DaemonClient:
        """One client per server URL, reused across logins and closed when the app exits."""
        if server not in self._clients:
            self._clients[server] = self._client_factory(server)
        return self._clients[server]

    # Startup and session lifecycle

    def on_mount(self) -> None:
        self.theme = self._initial_theme
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
        self._end_session()
        self.notify(f"{message.reason}; please log in again", severity="warning")
        await self._show(login)

    async def on_logged_out(self, message: LoggedOut) -> None:
        self.credentials.forget(self.server)
        self._end_session()
        if message.warning:
            self.notify(message.warning, severity="warning")
        else:
            self.notify("Logged out")
        await self._show(self._login_screen())

    async def _start_session(self, client: DaemonClient, me: Me) -> None:
        self.client, self.me = client, me
        await self._show(HomeScreen(client=client, me=me))
        self._follow_events(client)

    def _end_session(self) -> None:
        self.workers.cancel_group(self, _EVENTS)
        if self.client is not None:
            self.client.token = None
        self.client = self.me = None
        self.connection = OFFLINE

    def _login_screen(self) -> LoginScreen:
        return LoginScreen(
            server=self.server,
            email=self.credentials.email_hint(self.server),
            client_for=self.client_for,
        )

    async def _show(self, screen: Screen[None]) -> None:
        # Close modals (help, palette) first, so the replaced screen is the one under them.
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(screen)

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

    def on_event_received(self, message: EventReceived) -> None:
        for screen in self.screen_stack:
            screen.post_message(EventReceived(message.envelope))

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        for screen in self.screen_stack:
            screen.post_message(ResyncNeeded(message.reason))

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
        if isinstance(screen, HomeScreen):
            yield SystemCommand("Log out", "End the session on this machine", screen.action_logout)

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        keys = [
            (self.get_key_display(active.binding), active.binding.description)
            for active in self.screen.active_bindings.values()
            if active.binding.description
        ]
        keys.append((self.COMMAND_PALETTE_BINDING, "Command palette"))
        self.push_screen(HelpScreen(keys))


def build_app(
    *,
    server: str | None,
    credentials_path: Path | None = None,
    client_factory: ClientFactory = DaemonClient,
    theme: str = "textual-dark",
) -> PyTakeApp:
    """The app for ``server`` (default: the last one logged in to, else the local daemon).

    Does no I/O beyond reading the credentials file; the CLI calls ``build_app(...).run()``.
    Raises ``ValueError`` for a server that is not an http(s) URL.
    """
    credentials = CredentialStore(credentials_path)
    chosen = normalize_server(server or credentials.last_server() or DEFAULT_SERVER)
    return PyTakeApp(
        server=chosen, credentials=credentials, client_factory=client_factory, theme=theme
    )
