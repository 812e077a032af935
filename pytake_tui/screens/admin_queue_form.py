"""Admin → Queues → a queue's settings: every field of the daemon's ``QueueSettings``, grouped
(routing, capacity and timeouts, hours, messages); ``ctrl+s`` saves, escape leaves unsaved.

The form is checked by the protocol before it is sent and by the daemon after; either refusal
shows under the field it is about (``widgets/admin_form.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Select, Static, Switch

from pytake_daemon.protocol.queues import (
    OutOfHoursAction,
    OverflowAction,
    Policy,
    QueueOut,
    QueueSettings,
    TimeoutAction,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.queue_settings_form import (
    CHOICE_FIELDS,
    NUMBER_FIELDS,
    TEXT_FIELDS,
    HoursFormatError,
    form_values,
    settings_document,
)
from pytake_tui.vocabulary import queue_choice
from pytake_tui.widgets.admin_form import (
    FOCUS_KEYS,
    FieldRow,
    FormError,
    daemon_problems,
    show_problems,
    validation_problems,
)
from pytake_tui.widgets.footer import Footer

_LABELS = {
    "name": N_("Name"),
    "description": N_("Description"),
    "department": N_("Department (agents of it only; blank: anyone)"),
    "required_skills": N_("Required skills (comma-separated)"),
    "policy": N_("Distribution"),
    "active": N_("Active (accepts new conversations)"),
    "max_size": N_("Capacity: most conversations waiting"),
    "overflow_action": N_("When full"),
    "overflow_queue_id": N_("Overflow queue"),
    "max_wait_minutes": N_("Timeout: most minutes waiting"),
    "timeout_action": N_("On timeout"),
    "timeout_queue_id": N_("Timeout queue"),
    "timezone": N_("Time zone (IANA, e.g. America/Sao_Paulo)"),
    "business_hours": N_("Hours (e.g. mon-fri 09:00-18:00; sat 09:00-13:00; blank: always open)"),
    "holidays": N_("Holidays, closed all day (YYYY-MM-DD, comma-separated)"),
    "out_of_hours_action": N_("Out of hours"),
    "out_of_hours_queue_id": N_("Out-of-hours queue"),
    "welcome_message": N_("Welcome ({position}, {wait_minutes}, {queue} are filled in)"),
    "position_message": N_("Position update"),
    "position_update_seconds": N_("At most one position update per (seconds)"),
    "out_of_hours_message": N_("Out-of-hours message"),
    "timeout_message": N_("Timeout message"),
    "full_message": N_("Queue-full message"),
    "first_response_target_seconds": N_("First-response target (seconds, reports)"),
}
_SECTIONS = {
    "name": N_("Routing"),
    "max_size": N_("Capacity, overflow and timeouts"),
    "timezone": N_("Hours and holidays"),
    "welcome_message": N_("Customer messages"),
}
_ORDER = (
    "name", "description", "department", "required_skills", "policy", "active",
    "max_size", "overflow_action", "overflow_queue_id", "max_wait_minutes", "timeout_action",
    "timeout_queue_id", "timezone", "business_hours", "holidays", "out_of_hours_action",
    "out_of_hours_queue_id", "welcome_message", "position_message", "position_update_seconds",
    "out_of_hours_message", "timeout_message", "full_message", "first_response_target_seconds",
)  # fmt: skip
_ENUMS: dict[str, type[Any]] = {
    "policy": Policy,
    "timeout_action": TimeoutAction,
    "overflow_action": OverflowAction,
    "out_of_hours_action": OutOfHoursAction,
}


class QueueFormScreen(Screen[QueueOut | None]):
    """A new queue (``queue`` None) or an existing one's settings; dismisses with the saved one."""

    CSS_PATH = "admin_queue_form.tcss"
    BINDINGS = [
        *FOCUS_KEYS,
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "dismiss(None)", N_("Cancel")),
    ]

    def __init__(
        self, *, client: DaemonClient, queue: QueueOut | None, others: list[QueueOut]
    ) -> None:
        super().__init__()
        self._client = client
        self._queue = queue
        self._others = [q for q in others if queue is None or q.id != queue.id]
        self._values = form_values(queue)

    def compose(self) -> ComposeResult:
        yield Header()
        title = _("Queue “{name}”").format(name=self._queue.name) if self._queue else _("New queue")
        yield Static(
            _("{title} · ctrl+s saves · escape cancels").format(title=title), id="queue-form-title"
        )
        with VerticalScroll(id="queue-form"):
            yield FormError()
            for name in _ORDER:
                if name in _SECTIONS:
                    yield Static(_(_SECTIONS[name]), classes="form-section")
                yield FieldRow(_(_LABELS[name]), self._field(name), name=name)
        yield Footer()

    def _field(self, name: str) -> Widget:
        value = self._values[name]
        if name == "active":
            return Switch(value, id="field-active")
        if name in _ENUMS:
            options = [(queue_choice(member), member) for member in _ENUMS[name]]
            return Select(options, value=value, allow_blank=False, id=f"field-{name}")
        if name.endswith("_queue_id"):
            targets = [(q.name, q.id) for q in self._others]
            return Select(
                targets, value=value or Select.BLANK, prompt=_("(none)"), id=f"field-{name}"
            )
        if name in NUMBER_FIELDS:
            return Input(str(value), type="integer", id=f"field-{name}")
        return Input(str(value), id=f"field-{name}")

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()

    def values(self) -> dict[str, Any]:
        """What the form holds now, by field name."""
        values: dict[str, Any] = {"timeout_flow_id": self._values["timeout_flow_id"]}
        for name in (*TEXT_FIELDS, *NUMBER_FIELDS, "required_skills", "holidays"):
            values[name] = self.query_one(f"#field-{name}", Input).value
        values["business_hours"] = self.query_one("#field-business_hours", Input).value
        for name in CHOICE_FIELDS:
            chosen = self.query_one(f"#field-{name}", Select).value
            values[name] = None if chosen is Select.BLANK else chosen
        values["active"] = self.query_one("#field-active", Switch).value
        return values

    def action_save(self) -> None:
        try:
            settings = QueueSettings.model_validate(settings_document(self.values()))
        except HoursFormatError as error:
            show_problems(self, [("business_hours", str(error))])
            return
        except ValidationError as error:
            show_problems(self, validation_problems(error))
            return
        show_problems(self, [])
        self._send(self._queue.id if self._queue else None, settings)

    @work(exclusive=True, exit_on_error=False, group="queue-form")
    async def _send(self, queue_id: uuid.UUID | None, settings: QueueSettings) -> None:
        try:
            if queue_id is None:
                saved = await self._client.create_queue(settings)
            else:
                saved = await self._client.update_queue(queue_id, settings)
        except DaemonError as error:
            shown = show_problems(self, daemon_problems(error))
            self.notify("; ".join(shown), title=_("Not saved"), severity="warning")
            return
        self.dismiss(saved)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()
