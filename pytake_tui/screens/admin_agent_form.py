"""Admin → Agents → one agent's settings: capacity, skills, departments, working hours, time
zone, and whether a full agent shows as busy. ``ctrl+s`` saves, escape leaves unsaved; a
refusal (the protocol's or the daemon's) shows under its field."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static, Switch

from pytake_daemon.protocol.agents import AgentOut, AgentStatusUpdate
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.queue_settings_form import (
    HoursFormatError,
    format_hours,
    parse_hours,
    split_list,
)
from pytake_tui.widgets.admin_form import (
    FOCUS_KEYS,
    FieldRow,
    FormError,
    daemon_problems,
    show_problems,
    validation_problems,
)


def agent_update(agent: AgentOut, values: dict[str, Any]) -> AgentStatusUpdate:
    """The form's values as the daemon's update, with the agent's status unchanged (raises
    HoursFormatError or ValidationError). Blank hours are sent as null: available any time."""
    return AgentStatusUpdate.model_validate(
        {
            "status": agent.status,
            "capacity": values["capacity"].strip(),
            "skills": split_list(values["skills"]),
            "departments": split_list(values["departments"]),
            "working_hours": parse_hours(values["working_hours"]),
            "timezone": values["timezone"].strip(),
            "busy_at_capacity": values["busy_at_capacity"],
        }
    )


class AgentFormScreen(ModalScreen[AgentOut | None]):
    """Dismisses with the agent as the daemon saved them, or None."""

    CSS_PATH = "admin_agent_form.tcss"
    BINDINGS = [
        *FOCUS_KEYS,
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "dismiss(None)", N_("Cancel")),
    ]

    def __init__(self, *, client: DaemonClient, agent: AgentOut) -> None:
        super().__init__()
        self._client = client
        self._agent = agent

    def compose(self) -> ComposeResult:
        a = self._agent
        with VerticalScroll(id="agent-form"):
            yield Static(
                _("{name} ({email}) · ctrl+s saves").format(name=a.name, email=a.email),
                classes="dialog-title",
            )
            yield FormError()
            yield FieldRow(
                _("Capacity: conversations at once"),
                Input(str(a.capacity), type="integer", id="field-capacity"),
                name="capacity",
            )
            yield FieldRow(
                _("Skills (comma-separated)"),
                Input(", ".join(a.skills), id="field-skills"),
                name="skills",
            )
            yield FieldRow(
                _("Departments (comma-separated)"),
                Input(", ".join(a.departments), id="field-departments"),
                name="departments",
            )
            yield FieldRow(
                _("Working hours (e.g. mon-fri 09:00-18:00; blank: any time)"),
                Input(format_hours(a.working_hours), id="field-working_hours"),
                name="working_hours",
            )
            yield FieldRow(_("Time zone"), Input(a.timezone, id="field-timezone"), name="timezone")
            yield FieldRow(
                _("Busy at capacity"),
                Switch(a.busy_at_capacity, id="field-busy_at_capacity"),
                name="busy_at_capacity",
            )

    def on_mount(self) -> None:
        self.query_one("#field-capacity", Input).focus()

    def values(self) -> dict[str, Any]:
        """What the form holds now, by field name."""
        values: dict[str, Any] = {
            name: self.query_one(f"#field-{name}", Input).value
            for name in ("capacity", "skills", "departments", "working_hours", "timezone")
        }
        values["busy_at_capacity"] = self.query_one("#field-busy_at_capacity", Switch).value
        return values

    @on(Input.Submitted)
    def action_save(self) -> None:
        try:
            update = agent_update(self._agent, self.values())
        except HoursFormatError as error:
            show_problems(self, [("working_hours", str(error))])
            return
        except ValidationError as error:
            show_problems(self, validation_problems(error))
            return
        show_problems(self, [])
        self._send(update)

    @work(exclusive=True, exit_on_error=False, group="agent-form")
    async def _send(self, update: AgentStatusUpdate) -> None:
        try:
            saved = await self._client.set_agent_settings(self._agent.id, update)
        except DaemonError as error:
            show_problems(self, daemon_problems(error))
            return
        self.dismiss(saved)
