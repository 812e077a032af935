"""Step 2 and the Numbers page's form: a WhatsApp number checked with Meta before it is
stored (its id, account and token), the webhook address to paste into Meta's dashboard, and
the verify-token handshake tried on our own webhook. Secrets are typed once: the inputs are
masked, emptied after a save, and never filled from the daemon (it never returns them)."""

from __future__ import annotations

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from pytake_daemon.protocol.onboarding import NumberSetup, NumberSetupResult, StepName
from pytake_tui.client import DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.widgets.admin_form import validation_problems
from pytake_tui.widgets.onboarding_step import Field, StepPane, daemon_problems

FIELDS: list[tuple[str, str, bool]] = [
    # (field, label, secret)
    ("phone_number_id", N_("Phone number ID (Meta → WhatsApp → API Setup)"), False),
    ("waba_id", N_("WhatsApp Business Account ID"), False),
    ("access_token", N_("Access token (shown once; never again)"), True),
    ("app_secret", N_("App secret (App settings → Basic)"), True),
    ("verify_token", N_("Verify token (any phrase; paste the same into Meta)"), True),
    ("label", N_("Label (optional)"), False),
]
SECRETS = tuple(name for name, _label, secret in FIELDS if secret)


def check_lines(result: NumberSetupResult) -> str:
    return "\n".join(f"{'✓' if c.ok else '✗'} {c.name}: {c.detail}" for c in result.checks)


class NumberStep(StepPane):
    step = StepName.NUMBER

    def compose(self) -> ComposeResult:
        yield Static(_("WhatsApp number"), classes="step-title")
        yield Static("", classes="step-help", id="webhook-url")
        for name, label, secret in FIELDS:
            yield Field(_(label), Input(id=name, password=secret), name=name)
        yield self.problem_line()
        yield Static("", classes="step-ok", id="number-checks")
        with Horizontal(classes="step-buttons"):
            yield Button(_("Check with Meta and save"), id="number-save", variant="primary")

    def on_mount(self) -> None:
        self._load_webhook()

    @work(exclusive=True, exit_on_error=False, group="number-webhook")
    async def _load_webhook(self) -> None:
        try:
            info = await self.client.onboarding_webhook()
        except DaemonError as error:
            self.show_problems([("", error.message)])
            return
        note = (
            ""
            if info.public_url_set
            else (
                "\n"
                + _(
                    "server.public_url is not set: this is how the console reaches the daemon; "
                    "Meta needs a public address"
                )
            )
        )
        self.query_one("#webhook-url", Static).update(
            _("Callback URL for Meta's dashboard: {webhook_url}{note}").format(
                webhook_url=info.webhook_url, note=note
            )
        )

    def body(self) -> NumberSetup | None:
        values = {name: self.query_one(f"#{name}", Input).value.strip() for name, *_ in FIELDS}
        try:
            return NumberSetup.model_validate(values)
        except ValidationError as error:
            self.show_problems(validation_problems(error))
            return None

    def fill(self, phone_number_id: str, waba_id: str, label: str = "") -> None:
        """Start from a stored number (rotating its secrets): the ids, never the secrets."""
        self.query_one("#phone_number_id", Input).value = phone_number_id
        self.query_one("#waba_id", Input).value = waba_id
        self.query_one("#label", Input).value = label

    @on(Button.Pressed, "#number-save")
    @on(Input.Submitted)
    def save(self) -> None:
        body = self.body()
        if body is not None:
            self.clear_problems()
            self.query_one("#number-checks", Static).update(_("Asking Meta…"))
            self._save(body)

    @work(exclusive=True, exit_on_error=False, group="number-save")
    async def _save(self, body: NumberSetup) -> None:
        try:
            result = await self.client.setup_number(body)
        except DaemonError as error:
            self.query_one("#number-checks", Static).update("")
            self.show_problems(daemon_problems(error))
            return
        for name in SECRETS:  # typed once: gone from the screen as soon as they are stored
            self.query_one(f"#{name}", Input).value = ""
        number = result.number.display_phone_number if result.number else body.phone_number_id
        said = (_("Secrets replaced: {number}") if result.rotated else _("Saved: {number}")).format(
            number=number or body.phone_number_id
        )
        self.query_one("#number-checks", Static).update(f"{said}\n{check_lines(result)}")
        if not result.passed:
            failed = next(c for c in result.checks if not c.ok)
            self.show_problems([(failed.field or "", failed.detail)])
        else:  # the wizard moves on: what each check said stays in a toast
            self.notify(check_lines(result), title=said)
        self.post_message(self.Recorded(None))
