"""Admin → Users: the tenant's accounts with their live sessions and API tokens.

``i`` invites a person (the daemon's invitations: the code is e-mailed or shown once), ``r``
changes the highlighted user's role, ``p`` sends them a password-reset code (an invitation that
sets their password: no admin ever types one), ``d`` disables or re-enables them (asked first:
disabling ends every session they have), and on the sessions table ``x`` ends one session or
token. Every change is the daemon's ``PATCH /users/{id}``, ``POST /invitations[/password-resets]``
or ``DELETE /tokens/{id}``, with its rules and its audit entry.
Another admin's change (a ``user_changed`` or ``token_revoked`` event) shows by itself
(``admin_live.py``).
"""

from __future__ import annotations

import asyncio
import uuid

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from pytake_daemon.protocol import Me, Role, TokenOut, UserOut, UserUpdate
from pytake_daemon.protocol.events import TokenRevoked, UserChanged
from pytake_daemon.protocol.invitations import InvitationSent
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, local_moment, pgettext
from pytake_tui.messages import report_failure
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.screens.admin_live import LivePage
from pytake_tui.screens.admin_user_dialogs import CodeDialog, InviteDialog, RoleDialog
from pytake_tui.vocabulary import role_name, token_name
from pytake_tui.widgets.footer import Footer

_NO_SESSIONS = N_("No live session or token.")


def _token_kind(kind: str) -> str:
    return pgettext("token", "session") if kind == "session" else pgettext("token", "api")


def _when(token: TokenOut) -> str:
    used = token.last_used_at or token.created_at
    return local_moment(used)


