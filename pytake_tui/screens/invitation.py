"""Join with an invitation code: choose a password and land in the console, logged in."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Static

from pytake_daemon.protocol.invitations import CODE_PREFIX, PASSWORD_MIN_LENGTH
from pytake_tui.client import DaemonClient, DaemonError, normalize_server
from pytake_tui.i18n import N_, _
from pytake_tui.messages import LoggedIn
from pytake_tui.widgets.footer import Footer

ClientForServer = Callable[[str], DaemonClient]

_TITLES = {
    "server": N_("Server"),
    "code": N_("Invitation code"),
    "name": N_("Your name"),
    "password": N_("New password"),
    "repeat": N_("New password again"),
}


class InvitationScreen(Screen[None]):
    """The invitation form, over the login screen (escape goes back to it); a successful join
    posts :class:`LoggedIn`, so the app opens the session exactly as after a login."""

    CSS_PATH = "invitation.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back to log in")),
        # As on the login screen: the focus moves as the Tab is read, so a fast typist's (or a
        # password manager's) next field never lands in the previous one.
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
    ]

    class Failed(Message):
        """The daemon refused the code or the password, or could not be reached."""

        def __init__(self, error: DaemonError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, server: str, client_for: ClientForServer, code: str = "") -> None:
        super().__init__()
        self._server = server
        self._code = code
        self._client_for = client_for

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="invitation-form"):
            yield Input(self._server, id="server", placeholder="http://host:8420")
            yield Input(
                self._code,
                id="code",
                placeholder=_("{CODE_PREFIX}… from your e-mail").format(CODE_PREFIX=CODE_PREFIX),
            )
            yield Input(id="name", placeholder=_("as your team will see it (optional)"))
            yield Input(
                id="password",
                password=True,
                placeholder=_("at least {PASSWORD_MIN_LENGTH} characters").format(
                    PASSWORD_MIN_LENGTH=PASSWORD_MIN_LENGTH
                ),
            )
            yield Input(id="repeat", password=True, placeholder=_("the same again"))
            with Horizontal(id="invitation-buttons"):
                yield Button(_("Join"), id="join", variant="primary")
                yield Button(_("Back to log in"), id="back")
            yield Static(id="invitation-status")
        yield Footer()

    def on_mount(self) -> None:
        # The title on the border: at 80x24 every line of the form is needed.
        self.query_one("#invitation-form").border_title = _("Join PyTake with an invitation")
        for input_id, title in _TITLES.items():
            self.query_one(f"#{input_id}", Input).border_title = _(title)
        # With the code already given (``pytake tui --invite CODE``), start at the name.
        self.query_one("#name" if self._code else "#code", Input).focus()

    def action_back(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.dismiss()

    @on(Input.Submitted)
    @on(Button.Pressed, "#join")
    def action_submit(self) -> None:
        """Check the form here (the daemon checks again), then join in a worker."""
        values = {i.id: i.value for i in self.query(Input) if i.id is not None}
        try:
            server = normalize_server(values["server"])
        except ValueError as error:
            self._refuse("server", str(error))
            return
        if not values["code"].strip():
            self._refuse("code", _("Paste the invitation code from your e-mail"))
            return
        if len(values["password"]) < PASSWORD_MIN_LENGTH:
            self._refuse(
                "password",
                _("The password needs at least {count} characters").format(
                    count=PASSWORD_MIN_LENGTH
                ),
            )
            return
        if values["repeat"] != values["password"]:
            self._refuse("repeat", _("The two passwords are not the same"))
            return
        self.query_one("#join", Button).disabled = True
        self._set_status(_("Joining on {server}…").format(server=server))
        self._join(server, values["code"], values["password"], values["name"].strip())

    @work(exclusive=True, exit_on_error=False)
    async def _join(self, server: str, code: str, password: str, name: str) -> None:
        client = self._client_for(server)
        try:
            response = await client.accept_invitation(code, password, name or None)
        except DaemonError as error:
            self.post_message(self.Failed(error))
            return
        self.post_message(LoggedIn(client, response))

    def on_invitation_screen_failed(self, message: Failed) -> None:
        error = message.error
        self.notify(error.message, title=_("Could not join"), severity="error")
        self._set_status(error.message, error=True)
        self.query_one("#join", Button).disabled = False
        # A code that is unknown, used, expired or revoked: the code field is what to change.
        field = "code" if error.status in (400, 404, 409, 410) else "password"
        self.query_one(f"#{field}", Input).focus()

    def _refuse(self, field: str, text: str) -> None:
        self._set_status(text, error=True)
        self.query_one(f"#{field}", Input).focus()

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#invitation-status", Static)
        status.set_class(error, "-error")
        status.update(Content(text))
