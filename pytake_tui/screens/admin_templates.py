"""Admin → Templates: every template of the tenant's WhatsApp accounts with its review status
and Meta's reason, ``s`` to sync them from Meta now, ``a`` to submit a new one for review,
``delete`` to delete the highlighted one (that language) at Meta and here, after a question.

Meta owns templates: the daemon keeps a copy that Meta's status webhooks and syncs update.
Another admin's change or Meta's review (``template_changed``, ``template_status_changed``)
shows by itself (``admin_live.py``).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from pytake_daemon.protocol.whatsapp import (
    MessageTemplateOut,
    TemplateChanged,
    TemplateStatusChanged,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, local_moment
from pytake_tui.messages import report_failure
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.screens.admin_live import LivePage
from pytake_tui.screens.admin_template_form import TemplateFormScreen
from pytake_tui.widgets.footer import Footer

EMPTY = N_("No templates yet: s syncs them from Meta, a submits a new one.")


def _body(template: MessageTemplateOut) -> str:
    for component in template.components:
        if str(component.get("type", "")).upper() == "BODY":
            return str(component.get("text", ""))
    return ""


class AdminTemplatesScreen(LivePage):
    """Templates by name and language; the highlighted one's body and Meta's reason below."""

    CSS_PATH = "admin_templates.tcss"
    LIVE_EVENTS = (
        TemplateChanged,
        TemplateStatusChanged,
    )
    BINDINGS = [
        Binding("a", "submit", N_("Submit new")),
        Binding("s", "sync", N_("Sync from Meta")),
        Binding("delete,x", "delete", N_("Delete")),
        Binding("ctrl+r", "reload", N_("Refresh")),
        Binding("escape", "app.pop_screen", N_("Back")),
    ]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self._client = client
        self.templates: list[MessageTemplateOut] = []
        self.loads = 0
        """How many times a fresh list was shown (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="templates-page"):
            yield DataTable(id="admin-templates", cursor_type="row", zebra_stripes=True)
            yield Static("", id="template-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#admin-templates", DataTable)
        for label, key, width in (
            ("name", "name", 22),
            ("lang", "language", 6),
            ("category", "category", 10),
            ("status", "status", 9),
            ("synced", "synced", 16),
        ):
            table.add_column(label, key=key, width=width)
        self.action_reload()

    @property
    def highlighted(self) -> MessageTemplateOut | None:
        row = self.query_one("#admin-templates", DataTable).cursor_row
        return self.templates[row] if 0 <= row < len(self.templates) else None

    @work(exclusive=True, exit_on_error=False, group="admin-templates")
    async def action_reload(self) -> None:
        try:
            templates = await self._client.all_templates()
        except DaemonError as error:
            report_failure(self, error, _("Could not load the templates"))
            return
        self.show(templates.items)

    def show(self, templates: list[MessageTemplateOut]) -> None:
        """Show the templates by name and language."""
        table = self.query_one("#admin-templates", DataTable)
        self.templates = sorted(templates, key=lambda t: (t.name, t.language))
        table.clear()
        for t in self.templates:
            synced = local_moment(t.synced_at) if t.synced_at else _("not yet")
            table.add_row(t.name, t.language, t.category.lower(), t.status, synced, key=str(t.id))
        self._detail()
        self.loads += 1

    @on(DataTable.RowHighlighted)
    def _detail(self) -> None:
        template = self.highlighted
        detail = self.query_one("#template-detail", Static)
        if template is None:
            detail.update(_(EMPTY))
            return
        reason = (
            "\n" + _("Meta's reason: {reason}").format(reason=template.reason)
            if template.reason
            else ""
        )
        detail.update(f"{_body(template)}{reason}")

    @work(exclusive=True, exit_on_error=False, group="admin-templates-sync")
    async def action_sync(self) -> None:
        self.notify(_("Asking Meta for the templates…"))
        try:
            result = await self._client.sync_templates()
        except DaemonError as error:
            report_failure(self, error, _("Sync failed"))
            return
        self.notify(
            _("{templates} templates in {wabas} accounts: {created} new, {updated} updated").format(
                templates=result.templates,
                wabas=result.wabas,
                created=result.created,
                updated=result.updated,
            )
        )
        self.action_reload()

    @work(exclusive=True, exit_on_error=False, group="admin-templates-numbers")
    async def action_submit(self) -> None:
        try:
            numbers = (await self._client.business_numbers()).items
        except DaemonError as error:
            report_failure(self, error, _("Could not read the numbers"))
            return
        if not numbers:
            self.notify(_("Add a WhatsApp number first: templates belong to its account."))
            return

        def submitted(result: MessageTemplateOut | None) -> None:
            if result is not None:
                self.notify(
                    _("“{name}” submitted: {status} until Meta reviews it").format(
                        name=result.name, status=result.status
                    )
                )
                # By id: the list may hold it already (seen once in a full run, its row key
                # then added twice and the console stopped on DuplicateKey).
                self.show([*(t for t in self.templates if t.id != result.id), result])

        self.app.push_screen(TemplateFormScreen(client=self._client, numbers=numbers), submitted)

    def action_delete(self) -> None:
        template = self.highlighted
        if template is None:
            return
        confirm_then(
            self,
            _("Delete the template “{name}” ({language})?").format(
                name=template.name, language=template.language
            ),
            _(
                "Meta deletes it too: sends of it fail from now on, and Meta refuses new content "
                "under this name and language for four weeks."
            ),
            _("Delete"),
            lambda: self._delete(template),
        )

    @work(exclusive=True, exit_on_error=False, group="admin-templates-delete")
    async def _delete(self, template: MessageTemplateOut) -> None:
        try:
            await self._client.delete_template(template.id)
        except DaemonError as error:
            report_failure(self, error, _("Not deleted"))
            return
        self.notify(
            _("“{name}” ({language}) deleted at Meta and here").format(
                name=template.name, language=template.language
            )
        )
        self.show([t for t in self.templates if t.id != template.id])