class AdminUsersScreen(LivePage):
    """Users above, the highlighted user's sessions and tokens below."""

    CSS_PATH = "admin_users.tcss"
    LIVE_EVENTS = (
        UserChanged,
        TokenRevoked,
    )
    BINDINGS = [
        Binding("i", "invite", N_("Invite")),
        Binding("r", "role", N_("Role")),
        Binding("p", "reset_password", N_("Reset password")),
        Binding("d", "toggle_disabled", N_("Disable/enable")),
        Binding("x", "end_session", N_("End session")),
        Binding("ctrl+r", "reload", N_("Refresh")),
        Binding("escape", "app.pop_screen", N_("Back")),
    ]

    def __init__(self, *, client: DaemonClient, me: Me) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self.users: list[UserOut] = []
        self.tokens: list[TokenOut] = []
        self.loads = 0
        """How many times a fresh list was shown (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="users-page"):
            yield DataTable(id="users", cursor_type="row", zebra_stripes=True)
            yield Static(_("Sessions and API tokens"), id="sessions-title")
            yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        users = self.query_one("#users", DataTable)
        users.add_column(_("name"), key="name", width=22)
        users.add_column(_("e-mail"), key="email", width=26)
        users.add_column(_("role"), key="role", width=13)
        users.add_column(_("state"), key="state", width=8)
        sessions = self.query_one("#sessions", DataTable)
        sessions.add_column(_("kind"), key="kind", width=8)
        sessions.add_column(_("name"), key="name", width=24)
        sessions.add_column(_("last used"), key="used", width=16)
        sessions.add_column(_("expires"), key="expires", width=16)
        self.action_reload()

    @property
    def highlighted(self) -> UserOut | None:
        row = self.query_one("#users", DataTable).cursor_row
        return self.users[row] if 0 <= row < len(self.users) else None

    def _user_tokens(self) -> list[TokenOut]:
        user = self.highlighted
        return [t for t in self.tokens if user is not None and t.user_id == user.id]

    @work(exclusive=True, exit_on_error=False, group="admin-users")
    async def action_reload(self) -> None:
        try:
            users, tokens = await asyncio.gather(self._client.users(), self._client.tokens())
        except DaemonError as error:
            report_failure(self, error, _("Could not load the users"))
            return
        self.show(users.items, tokens.items)

    def show(self, users: list[UserOut], tokens: list[TokenOut]) -> None:
        """Show the lists, keeping the cursor on the same user."""
        table = self.query_one("#users", DataTable)
        keep = self.highlighted.id if self.highlighted is not None else None
        self.users = sorted(users, key=lambda u: (u.disabled, -u.role.rank, u.name.lower()))
        self.tokens = tokens
        table.clear()
        for user in self.users:
            state = pgettext("user", "disabled") if user.disabled else pgettext("user", "active")
            table.add_row(user.name, user.email, role_name(user.role), state, key=str(user.id))
        ids = [u.id for u in self.users]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        self._show_sessions()
        self.loads += 1

    @on(DataTable.RowHighlighted, "#users")
    def _highlighted(self) -> None:
        self._show_sessions()

    def _show_sessions(self) -> None:
        table = self.query_one("#sessions", DataTable)
        table.clear()
        mine = self._user_tokens()
        for token in mine:
            table.add_row(
                _token_kind(token.kind),
                token_name(token.name),
                _when(token),
                local_moment(token.expires_at),
                key=str(token.id),
            )
        user = self.highlighted
        if user is None:
            title = _("Sessions and API tokens")
        else:
            title = _("Sessions and API tokens of {name}").format(name=user.name)
            if not mine:
                title = f"{title} · {_(_NO_SESSIONS)}"
        self.query_one("#sessions-title", Static).update(title)

    # Actions

    def action_invite(self) -> None:
        def invited(sent: InvitationSent | None) -> None:
            if sent is None:
                return
            if sent.emailed:
                self.notify(_("Invitation e-mailed to {email}").format(email=sent.invitation.email))
            else:
                self.app.push_screen(CodeDialog(sent))

        self.app.push_screen(InviteDialog(self._client, self._me.role), invited)

    def action_role(self) -> None:
        user = self.highlighted
        if user is None:
            return

        def chosen(role: Role | None) -> None:
            if role is not None and role is not user.role:
                self._change(
                    user,
                    UserUpdate(role=role),
                    _("{name} is now {role}").format(name=user.name, role=role_name(role)),
                )

        self.app.push_screen(RoleDialog(user, self._me.role), chosen)

    def action_reset_password(self) -> None:
        user = self.highlighted
        if user is None:
            return

        confirm_then(
            self,
            _("Send {name} a password-reset code?").format(name=user.name),
            _(
                "With it they choose a new password (pytake tui --invite CODE); their sessions end "
                "then. The code is e-mailed when SMTP is set up, else shown once here."
            ),
            _("Send"),
            lambda: self._send_reset(user),
        )

    @work(exit_on_error=False, group="admin-users-change")
    async def _send_reset(self, user: UserOut) -> None:
        try:
            sent = await self._client.reset_password(user.id)
        except DaemonError as error:
            report_failure(self, error, _("No reset sent"))
            return
        if sent.emailed:
            self.notify(_("Password-reset code e-mailed to {email}").format(email=user.email))
        else:
            self.app.push_screen(CodeDialog(sent))

    def action_toggle_disabled(self) -> None:
        user = self.highlighted
        if user is None:
            return
        if user.disabled:
            self._change(
                user,
                UserUpdate(disabled=False),
                _("{name} can log in again").format(name=user.name),
            )
            return
        if user.id == self._me.user_id:
            self.notify(_("You can't disable yourself."), severity="warning")
            return

        confirm_then(
            self,
            _("Disable {name} ({email})?").format(name=user.name, email=user.email),
            _("They can't log in, and every session and API token they have ends now."),
            _("Disable"),
            lambda: self._change(
                user, UserUpdate(disabled=True), _("{name} is disabled").format(name=user.name)
            ),
        )

    def action_end_session(self) -> None:
        table = self.query_one("#sessions", DataTable)
        mine = self._user_tokens()
        if not 0 <= table.cursor_row < len(mine):
            self.notify(_("Pick a session in the lower table first (tab)."), severity="warning")
            return
        token = mine[table.cursor_row]
        if token.id == self._me.token_id:
            self.notify(_("This is your own session: log out instead."), severity="warning")
            return

        question = (
            _("End the session “{name}”?")
            if token.kind == "session"
            else _("End the API token “{name}”?")
        )
        confirm_then(
            self,
            question.format(name=token_name(token.name)),
            _("Whoever uses it is logged out, or its scripts are refused, at once."),
            _("End it"),
            lambda: self._revoke(token.id, token.name),
        )

    @work(exit_on_error=False, group="admin-users-change")
    async def _change(self, user: UserOut, change: UserUpdate, done: str) -> None:
        try:
            await self._client.change_user(user.id, change)
        except DaemonError as error:
            report_failure(self, error, _("Not changed"))
            return
        self.notify(done)
        self.action_reload()

    @work(exit_on_error=False, group="admin-users-change")
    async def _revoke(self, token_id: uuid.UUID, name: str) -> None:
        try:
            await self._client.revoke_token(token_id)
        except DaemonError as error:
            report_failure(self, error, _("Not ended"))
            return
        self.notify(_("“{name}” ended").format(name=name))
        self.action_reload()
