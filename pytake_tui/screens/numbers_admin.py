"""The Numbers page: the tenant's WhatsApp numbers; add one, replace a number's secrets
(rotation), test them with Meta and through the webhook, remove one. Adding and rotating use
the wizard's number step (checked with Meta before anything is stored; secrets typed once).
Another admin's change (``number_changed``) or Meta's quality news (``number_quality_changed``)
shows by itself (``admin_live.py``)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from pytake_daemon.protocol.whatsapp import NumberChanged, NumberOut, NumberQualityChanged
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.screens.admin_live import LivePage
from pytake_tui.widgets.admin_form import FOCUS_KEYS
from pytake_tui.widgets.footer import Footer
from pytake_tui.widgets.onboarding_number import NumberStep
from pytake_tui.widgets.onboarding_step import StepPane

COLUMNS = (N_("Phone number ID"), N_("Number"), N_("Label"), "WABA", N_("Quality"))


def row(number: NumberOut) -> tuple[str, ...]:
    quality = number.quality_rating or number.quality_event or "-"
    return (
        number.phone_number_id,
        number.display_phone_number or "-",
        number.label or "-",
        number.waba_id,
        quality,
    )


class NumbersAdminScreen(LivePage):
    """Owners and admins; every change goes through the daemon's API and its audit."""

    CSS_PATH = "numbers_admin.tcss"
    LIVE_EVENTS = (NumberChanged, NumberQualityChanged)
    BINDINGS = [
        *FOCUS_KEYS,
        Binding("escape", "close", N_("Close")),
        Binding("a", "add", N_("Add")),
        Binding("r", "rotate", N_("Rotate secrets")),
        Binding("t", "test", N_("Test")),
        Binding("d", "remove", N_("Remove")),
    ]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self.client = client
        self.numbers: list[NumberOut] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="numbers-body"):
            yield DataTable(id="numbers", cursor_type="row", zebra_stripes=True)
            yield Static("", id="numbers-tested")
            number_form = NumberStep(self.client, id="number-form")
            number_form.display = False
            yield number_form
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Numbers")
        table = self.query_one(DataTable)
        table.add_columns(*(_(c) for c in COLUMNS))
        self.reload()

    @work(exclusive=True, exit_on_error=False, group="numbers-load")
    async def reload(self) -> None:
        try:
            numbers = (await self.client.business_numbers()).items
        except DaemonError as error:
            self.notify(error.message, title=_("Could not read the numbers"), severity="error")
            return
        self.numbers = numbers
        table = self.query_one(DataTable)
        table.clear()
        for number in numbers:
            table.add_row(*row(number), key=str(number.id))
        if not numbers:
            self.query_one("#numbers-tested", Static).update(_("No number yet: a adds one."))

    def action_reload(self) -> None:
        self.reload()

    def highlighted(self) -> NumberOut | None:
        table = self.query_one(DataTable)
        if not self.numbers or table.cursor_row >= len(self.numbers):
            return None
        return self.numbers[table.cursor_row]

    def _form(self) -> NumberStep:
        form = self.query_one(NumberStep)
        form.display = True
        form.clear_problems()
        return form

    def action_add(self) -> None:
        form = self._form()
        form.fill("", "", "")
        form.query_one("#phone_number_id").focus()

    def action_rotate(self) -> None:
        number = self.highlighted()
        if number is None:
            return
        form = self._form()
        form.fill(number.phone_number_id, number.waba_id, number.label)
        form.query_one("#access_token").focus()

    @on(StepPane.Recorded)
    def _saved(self, message: StepPane.Recorded) -> None:
        message.stop()  # the wizard moves on with it; here the list is read again
        self.reload()

    def action_test(self) -> None:
        number = self.highlighted()
        if number is not None:
            self.query_one("#numbers-tested", Static).update(_("Testing with Meta…"))
            self._test(number)

    @work(exclusive=True, exit_on_error=False, group="numbers-test")
    async def _test(self, number: NumberOut) -> None:
        try:
            checks = await self.client.system_checks()
        except DaemonError as error:
            self.query_one("#numbers-tested", Static).update(error.message)
            return
        mine = [
            c
            for c in checks.checks
            if number.phone_number_id in c.name
            or c.name in (f"templates {number.waba_id}", "webhook")
        ]
        marks = {"passed": "✓", "failed": "✗", "skipped": "-"}
        self.query_one("#numbers-tested", Static).update(
            "\n".join(f"{marks[c.status.value]} {c.name}: {c.detail}" for c in mine)
        )

    def action_remove(self) -> None:
        number = self.highlighted()
        if number is None:
            return
        confirm_then(
            self,
            _("Remove {number}?").format(
                number=number.display_phone_number or number.phone_number_id
            ),
            _("Messages to it stop arriving here; its conversations stay readable."),
            _("Remove"),
            lambda: self._remove(number),
        )

    @work(exclusive=True, exit_on_error=False, group="numbers-remove")
    async def _remove(self, number: NumberOut) -> None:
        try:
            await self.client.remove_business_number(number.id)
        except DaemonError as error:
            self.notify(error.message, title=_("Could not remove the number"), severity="error")
            return
        self.notify(_("Removed {phone_number_id}").format(phone_number_id=number.phone_number_id))
        self.reload()

    def action_close(self) -> None:
        self.dismiss(None)
