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
from textual.widgets import DataTable, Header, Static

from pytake_daemon.protocol import Me
from pytake_daemon.protocol.outbound_webhooks import (
    DeliveryOut,
    DeliveryState,
    EndpointCreated,
    EndpointOut,
    WebhookEndpointChanged,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.messages import SessionExpired
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.screens.admin_live import LivePage
from pytake_tui.screens.outbound_webhooks_form import (
    EndpointFormDialog,
    Saved,
    WebhookSecretDialog,
)
from pytake_tui.widgets.footer import Footer

ENDPOINT_COLUMNS = (
    ("url", N_("url"), 46),
    ("events", N_("events"), 44),
    ("state", N_("state"), 9),
    ("waiting", N_("waiting"), 7),
    ("dead", N_("dead"), 5),
)
DELIVERY_COLUMNS = (
    ("created", N_("created"), 14),
    ("event", N_("event"), 21),
    ("state", N_("state"), 9),
    ("tries", N_("tries"), 5),
    ("last answer", N_("last answer"), 72),
)
"""(key, ``N_`` title, width) of each column."""
EMPTY = N_("No endpoints. n registers one (or: pytake webhooks add URL -e message.received).")


def _when(at: datetime) -> str:
    return f"{at:%m-%d %H:%M:%S}"


def _delivery_state(state: DeliveryState) -> str:
    return {
        DeliveryState.PENDING: pgettext("delivery", "pending"),
        DeliveryState.DELIVERED: pgettext("delivery", "delivered"),
        DeliveryState.DEAD: pgettext("delivery", "dead"),
    }[state]


def _answer(delivery: DeliveryOut) -> str:
    if delivery.last_error:
        return delivery.last_error
    return "" if delivery.last_status is None else f"HTTP {delivery.last_status}"


class OutboundWebhooksScreen(LivePage):
    """Endpoints above, deliveries or dead letters below; replay with Enter."""

    CSS_PATH = "outbound_webhooks.tcss"
    LIVE_EVENTS = (WebhookEndpointChanged,)
    BINDINGS = [
        Binding("enter", "replay", N_("Replay"), show=True),
        Binding("p", "replay", N_("Replay"), show=False),
        Binding("d", "toggle_dead", N_("Dead letters / deliveries")),
        Binding("n", "new_endpoint", N_("New")),
        Binding("c", "change_endpoint", N_("Change")),
        Binding("e", "toggle_enabled", N_("Enable/disable")),
        Binding("delete,x", "delete_endpoint", N_("Delete")),
        Binding("r", "reload", N_("Refresh")),
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
            yield Static(_("Endpoints"), classes="webhooks-title")
            yield DataTable(id="webhook-endpoints", cursor_type="row", zebra_stripes=True)
            yield Static(_(EMPTY), id="webhooks-empty")
            yield Static("", id="deliveries-title", classes="webhooks-title")
            yield DataTable(id="webhook-deliveries", cursor_type="row", zebra_stripes=True)
            yield Static("", id="webhooks-status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Outbound webhooks")
        endpoints = self.query_one("#webhook-endpoints", DataTable)
        for key, label, width in ENDPOINT_COLUMNS:
            endpoints.add_column(_(label), width=width, key=key)
        deliveries = self.query_one("#webhook-deliveries", DataTable)
        for key, label, width in DELIVERY_COLUMNS:
            deliveries.add_column(_(label), width=width, key=key)
        self.action_reload()

    # Loading

    def action_reload(self) -> None:
        self._load_endpoints()

    @work(exclusive=True, exit_on_error=False, group="webhooks-endpoints")
    async def _load_endpoints(self) -> None:
        try:
            listed = await self._client.webhook_endpoints()
        except DaemonError as error:
            self._failed(_("Could not load the webhook endpoints"), error)
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
            self._failed(_("Could not load the deliveries"), error)
            return
        self.deliveries = [] if listed is None else listed.items
        self._fill_deliveries()
        self.loads += 1

    def _fill_endpoints(self) -> None:
        table: DataTable[str | Text] = self.query_one("#webhook-endpoints", DataTable)
        keep = self.selected_endpoint
        table.clear()
        for e in self.endpoints:
            state = (
                Text(pgettext("endpoint", "enabled"))
                if e.enabled
                else Text(pgettext("endpoint", "disabled"), style="bold red")
            )
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
            state = Text(_delivery_state(d.state), style="bold red" if dead else "")
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
            title = _("Dead letters ({n}) — Enter replays").format(n=len(self.deliveries))
        elif selected is not None:
            title = _("Deliveries of {url}").format(url=selected.url)
        else:
            title = _("Deliveries")
        self.query_one("#deliveries-title", Static).update(Content(title))

    # Selection

    @property
    def selected_endpoint(self) -> EndpointOut | None:
        table: DataTable[str] = self.query_one("#webhook-endpoints", DataTable)
        if table.row_count == 0 or not self.endpoints:
            return None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        return next((e for e in self.endpoints if str(e.id) == row_key.value), None)

    @property
    def selected_delivery(self) -> DeliveryOut | None:
        table: DataTable[str] = self.query_one("#webhook-deliveries", DataTable)
        if table.row_count == 0:
            return None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
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
            self._status(
                _("Only dead letters are replayed (this one is {state}).").format(
                    state=_delivery_state(delivery.state)
                )
            )
            return
        self._replay(delivery.id)

    @work(exclusive=False, exit_on_error=False, group="webhooks-replay")
    async def _replay(self, delivery_id: uuid.UUID) -> None:
        try:
            replayed = await self._client.replay_webhook_delivery(delivery_id)
        except DaemonError as error:
            self._failed(_("Not replayed"), error)
            return
        self._status(
            _("Replay queued: {event} ({id}).").format(
                event=replayed.event_type.value, id=replayed.id
            )
        )
        self.notify(_("Queued again: the receiver gets the same event."), title=_("Replayed"))
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
            self._status(_("{url} registered.").format(url=saved.endpoint.url))
            self.app.push_screen(WebhookSecretDialog(saved))
        else:
            self._status(_("{url} changed.").format(url=saved.url))
        self._load_endpoints()

    def action_delete_endpoint(self) -> None:
        endpoint = self.selected_endpoint
        if endpoint is None:
            return
        confirm_then(
            self,
            _("Delete the endpoint {url}?").format(url=endpoint.url),
            _("Its deliveries and dead letters go with it; the receiver gets nothing more."),
            _("Delete"),
            lambda: self._delete(endpoint),
        )

    @work(exclusive=True, exit_on_error=False, group="webhooks-delete")
    async def _delete(self, endpoint: EndpointOut) -> None:
        try:
            await self._client.delete_webhook_endpoint(endpoint.id)
        except DaemonError as error:
            self._failed(_("Not deleted"), error)
            return
        self._status(_("{url} deleted.").format(url=endpoint.url))
        self._load_endpoints()

    def action_toggle_enabled(self) -> None:
        endpoint = self.selected_endpoint
        if endpoint is None:
            return
        if not endpoint.enabled:
            self._set_enabled(endpoint.id, True)
            return
        confirm_then(
            self,
            _("Disable the endpoint {url}?").format(url=endpoint.url),
            _("Its waiting deliveries become dead letters (replayable once it is enabled again)."),
            _("Disable"),
            lambda: self._set_enabled(endpoint.id, False),
        )

    @work(exclusive=True, exit_on_error=False, group="webhooks-enable")
    async def _set_enabled(self, endpoint_id: uuid.UUID, enabled: bool) -> None:
        try:
            out = await self._client.set_webhook_endpoint_enabled(endpoint_id, enabled)
        except DaemonError as error:
            self._failed(_("Not changed"), error)
            return
        done = (
            _("{url} enabled.")
            if out.enabled
            else _("{url} disabled (its waiting deliveries are dead letters).")
        )
        self._status(done.format(url=out.url))
        self._load_endpoints()

    def _status(self, text: str) -> None:
        # Content, not markup: URLs and the daemon's sentences may hold brackets.
        self.query_one("#webhooks-status", Static).update(Content(text))

    def _failed(self, title: str, error: DaemonError) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
            return
        self._status(error.message)
        self.notify(error.message, title=title, severity="error", markup=False)
