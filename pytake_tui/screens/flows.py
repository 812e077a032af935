"""Flows (``f9``): the tenant's automation flows, and the editor for one of them.

The list shows each flow's status, latest and published version; ``n`` starts a new flow,
enter opens one in the :class:`FlowEditor`, ``p`` publishes the latest version and ``a``
archives. Supervisors look and test; the daemon takes changes from admins only.
"""

from __future__ import annotations

import uuid

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Header, Static

from pytake_daemon.protocol import Me
from pytake_daemon.protocol.flows import FlowSummary
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, local_moment
from pytake_tui.messages import ResyncNeeded
from pytake_tui.navigation import SessionContext
from pytake_tui.screens.flow_dialogs import ConfirmDialog, PromptDialog
from pytake_tui.screens.flow_editor import FlowEditor, denied, flow_status
from pytake_tui.widgets.footer import Footer

LIST = "flow-list"
EDITOR = "editor"
_LIST_ACTIONS = ("new", "publish", "archive", "refresh")


def flow_row(flow: FlowSummary) -> tuple[str, str, str, str, str]:
    """name, status, latest version, published version, last change (local time)."""
    published = f"v{flow.published_version}" if flow.published_version else "—"
    updated = local_moment(flow.updated_at)
    return flow.name, flow_status(flow.status), f"v{flow.latest_version}", published, updated


class FlowsScreen(Screen[None]):
    """The flow list, and the editor in its place while a flow is open."""

    CSS_PATH = ["flows.tcss", "flow_editor.tcss"]
    BINDINGS = [
        Binding("n", "new", N_("New")),
        Binding("p", "publish", N_("Publish")),
        Binding("a", "archive", N_("Archive")),
        Binding("r", "refresh", N_("Refresh")),
    ]

    def __init__(self, *, client: DaemonClient, me: Me) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self.flows: list[FlowSummary] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial=LIST, id="flows-switcher"):
            with Vertical(id=LIST):
                yield Static(
                    _("Flows — enter opens, n new, p publish, a archive"), id="flows-title"
                )
                yield DataTable(id="flows", cursor_type="row", zebra_stripes=True)
            yield FlowEditor(client=self._client, me=self._me, id=EDITOR)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#flows", DataTable)
        columns = (
            ("name", N_("name"), 24),
            ("status", N_("status"), 9),
            ("version", N_("version"), 7),
            ("published", N_("published"), 9),
        )
        for key, label, width in columns:
            table.add_column(_(label), width=width, key=key)
        table.add_column(_("updated"), key="updated")
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _LIST_ACTIONS:
            return self.query_one(ContentSwitcher).current == LIST
        return True

    @work(exclusive=True, exit_on_error=False, group="list")
    async def load(self) -> None:
        try:
            flows = (await self._client.flows()).items
        except DaemonError as error:
            self.notify(error.message, title=_("Flows"), severity="error")
            return
        self.show(flows)

    def show(self, flows: list[FlowSummary]) -> None:
        self.flows = flows
        table = self.query_one("#flows", DataTable)
        row = table.cursor_row
        table.clear()
        for flow in flows:
            table.add_row(*flow_row(flow), key=str(flow.id))
        if flows:
            table.move_cursor(row=min(row, len(flows) - 1))

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        if self.query_one(ContentSwitcher).current == LIST:
            self.load()

    def _current(self) -> FlowSummary | None:
        table = self.query_one("#flows", DataTable)
        if not self.flows or table.cursor_row < 0:
            return None
        return self.flows[min(table.cursor_row, len(self.flows) - 1)]

    def action_refresh(self) -> None:
        self.load()

    # Opening

    @on(DataTable.RowSelected, "#flows")
    def _open_row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_flow(uuid.UUID(event.row_key.value))

    @work(exclusive=True, exit_on_error=False, group="open")
    async def open_flow(self, flow_id: uuid.UUID) -> None:
        try:
            flow = await self._client.flow(flow_id)
        except DaemonError as error:
            self.notify(error.message, title=_("Flow"), severity="error")
            return
        self._edit()
        self.query_one(FlowEditor).start(flow, flow.name)

    @work(exclusive=True, exit_on_error=False, group="open")
    async def action_new(self) -> None:
        name = await self.app.push_screen_wait(
            PromptDialog(_("Name of the new flow"), _("e.g. boas-vindas"))
        )
        if name is None:
            return
        if any(flow.name == name for flow in self.flows):
            self.notify(
                _("A flow named {name} already exists").format(name=name), severity="warning"
            )
            return
        self._edit()
        self.query_one(FlowEditor).start(None, name)

    def _edit(self) -> None:
        self.query_one(ContentSwitcher).current = EDITOR
        self.refresh_bindings()

    def on_flow_editor_closed(self, message: FlowEditor.Closed) -> None:
        self.query_one(ContentSwitcher).current = LIST
        self.refresh_bindings()
        self.query_one("#flows", DataTable).focus()
        self.load()

    # Publishing and archiving from the list

    @work(exclusive=True, exit_on_error=False, group="change")
    async def action_publish(self) -> None:
        flow = self._current()
        if flow is None:
            return
        question = _("Publish version {version} of {name}?").format(
            version=flow.latest_version, name=flow.name
        )
        if not await self.app.push_screen_wait(ConfirmDialog(question, _("Publish"))):
            return
        try:
            await self._client.publish_flow(flow.id, flow.latest_version)
        except DaemonError as error:
            self.notify(
                denied(error, _("Only admins can publish flows")),
                title=_("Not published"),
                severity="error",
            )
            return
        self.notify(
            _("Version {latest_version} of {name} is published").format(
                latest_version=flow.latest_version, name=flow.name
            )
        )
        self.load()

    @work(exclusive=True, exit_on_error=False, group="change")
    async def action_archive(self) -> None:
        flow = self._current()
        if flow is None:
            return
        question = _("Archive {name}? It starts no new sessions; running ones finish.").format(
            name=flow.name
        )
        if not await self.app.push_screen_wait(ConfirmDialog(question, _("Archive"))):
            return
        try:
            await self._client.archive_flow(flow.id)
        except DaemonError as error:
            self.notify(
                denied(error, _("Only admins can archive flows")),
                title=_("Not archived"),
                severity="error",
            )
            return
        self.notify(_("{name} is archived").format(name=flow.name))
        self.load()


def flows_destination(context: SessionContext) -> Screen[None]:
    """The ``f9`` destination."""
    return FlowsScreen(client=context.client, me=context.me)
