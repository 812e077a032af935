"""Admin → API tokens' dialogs: the new token's name, scopes, lifetime and rate limit (checked
here first, each error under its field), and the secret, shown once in a field to copy."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from pytake_daemon.protocol import TokenCreate, TokenCreated
from pytake_daemon.protocol.auth import Scope
from pytake_tui.i18n import N_, _, local_day
from pytake_tui.widgets.admin_form import FOCUS_KEYS

_CSS = "api_token_dialogs.tcss"
MAX_TTL_DAYS = 366

SCOPE_HINTS = {
    Scope.READ: N_("read: every GET"),
    Scope.MESSAGES_SEND: N_("messages:send: send to customers"),
    Scope.CONVERSATIONS_WRITE: N_("conversations:write: status, notes, tags, transfers"),
    Scope.FLOWS_WRITE: N_("flows:write: edit and publish flows"),
    Scope.ADMIN: N_("admin: users, settings, tokens, webhooks…"),
}


class NewTokenDialog(ModalScreen[TokenCreate | None]):
    """Dismisses the request to send, or None on escape/Cancel."""

    CSS_PATH = _CSS
    BINDINGS = [*FOCUS_KEYS, Binding("escape", "dismiss(None)", N_("Cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical(classes="token-dialog"):
            yield Static(_("New API token"), classes="dialog-title")
            yield Label(_("Name (what it is for)"))
            yield Input(
                placeholder=_("nightly export"), id="token-name", max_length=100, compact=True
            )
            yield Static("", id="token-name-error", classes="field-error")
            yield Label(_("Scopes (space toggles; the owner's role still applies)"))
            yield SelectionList[Scope](
                *(
                    Selection(_(hint), scope, scope is Scope.READ)
                    for scope, hint in SCOPE_HINTS.items()
                ),
                id="token-scopes",
                compact=True,
            )
            yield Static("", id="token-scopes-error", classes="field-error")
            with Horizontal(classes="token-numbers"):
                with Vertical():
                    yield Label(_("Days valid"))
                    yield Input("90", id="token-ttl", type="integer", compact=True)
                    yield Static("", id="token-ttl-error", classes="field-error")
                with Vertical():
                    yield Label(_("Requests/minute"))
                    yield Input(
                        placeholder=_("default"), id="token-rate", type="integer", compact=True
                    )
                    yield Static("", id="token-rate-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Create"), id="create", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#token-name", Input).focus()

    def _error(self, field: str, text: str) -> None:
        shown = self.query_one(f"#token-{field}-error", Static)
        shown.update(text)
        shown.display = bool(text)  # no blank line under a field that is fine

    def request(self) -> TokenCreate | None:
        """The form as a request, or None with each problem said under its field."""
        name = self.query_one("#token-name", Input).value.strip()
        scopes = list(self.query_one("#token-scopes", SelectionList).selected)
        ttl_text = self.query_one("#token-ttl", Input).value.strip()
        rate_text = self.query_one("#token-rate", Input).value.strip()
        errors = {
            "name": "" if name else _("Give it a name."),
            "scopes": "" if scopes else _("Choose at least one scope."),
            "ttl": ""
            if ttl_text.isdigit() and 1 <= int(ttl_text) <= MAX_TTL_DAYS
            else _("A number of days from 1 to {most}.").format(most=MAX_TTL_DAYS),
            "rate": ""
            if not rate_text or (rate_text.isdigit() and int(rate_text) >= 1)
            else _("A positive number, or empty for the default."),
        }
        for field, text in errors.items():
            self._error(field, text)
        if any(errors.values()):
            return None
        return TokenCreate(
            name=name,
            ttl_days=int(ttl_text),
            scopes=scopes,
            rate_limit_per_minute=int(rate_text) if rate_text else None,
        )

    @on(Button.Pressed, "#create")
    @on(Input.Submitted)
    def _create(self) -> None:
        request = self.request()
        if request is not None:
            self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class TokenSecretDialog(ModalScreen[None]):
    """The new token's secret, this once (the daemon keeps only its hash)."""

    CSS_PATH = _CSS
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Close"))]

    def __init__(self, created: TokenCreated) -> None:
        super().__init__()
        self._created = created

    def compose(self) -> ComposeResult:
        info = self._created.info
        scopes = ", ".join(s.value for s in info.scopes or ())
        with Vertical(classes="token-dialog"):
            yield Static(_("API token “{name}”").format(name=info.name), classes="dialog-title")
            yield Static(_("Copy it now; it is not shown again:"))
            # An Input, so the secret can be selected and copied (ctrl+c) from the terminal.
            yield Input(self._created.token, id="token-secret", compact=True)
            yield Static(
                _("{scopes} · expires {day} · send as 'Authorization: Bearer …'").format(
                    scopes=scopes, day=local_day(info.expires_at)
                ),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close"), id="close", variant="primary")

    def on_mount(self) -> None:
        secret = self.query_one("#token-secret", Input)
        secret.focus()
        secret.select_all()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
