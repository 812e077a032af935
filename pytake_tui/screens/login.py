"""Log in: server, e-mail, password and (rarely) tenant; or join with an invitation code."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Static

from pytake_tui.client import DaemonClient, DaemonError, normalize_server
from pytake_tui.i18n import N_, _
from pytake_tui.messages import LoggedIn
from pytake_tui.screens.invitation import InvitationScreen
from pytake_tui.screens.splash import TypedAhead
from pytake_tui.widgets.footer import Footer

ClientForServer = Callable[[str], DaemonClient]


class LoginScreen(Screen[None]):
    """The form; a successful login posts :class:`LoggedIn` for the app to act on."""

    CSS_PATH = "login.tcss"
    AUTO_FOCUS = "#email"
    BINDINGS = [
        Binding("ctrl+n", "invitation", N_("I have an invitation code")),
        # Priority: the app moves the focus as it reads the Tab. A plain binding runs only
        # once the Tab has bubbled up from the focused input, and the keys read meanwhile
        # (a fast typist's password, or e-mail⇥password pasted) went to the e-mail field
        # (tests/e2e/test_terminal.py types them in one burst).
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
    ]

    class Failed(Message):
        """The daemon refused the login or could not be reached."""

        def __init__(self, error: DaemonError) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        *,
        server: str,
        client_for: ClientForServer,
        email: str = "",
        typed: TypedAhead | None = None,
    ) -> None:
        super().__init__()
        self._server = server
        self._email = email
        self._client_for = client_for
        self._typed = typed

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="login-form"):
            yield Static(_("Log in to PyTake"), id="login-title")
            yield Input(self._server, id="server", placeholder="http://host:8420")
            yield Input(self._email, id="email", placeholder=_("you@example.com"))
            yield Input(id="password", password=True, placeholder=_("password"))
            yield Input(id="tenant", placeholder=_("only if your e-mail is in several tenants"))
            yield Button(_("Log in"), id="login", variant="primary")
            yield Static(
                Content.from_markup(
                    "[@click=screen.invitation]$text[/] (ctrl+n)",
                    text=_("I have an invitation code"),
                ),
                id="have-invitation",
            )
            yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        titles = {
            "server": _("Server"),
            "email": _("E-mail"),
            "password": _("Password"),
            "tenant": _("Tenant"),
        }
        for input_id, title in titles.items():
            self.query_one(f"#{input_id}", Input).border_title = title
        typed = self._typed.take() if self._typed is not None else []
        if typed:
            # Typed before the form showed: from the e-mail on, as the typist expected.
            email = self.query_one("#email", Input)
            email.value = ""
            self.set_focus(email)
            self._replay(typed)
        elif self._email:
            self.query_one("#password", Input).focus()

    def _replay(self, keys: list[tuple[str, str | None]]) -> None:
        for key, character in keys:
            match key:
                case "tab":
                    self.focus_next()
                case "shift+tab":
                    self.focus_previous()
                case "enter":
                    self.action_submit()
                case "backspace" if isinstance(self.focused, Input):
                    self.focused.action_delete_left()
                case _ if character and isinstance(self.focused, Input):
                    self.focused.insert_text_at_cursor(character)
                case _:
                    pass

    def action_invitation(self, code: str = "") -> None:
        """The invitation form over this one, for the server typed here."""
        server = self.query_one("#server", Input).value
        self.app.push_screen(
            InvitationScreen(server=server, client_for=self._client_for, code=code)
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#login")
    def action_submit(self) -> None:
        """Validate the form locally, then log in in a worker."""
        values = {i.id: i.value for i in self.query(Input) if i.id is not None}
        try:
            server = normalize_server(values["server"])
        except ValueError as error:
            self._show_error(DaemonError(None, _("Check the server URL"), str(error)))
            return
        self.query_one("#login", Button).disabled = True
        self._set_status(_("Logging in to {server}…").format(server=server))
        self._log_in(server, values["email"], values["password"], values["tenant"].strip())

    @work(exclusive=True, exit_on_error=False)
    async def _log_in(self, server: str, email: str, password: str, tenant: str) -> None:
        client = self._client_for(server)
        try:
            response = await client.login(email, password, tenant or None)
        except DaemonError as error:
            self.post_message(self.Failed(error))
            return
        self.post_message(LoggedIn(client, response))

    def on_login_screen_failed(self, message: Failed) -> None:
        self._show_error(message.error)
        if message.error.unauthorized:
            password = self.query_one("#password", Input)
            password.clear()
            password.focus()

    def _show_error(self, error: DaemonError) -> None:
        self.notify(error.message, title=_("Login failed"), severity="error")
        self._set_status(error.message, error=True)
        self.query_one("#login", Button).disabled = False

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.set_class(error, "-error")
        status.update(Content(text))
