"""The E-mail page: the tenant's SMTP server (host, port, TLS mode, user, password, from
address), which invitations and report e-mails go through, and a test e-mail through it.

Everything goes through ``/api/v1/notifications/smtp`` and ``/test-email``. The form's text is
sent as typed and the daemon is the one judge (its 422 names the field; the error shows under
it, ``widgets/admin_form.py``), so no rule is worded twice. The password is write-only: the
daemon never returns it, only whether one is set; the field stays empty, and left empty it keeps
the stored one.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Select, Static

from pytake_daemon.protocol.notifications import SmtpSettingsOut, TestEmailRequest
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, ngettext
from pytake_tui.widgets.admin_form import (
    FOCUS_KEYS,
    FieldRow,
    FormError,
    daemon_problems,
    show_problems,
    validation_problems,
)
from pytake_tui.widgets.footer import Footer

SECURITY = (
    ("starttls", N_("STARTTLS (usually port 587)")),
    ("tls", N_("TLS from the start (usually port 465)")),
    ("none", N_("None: plain text (a local relay only)")),
)
TEXT_FIELDS = ("host", "port", "username", "password", "from_address")


def summary(saved: SmtpSettingsOut) -> str:
    """One line about the saved server; the password only as set or not."""
    password = _("password set") if saved.password_set else _("no password")
    login = saved.username or _("no login")
    return _("Saved: {host}:{port} ({security}), {login}, {password}; from {sender}").format(
        host=saved.host,
        port=saved.port,
        security=saved.security,
        login=login,
        password=password,
        sender=saved.from_address,
    )


def document(values: dict[str, str], security: str) -> dict[str, Any]:
    """The PUT body from the form's text: a port of digits as a number (anything else goes as
    typed, for the daemon to refuse under the field), blanks as absent."""
    port = values["port"].strip()
    body: dict[str, Any] = {
        "host": values["host"].strip(),
        "port": int(port) if port.isdigit() else port,
        "security": security,
        "username": values["username"].strip() or None,
        "from_address": values["from_address"].strip(),
    }
    if values["password"]:
        body["password"] = values["password"]
    return body


class SmtpSettingsScreen(Screen[None]):
    """Owners and admins; the daemon checks and audits every change."""

    CSS_PATH = "smtp_settings.tcss"
    BINDINGS = [
        *FOCUS_KEYS,
        Binding("escape", "close", N_("Close")),
        Binding("ctrl+s", "save", N_("Save")),
        Binding("ctrl+t", "test", N_("Send test e-mail")),
    ]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self.client = client
        self.saved: SmtpSettingsOut | None = None
        self.loaded = 0
        """How many reads of the settings came back (the tests and snapshots wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="smtp-body"):
            yield Static(
                _(
                    "The mail server of this tenant: invitations and report e-mails go "
                    "through it. The password is never shown again."
                ),
                classes="step-help",
            )
            yield FormError()
            yield FieldRow(_("Host"), Input(id="field-host", compact=True), name="host")
            yield FieldRow(_("Port"), Input("587", id="field-port", compact=True), name="port")
            options = [(_(label), value) for value, label in SECURITY]
            security = Select(
                options, value="starttls", allow_blank=False, id="field-security", compact=True
            )
            yield FieldRow(_("Security"), security, name="security")
            yield FieldRow(
                _("User name (blank: no login)"),
                Input(id="field-username", compact=True),
                name="username",
            )
            yield FieldRow(
                _("Password (write-only)"),
                Input(id="field-password", password=True, compact=True),
                name="password",
            )
            yield FieldRow(
                _("From address"),
                Input(placeholder="atendimento@example.com", id="field-from_address", compact=True),
                name="from_address",
            )
            yield Static("", id="smtp-saved")
            with Horizontal(classes="smtp-buttons"):
                yield Button(_("Save (ctrl+s)"), id="smtp-save", variant="primary")
            yield FieldRow(
                _("Send a test e-mail to (blank: your own address)"),
                Input(placeholder=_("your own address"), id="field-to", compact=True),
                name="to",
            )
            yield Static("", id="smtp-tested")
            with Horizontal(classes="smtp-buttons"):
                yield Button(_("Send test e-mail (ctrl+t)"), id="smtp-test")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("E-mail")
        self.sub_title = _("SMTP server")
        self.query_one("#field-host", Input).focus()
        self.reload()

    @work(exclusive=True, exit_on_error=False, group="smtp-load")
    async def reload(self) -> None:
        try:
            saved = await self.client.smtp_settings()
        except DaemonError as error:
            show_problems(self, daemon_problems(error))
            return
        self._show(saved)
        self.loaded += 1

    def _show(self, saved: SmtpSettingsOut | None) -> None:
        self.saved = saved
        password = self.query_one("#field-password", Input)
        password.value = ""
        if saved is None:
            self.query_one("#smtp-saved", Static).update(_("No SMTP server yet."))
            password.placeholder = _("not set")
            return
        for name, value in (
            ("host", saved.host),
            ("port", str(saved.port)),
            ("username", saved.username or ""),
            ("from_address", saved.from_address),
        ):
            self.query_one(f"#field-{name}", Input).value = value
        self.query_one("#field-security", Select).value = saved.security
        password.placeholder = (
            _("set: leave blank to keep it") if saved.password_set else _("not set")
        )
        self.query_one("#smtp-saved", Static).update(summary(saved))

    @on(Button.Pressed, "#smtp-save")
    def action_save(self) -> None:
        values = {name: self.query_one(f"#field-{name}", Input).value for name in TEXT_FIELDS}
        security = str(self.query_one("#field-security", Select).value)
        show_problems(self, [])
        self._save(document(values, security))

    @work(exclusive=True, exit_on_error=False, group="smtp-save")
    async def _save(self, body: dict[str, Any]) -> None:
        try:
            saved = await self.client.put_smtp_settings(body)
        except DaemonError as error:
            shown = show_problems(self, daemon_problems(error))
            self.notify("; ".join(shown), title=_("Not saved"), severity="warning", markup=False)
            return
        self._show(saved)
        self.notify(_("SMTP server saved"))

    @on(Button.Pressed, "#smtp-test")
    def action_test(self) -> None:
        to = self.query_one("#field-to", Input).value.strip() or None
        try:
            TestEmailRequest(to=to)
        except ValidationError as error:
            show_problems(self, validation_problems(error))
            return
        show_problems(self, [])
        self.query_one("#smtp-tested", Static).update(_("Sending…"))
        self._test(to)

    @work(exclusive=True, exit_on_error=False, group="smtp-test")
    async def _test(self, to: str | None) -> None:
        line = self.query_one("#smtp-tested", Static)
        try:
            sent = await self.client.send_test_email(to)
        except DaemonError as error:
            line.update(_("✗ {reason}").format(reason=error.message))
            return
        said = ngettext(
            "✓ The server took the test e-mail to {to} (first try)",
            "✓ The server took the test e-mail to {to} ({attempts} tries)",
            sent.attempts,
        )
        line.update(said.format(to=sent.to, attempts=sent.attempts))

    def action_close(self) -> None:
        self.dismiss(None)
