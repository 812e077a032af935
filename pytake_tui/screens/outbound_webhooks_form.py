"""Outbound webhooks' dialogs: an endpoint's form (a new one: URL, description, event types; an
existing one: its description and event types, since the daemon keeps an endpoint's URL), and
the new endpoint's signing secret, shown once.

The form is checked by the protocol before it is sent and by the daemon after (the SSRF guard
refuses private addresses only there); either refusal shows under its field
(``widgets/admin_form.py``). The form sends itself, so a refusal keeps it open with what was
typed.
"""

from __future__ import annotations

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from pytake_daemon.protocol.outbound_webhooks import (
    EndpointCreate,
    EndpointCreated,
    EndpointOut,
    EndpointUpdate,
    WebhookEventType,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.widgets.admin_form import (
    FOCUS_KEYS,
    FieldRow,
    FormError,
    daemon_problems,
    show_problems,
    validation_problems,
)

_CSS = "outbound_webhooks_form.tcss"

EVENT_HINTS = {
    WebhookEventType.MESSAGE_RECEIVED: N_("message.received: a customer wrote"),
    WebhookEventType.MESSAGE_SENT: N_("message.sent: we wrote (agent, flow, template)"),
    WebhookEventType.MESSAGE_STATUS: N_("message.status: delivered, read, failed"),
    WebhookEventType.CONVERSATION_OPENED: "conversation.opened",
    WebhookEventType.CONVERSATION_ASSIGNED: N_("conversation.assigned: to an agent"),
    WebhookEventType.CONVERSATION_CLOSED: "conversation.closed",
    WebhookEventType.RATING_RECEIVED: N_("rating.received: a CSAT answer"),
    WebhookEventType.FLOW_COMPLETED: "flow.completed",
    WebhookEventType.CONTACT_UPDATED: "contact.updated",
}

Saved = EndpointCreated | EndpointOut
"""What the form dismisses with: a new endpoint with its secret, or the changed one."""


class EndpointFormDialog(ModalScreen[Saved | None]):
    """A new endpoint (``endpoint`` None) or an existing one's description and event types."""

    CSS_PATH = _CSS
    BINDINGS = [
        *FOCUS_KEYS,
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "dismiss(None)", N_("Cancel")),
    ]

    def __init__(self, *, client: DaemonClient, endpoint: EndpointOut | None) -> None:
        super().__init__()
        self._client = client
        self._endpoint = endpoint

    def compose(self) -> ComposeResult:
        endpoint = self._endpoint
        chosen = set(endpoint.event_types) if endpoint else {WebhookEventType.MESSAGE_RECEIVED}
        with Vertical(classes="webhook-dialog"):
            title = _("New webhook endpoint") if endpoint is None else _("Webhook endpoint")
            yield Static(
                _("{title} · ctrl+s saves · escape cancels").format(title=title),
                classes="dialog-title",
            )
            yield FormError()
            self._url = url = Input(
                endpoint.url if endpoint else "",
                placeholder="https://crm.example.com/pytake/hooks",
                id="field-url",
                compact=True,
                disabled=endpoint is not None,
            )
            label = _("URL (kept once registered)") if endpoint else _("URL (http or https)")
            yield FieldRow(label, url, name="url")
            self._description = description = Input(
                endpoint.description if endpoint else "",
                placeholder=_("what receives it"),
                id="field-description",
                compact=True,
            )
            yield FieldRow(_("Description"), description, name="description")
            events = SelectionList[WebhookEventType](
                *(Selection(_(hint), kind, kind in chosen) for kind, hint in EVENT_HINTS.items()),
                id="field-event_types",
                compact=True,
            )
            yield FieldRow(_("Events (space toggles)"), events, name="event_types")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    _("Register") if endpoint is None else _("Save"), id="save", variant="primary"
                )
                yield Button(_("Cancel (esc)"), id="cancel")

    def on_mount(self) -> None:
        # The fields are held, not queried: they mount with their rows, after this screen's
        # own mount has begun.
        (self._url if self._endpoint is None else self._description).focus()

    def _chosen(self) -> list[WebhookEventType]:
        selected = self.query_one("#field-event_types", SelectionList).selected
        # In the list's order, not the order they were ticked: the audit's diff stays stable.
        return [kind for kind in EVENT_HINTS if kind in selected]

    def action_save(self) -> None:
        description = self._description.value.strip()
        body: EndpointCreate | EndpointUpdate
        try:
            if self._endpoint is None:
                body = EndpointCreate(
                    url=self._url.value,
                    description=description,
                    event_types=self._chosen(),
                )
            else:
                body = EndpointUpdate(description=description, event_types=self._chosen())
        except ValidationError as error:
            show_problems(self, validation_problems(error))
            return
        show_problems(self, [])
        self._send(body)

    @work(exclusive=True, exit_on_error=False, group="webhook-form")
    async def _send(self, body: EndpointCreate | EndpointUpdate) -> None:
        saved: Saved
        try:
            if isinstance(body, EndpointCreate):
                saved = await self._client.create_webhook_endpoint(body)
            else:
                assert self._endpoint is not None  # an update only comes from an edit
                saved = await self._client.update_webhook_endpoint(self._endpoint.id, body)
        except DaemonError as error:
            shown = show_problems(self, daemon_problems(error))
            self.notify("; ".join(shown), title=_("Not saved"), severity="warning", markup=False)
            return
        self.dismiss(saved)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _submitted(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class WebhookSecretDialog(ModalScreen[None]):
    """A new endpoint's signing secret, this once (the daemon keeps it sealed, never shown)."""

    CSS_PATH = _CSS
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Close"))]

    def __init__(self, created: EndpointCreated) -> None:
        super().__init__()
        self._created = created

    def compose(self) -> ComposeResult:
        with Vertical(classes="webhook-dialog"):
            yield Static(
                _("Registered {url}").format(url=self._created.endpoint.url), classes="dialog-title"
            )
            yield Static(_("Its signing secret; copy it now, it is not shown again:"))
            # An Input, so the secret can be selected and copied from the terminal.
            yield Input(self._created.secret, id="webhook-secret", compact=True)
            yield Static(
                _("The receiver checks X-PyTake-Signature with it (docs/webhooks.md)."),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close"), id="close", variant="primary")

    def on_mount(self) -> None:
        secret = self.query_one("#webhook-secret", Input)
        secret.focus()
        secret.select_all()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
