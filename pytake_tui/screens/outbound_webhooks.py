"""Outbound webhooks (admins, from the command palette): the endpoints other systems registered
for PyTake's events, the deliveries of the selected endpoint, and the dead letters.

``n`` registers an endpoint (its signing secret is shown once, in a dialog to copy it from);
``c`` (or Enter on the endpoints) changes the selected one's description and event types; ``e``
enables it or, after a question, disables it (a 410 disables it on its own); ``delete`` removes
it and its deliveries, after a question. ``d`` switches the lower table between the selected
endpoint's recent deliveries and every dead letter of the tenant; Enter (or ``p``) on a dead
letter replays it. Rotating a secret stays with ``pytake webhooks rotate-secret``.

Another admin's change, a rotation, a replay or a 410 (``webhook_endpoint_changed``) shows by
itself (``admin_live.py``); the deliveries' own progress shows on ``r``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Header, Static

from pytake_daemon.protocol import Me
from pytake_daemon.protocol.outbound_webhooks import (
    DeliveryOut,
    DeliveryState,
    EndpointCreated,
    EndpointOut,
    WebhookEndpointChanged,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.messages import SessionExpired
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.admin_live import LivePage
from pytake_tui.screens.outbound_webhooks_form import (
    EndpointFormDialog,
    Saved,
    WebhookSecretDialog,
)

ENDPOINT_COLUMNS = (("url", 46), ("events", 44), ("state", 9), ("waiting", 7), ("dead", 5))
DELIVERY_COLUMNS = (
    ("created", 14),
    ("event", 21),
    ("state", 9),
    ("tries", 5),
    ("last answer", 72),
)
EMPTY = "No endpoints. n registers one (or: pytake webhooks add URL -e message.received)."


def _when(at: datetime) -> str:
    return f"{at:%m-%d %H:%M:%S}"


def _answer(delivery: DeliveryOut) -> str:
    if delivery.last_error:
        return delivery.last_error
    return "" if delivery.last_status is None else f"HTTP {delivery.last_status}"


class OutboundWebhooksScreen(LivePage):
    """Endpoints above, deliveries or dead letters below; replay with Enter."""

    CSS_PATH = "outbound_webhooks.tcss"
    LIVE_EVENTS = (WebhookEndpointChanged,)
    BINDINGS = [
        Binding("enter", "replay", "Replay", show=True),
        Binding("p", "replay", "Replay", show=False),
        Binding("d", "toggle_dead", "Dead letters / deliveries"),
        Binding("n", "new_endpoint", "New"),
        Binding("c", "change_endpoint", "Change"),
        Binding("e", "toggle_enabled", "Enable/disable"),
        Binding("delete,x", "delete_endpoint", "Delete"),
        Binding("r", "reload", "Refresh"),
    ]

    dead_only: reactive[bool] = reactive(False)
    """The lower table lists every dead letter (True) or the selected endpoint's deliveries."""

    def __init__(self, *, client: DaemonClient, me: Me, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._clock = clock
        self.endpoints: list[EndpointOut] = []
        self.deliveries: list[DeliveryOut] = []
        self.loads = 0
        """How many times fresh data was shown (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="webhooks-page"):
            yield Static("Endpoints", classes="webhooks-title")
            yield DataTable(id="webhook-endpoints", cursor_type="row", zebra_stripes=True)
            yield Static(EMPTY, id="webhooks-empty")
            yield Static("", id="deliveries-title", classes="webhooks-title")
            yield DataTable(id="webhook-deliveries", cursor_type="row", zebra_stripes=True)
            yield Static("", id="webhooks-status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Outbound webhooks"
        endpoints = self.query_one("#webhook-endpoints", DataTable)
        for label, width in ENDPOINT_COLUMNS:
            endpoints.add_column(label, width=width, key=label)
        deliveries = self.query_one("#webhook-deliveries", DataTable)
        for label, width in DELIVERY_COLUMNS:
            deliveries.add_column(label, width=width, key=label)
        self.action_reload()

    # Loading

    def action_reload(self) -> None:
        self._load_endpoints()

    @work(exclusive=True, exit_on_error=False, group="webhooks-endpoints")
    async def _load_endpoints(self) -> None:
        try:
            listed = await self._client.webhook_endpoints()
        except DaemonError as error:
            self._failed("Could not load the webhook endpoints", error)
            return
        self.endpoints = listed.items
        self._fill_endpoints()
        await self._load_deliveries()

    async def _load_deliveries(self) -> None:
        selected = self.selected_endpoint
        try:
            if self.dead_only:
                listed = await self._client.webhook_deliveries(state=DeliveryState.DEAD)
            elif selected is not None:
                listed = await self._client.webhook_deliveries(endpoint_id=selected.id)
            else:
                listed = None
        except DaemonError as error:
            self._failed("Could not load the deliveries", error)
            return
        self.deliveries = [] if listed is None else listed.items
        self._fill_deliveries()
        self.loads += 1

    def _fill_endpoints(self) -> None:
        table: DataTable[str | Text] = self.query_one("#webhook-endpoints", DataTable)
        keep = self.selected_endpoint
        table.clear()
        for e in self.endpoints:
            state = Text("enabled") if e.enabled else Text("disabled", style="bold red")
            table.add_row(
                Text(e.url),
                Text(", ".join(t.value for t in e.event_types)),
                state,
                str(e.pending),
                Text(str(e.dead), style="yellow") if e.dead else "0",
                key=str(e.id),
            )
        ids = [str(e.id) for e in self.endpoints]
        if keep is not None and str(keep.id) in ids:
            table.move_cursor(row=ids.index(str(keep.id)))
        empty = not self.endpoints
        table.display = not empty
        self.query_one("#webhooks-empty", Static).display = empty

    def _fill_deliveries(self) -> None:
        table: DataTable[str | Text] = self.query_one("#webhook-deliveries", DataTable)
        table.clear()
        for d in self.deliveries:
            dead = d.state is DeliveryState.DEAD
            state = Text(d.state.value, style="bold red" if dead else "")
            table.add_row(
                _when(d.created_at),
                d.event_type.value,
                state,
                str(d.attempts),
                Text(_answer(d)),
                key=str(d.id),
            )
        selected = self.selected_endpoint
        if self.dead_only:
            title = f"Dead letters ({len(self.deliveries)}) — Enter replays"
        elif selected is not None:
            title = f"Deliveries of {selected.url}"
        else:
            title = "Deliveries"
        self.query_one("#deliveries-title", Static).update(Content(title))

    # Selection

    @property
    def selected_endpoint(self) -> EndpointOut | None:
        table: DataTable[str] = self.query_one("#webhook-endpoints", DataTable)
        if table.row_count == 0 or not self.endpoints:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return next((e for e in self.endpoints if str(e.id) == row_key.value), None)

    @property
    def selected_delivery(self) -> DeliveryOut | None:
        table: DataTable[str] = self.query_one("#webhook-deliveries", DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return next((d for d in self.deliveries if str(d.id) == row_key.value), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "webhook-endpoints" and not self.dead_only:
            self._reload_deliveries()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter on a DataTable selects its row; on the deliveries it means "replay", on the
        # endpoints "change this one".
        if event.data_table.id == "webhook-deliveries":
            self.action_replay()
        elif event.data_table.id == "webhook-endpoints":
            self.action_change_endpoint()

    @work(exclusive=True, exit_on_error=False, group="webhooks-deliveries")
    async def _reload_deliveries(self) -> None:
        await self._load_deliveries()

    def watch_dead_only(self) -> None:
        if self.is_mounted:
            self._reload_deliveries()

    # Actions

    def action_toggle_dead(self) -> None:
        self.dead_only = not self.dead_only

    def action_replay(self) -> None:
        delivery = self.selected_delivery
        if delivery is None:
            return
        if delivery.state is not DeliveryState.DEAD:
            self._status(f"Only dead letters are replayed (this one is {delivery.state.value}).")
            return
        self._replay(delivery.id)

    @work(exclusive=False, exit_on_error=False, group="webhooks-replay")
    async def _replay(self, delivery_id: uuid.UUID) -> None:
        try:
            replayed = await self._client.replay_webhook_delivery(delivery_id)
        except DaemonError as error:
            self._failed("Not replayed", error)
            return
        self._status(f"Replay queued: {replayed.event_type.value} ({replayed.id}).")
        self.notify("Queued again: the receiver gets the same event.", title="Replayed")
        self._load_endpoints()

    def action_new_endpoint(self) -> None:
        dialog = EndpointFormDialog(client=self._client, endpoint=None)
        self.app.push_screen(dialog, self._saved)

    def action_change_endpoint(self) -> None:
        endpoint = self.selected_endpoint
        if endpoint is not None:
            dialog = EndpointFormDialog(client=self._client, endpoint=endpoint)
            self.app.push_screen(dialog, self._saved)

    def _saved(self, saved: Saved | None) -> None:
        if saved is None:
            return
        if isinstance(saved, EndpointCreated):
            self._status(f"{saved.endpoint.url} registered.")
            self.app.push_screen(WebhookSecretDialog(saved))
        else:
            self._status(f"{saved.url} changed.")
        self._load_endpoints()

    def action_delete_endpoint(self) -> None:
        endpoint = self.selected_endpoint
        if endpoint is None:
            return
        question = ConfirmChange(
            f"Delete the endpoint {endpoint.url}?",
            "Its deliveries and dead letters go with it; the receiver gets nothing more.",
            "Delete",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(endpoint)

        self.app.push_screen(question, answered)

    @work(exclusive=True, exit_on_error=False, group="webhooks-delete")
    async def _delete(self, endpoint: EndpointOut) -> None:
        try:
            await self._client.delete_webhook_endpoint(endpoint.id)
        except DaemonError as error:
            self._failed("Not deleted", error)
            return
        self._status(f"{endpoint.url} deleted.")
        self._load_endpoints()

    def action_toggle_enabled(self) -> None:
        endpoint = self.selected_endpoint
        if endpoint is None:
            return
        if not endpoint.enabled:
            self._set_enabled(endpoint.id, True)
            return
        question = ConfirmChange(
            f"Disable the endpoint {endpoint.url}?",
            "Its waiting deliveries become dead letters (replayable once it is enabled again).",
            "Disable",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._set_enabled(endpoint.id, False)

        self.app.push_screen(question, answered)

    @work(exclusive=True, exit_on_error=False, group="webhooks-enable")
    async def _set_enabled(self, endpoint_id: uuid.UUID, enabled: bool) -> None:
        try:
            out = await self._client.set_webhook_endpoint_enabled(endpoint_id, enabled)
        except DaemonError as error:
            self._failed("Not changed", error)
            return
        verb = "enabled" if out.enabled else "disabled (its waiting deliveries are dead letters)"
        self._status(f"{out.url} {verb}.")
        self._load_endpoints()

    def _status(self, text: str) -> None:
        # Content, not markup: URLs and the daemon's sentences may hold brackets.
        self.query_one("#webhooks-status", Static).update(Content(text))

    def _failed(self, title: str, error: DaemonError) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired("your session has ended"))
            return
        self._status(error.message)
        self.notify(error.message, title=title, severity="error", markup=False)
