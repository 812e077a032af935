"""Admin → API tokens: the tenant's live API tokens (name, owner, scopes, created, last used,
expiry), ``n`` to create one acting as you (scopes chosen; the secret shown once, to copy),
``x`` to revoke the highlighted one (asked first). Login sessions are on Users."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from pytake_daemon.protocol import TokenCreate, TokenOut
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, local_day, local_moment
from pytake_tui.messages import report_failure
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.screens.api_token_dialogs import NewTokenDialog, TokenSecretDialog
from pytake_tui.widgets.footer import Footer

EMPTY = N_("No API tokens: n creates one (scripts and integrations call the API with it).")


def _when(at: datetime | None) -> str:
    return local_moment(at) if at is not None else _("never")


def _day(at: datetime) -> str:
    return local_day(at)


class ApiTokensScreen(Screen[None]):
    """Newest first, as the daemon lists them; only API tokens (sessions are people)."""

    CSS_PATH = "api_tokens.tcss"
    BINDINGS = [
        Binding("n", "create", N_("New token")),
        Binding("x,delete", "revoke", N_("Revoke")),
        # ctrl+r, as on every admin page: f5 is the Dashboard from anywhere.
        Binding("ctrl+r", "reload", N_("Refresh")),
        Binding("escape", "app.pop_screen", N_("Back")),
    ]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self._client = client
        self.tokens: list[TokenOut] = []
        self.owners: dict[uuid.UUID, str] = {}
        self.loads = 0
        """How many times a fresh list was shown (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="api-tokens-page"):
            yield DataTable(id="api-tokens", cursor_type="row", zebra_stripes=True)
            yield Static("", id="api-tokens-empty")
            yield Static(
                _(
                    "A token may do what its owner's role allows and its scopes grant; each is "
                    "rate limited on its own."
                ),
                id="api-tokens-hint",
            )
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#api-tokens", DataTable)
        for label, key, width in (
            (_("name"), "name", 18),
            (_("owner"), "owner", 14),
            (_("scopes"), "scopes", 30),
            (_("last used"), "used", 16),
            (_("created"), "created", 10),
            (_("expires"), "expires", 10),
        ):
            table.add_column(label, key=key, width=width)
        self.action_reload()

    @property
    def highlighted(self) -> TokenOut | None:
        row = self.query_one("#api-tokens", DataTable).cursor_row
        return self.tokens[row] if 0 <= row < len(self.tokens) else None

    @work(exclusive=True, exit_on_error=False, group="api-tokens")
    async def action_reload(self) -> None:
        try:
            listed, users = await asyncio.gather(self._client.tokens(), self._client.users())
        except DaemonError as error:
            report_failure(self, error, _("Could not load the API tokens"))
            return
        self.owners = {u.id: u.name for u in users.items}
        self.show([t for t in listed.items if t.kind == "api"])

    def show(self, tokens: list[TokenOut]) -> None:
        """Show the tokens as listed, the cursor where it was."""
        table = self.query_one("#api-tokens", DataTable)
        row = table.cursor_row
        self.tokens = tokens
        table.clear()
        for t in tokens:
            table.add_row(
                t.name,
                self.owners.get(t.user_id, str(t.user_id)[:8]),
                ", ".join(s.value for s in t.scopes or ()),
                _when(t.last_used_at),
                _day(t.created_at),
                _day(t.expires_at),
                key=str(t.id),
            )
        if tokens:
            table.move_cursor(row=min(row, len(tokens) - 1))
        self.query_one("#api-tokens-empty", Static).update("" if tokens else _(EMPTY))
        self.loads += 1

    def action_create(self) -> None:
        def answered(request: TokenCreate | None) -> None:
            if request is not None:
                self._create(request)

        self.app.push_screen(NewTokenDialog(), answered)

    @work(exit_on_error=False, group="api-tokens-change")
    async def _create(self, request: TokenCreate) -> None:
        try:
            created = await self._client.create_token(request)
        except DaemonError as error:
            report_failure(self, error, _("Not created"))
            return
        await self.app.push_screen(TokenSecretDialog(created))
        self.action_reload()

    def action_revoke(self) -> None:
        token = self.highlighted
        if token is None:
            return

        confirm_then(
            self,
            _("Revoke the API token “{name}”?").format(name=token.name),
            _("Scripts using it get 401 from now on; this can't be undone."),
            _("Revoke"),
            lambda: self._revoke(token),
        )

    @work(exit_on_error=False, group="api-tokens-change")
    async def _revoke(self, token: TokenOut) -> None:
        try:
            await self._client.revoke_token(token.id)
        except DaemonError as error:
            report_failure(self, error, _("Not revoked"))
            return
        self.notify(_("The API token “{name}” is revoked").format(name=token.name))
        self.action_reload()
