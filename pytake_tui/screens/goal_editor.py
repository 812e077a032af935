"""Supervisors set, change and remove an agent's goals (``e`` on the dashboard).

A modal over the dashboard: the shown agent's goals (their own and their team's) in a table, and
one form under it. Enter on a goal loads it into the form for a change (kind and scope stay:
the daemon changes only target, period and deadline); ``n`` empties the form for a new goal.
It dismisses with True when anything changed, so the dashboard reads the goals again.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Static

from pytake_daemon.protocol.agents import GoalCreate, GoalKind, GoalOut, GoalPeriod, GoalUpdate
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.dashboard_view import goal_deadline, goal_title
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.validation_words import validation_sentence

KIND_LABELS: dict[GoalKind, str] = {
    GoalKind.DAILY_CONVERSATIONS: N_("Conversations finished (at least)"),
    GoalKind.SATISFACTION: N_("Average rating 1-5 (at least)"),
    GoalKind.RESPONSE_TIME: N_("First reply in seconds (at most)"),
    GoalKind.EFFICIENCY: N_("Resolution rate % (at least)"),
    GoalKind.QUALITY: N_("Ratings of 4-5 in % (at least)"),
}


def _period(period: GoalPeriod) -> str:
    return {
        GoalPeriod.DAY: pgettext("goal period", "day"),
        GoalPeriod.WEEK: pgettext("goal period", "week"),
        GoalPeriod.MONTH: pgettext("goal period", "month"),
    }.get(period, period.value)


class GoalFormError(ValueError):
    """What is wrong with the form, as one sentence for a toast."""


def read_deadline(text: str) -> date | None:
    """``2026-12-31`` or nothing; anything else is a :class:`GoalFormError`."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GoalFormError(_("Write the deadline as YYYY-MM-DD, or leave it empty.")) from None


def read_target(text: str) -> float:
    try:
        target = float(text.strip().replace(",", "."))
    except ValueError:
        raise GoalFormError(_("The target is a number, e.g. 12 or 4.5.")) from None
    if target <= 0:
        raise GoalFormError(_("The target must be above zero."))
    return target


class GoalEditor(ModalScreen[bool]):
    """The shown agent's goals: pick one to change or remove it, or write a new one."""

    CSS_PATH = "goal_editor.tcss"
    BINDINGS = [
        Binding("escape", "close", N_("Close")),
        Binding("n", "new", N_("New goal")),
        Binding("delete", "remove", N_("Remove goal")),
        Binding("ctrl+s", "save", N_("Save")),
    ]

    def __init__(
        self, client: DaemonClient, agent_id: uuid.UUID, agent_name: str, goals: list[GoalOut]
    ) -> None:
        super().__init__()
        self._client = client
        self._agent_id = agent_id
        self._agent_name = agent_name
        self.goals = goals
        self.editing: GoalOut | None = None
        """The goal the form changes; None: the form makes a new one."""
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="goal-editor"):
            yield Static(
                _("Goals of {agent_name}").format(agent_name=self._agent_name),
                classes="dialog-title",
            )
            yield DataTable(id="goal-list", cursor_type="row", zebra_stripes=True)
            yield Static(_("New goal"), id="form-title", classes="section")
            with Horizontal(classes="form-row"):
                yield Label(_("Kind"), classes="field-label")
                yield Select(
                    [(_(label), kind.value) for kind, label in KIND_LABELS.items()],
                    value=GoalKind.DAILY_CONVERSATIONS.value,
                    allow_blank=False,
                    compact=True,
                    id="goal-kind",
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Target"), classes="field-label")
                yield Input(placeholder=_("e.g. 12"), compact=True, id="goal-target")
                yield Label(_("per"), classes="field-label-short")
                yield Select(
                    [(_period(p), p.value) for p in GoalPeriod],
                    value=GoalPeriod.DAY.value,
                    allow_blank=False,
                    compact=True,
                    id="goal-period",
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Deadline"), classes="field-label")
                yield Input(
                    placeholder=_("YYYY-MM-DD (optional)"), compact=True, id="goal-deadline"
                )
            yield Checkbox(
                _("for the agent's whole team (their first department)"),
                compact=True,
                id="goal-team",
            )
            with Horizontal(id="goal-buttons"):
                yield Button(_("Save"), id="save-goal", variant="primary", compact=True)
                yield Button(_("New"), id="new-goal", compact=True)
                yield Button(_("Remove"), id="remove-goal", variant="error", compact=True)
            yield Static(
                _("enter on a goal: change it · n new · del remove · ctrl+s save · esc close"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        table: DataTable[str] = self.query_one("#goal-list", DataTable)
        table.add_columns(_("goal"), _("scope"), _("deadline"))
        self._fill()
        self.action_new()

    def _fill(self) -> None:
        table: DataTable[str] = self.query_one("#goal-list", DataTable)
        table.clear()
        for goal in self.goals:
            scope = (
                pgettext("goal scope", "agent")
                if goal.scope == "agent"
                else _("team {department}").format(department=goal.department)
            )
            table.add_row(goal_title(goal), scope, goal_deadline(goal) or "—", key=str(goal.id))
        self.query_one("#goal-list").display = bool(self.goals)

    @on(DataTable.RowSelected, "#goal-list")
    def _picked(self, event: DataTable.RowSelected) -> None:
        goal = next((g for g in self.goals if str(g.id) == event.row_key.value), None)
        if goal is not None:
            self._load_form(goal)

    def _load_form(self, goal: GoalOut | None) -> None:
        self.editing = goal
        title = _("New goal") if goal is None else _("Change: {goal}").format(goal=goal_title(goal))
        self.query_one("#form-title", Static).update(title)
        kind = self.query_one("#goal-kind", Select)
        team = self.query_one("#goal-team", Checkbox)
        kind.value = (goal.kind if goal else GoalKind.DAILY_CONVERSATIONS).value
        team.value = goal is not None and goal.scope == "team"
        # The daemon changes target, period and deadline; kind and scope make another goal.
        kind.disabled = team.disabled = goal is not None
        self.query_one("#remove-goal", Button).disabled = goal is None
        self.query_one("#goal-target", Input).value = f"{goal.target:g}" if goal else ""
        self.query_one("#goal-period", Select).value = (
            goal.period if goal else GoalPeriod.DAY
        ).value
        deadline = goal.deadline.isoformat() if goal and goal.deadline else ""
        self.query_one("#goal-deadline", Input).value = deadline

    def action_new(self) -> None:
        self._load_form(None)
        self.query_one("#goal-target", Input).focus()

    @on(Button.Pressed, "#new-goal")
    def _new_pressed(self) -> None:
        self.action_new()

    @on(Button.Pressed, "#save-goal")
    @on(Input.Submitted)
    def action_save(self) -> None:
        try:
            target = read_target(self.query_one("#goal-target", Input).value)
            deadline = read_deadline(self.query_one("#goal-deadline", Input).value)
        except GoalFormError as problem:
            self.notify(str(problem), title=_("Goal not saved"), severity="warning")
            return
        period = GoalPeriod(str(self.query_one("#goal-period", Select).value))
        try:
            if self.editing is None:
                request: GoalCreate | GoalUpdate = GoalCreate(
                    kind=GoalKind(str(self.query_one("#goal-kind", Select).value)),
                    target=target,
                    period=period,
                    deadline=deadline,
                    team=self.query_one("#goal-team", Checkbox).value,
                )
            else:
                request = GoalUpdate(target=target, period=period, deadline=deadline)
        except ValidationError as error:  # the model's own bounds, should the form miss one
            self.notify(
                validation_sentence(error.errors(include_url=False, include_input=False)[0]),
                title=_("Goal not saved"),
                severity="warning",
            )
            return
        self._save(self.editing.id if self.editing else None, request)

    @work(exclusive=True, exit_on_error=False, group="goal-save")
    async def _save(self, goal_id: uuid.UUID | None, request: GoalCreate | GoalUpdate) -> None:
        try:
            if isinstance(request, GoalCreate):
                await self._client.create_goal(self._agent_id, request)
            else:
                assert goal_id is not None
                await self._client.change_goal(self._agent_id, goal_id, request)
            goals = await self._client.agent_goals(self._agent_id)
        except DaemonError as error:
            self.notify(error.message, title=_("Goal not saved"), severity="error")
            return
        self._reloaded(goals.items, _("Goal saved"))

    @on(Button.Pressed, "#remove-goal")
    def action_remove(self) -> None:
        if self.editing is None:
            self.notify(_("Pick a goal in the list first."), severity="warning")
            return
        self._remove(self.editing.id)

    @work(exclusive=True, exit_on_error=False, group="goal-save")
    async def _remove(self, goal_id: uuid.UUID) -> None:
        try:
            await self._client.delete_goal(self._agent_id, goal_id)
            goals = await self._client.agent_goals(self._agent_id)
        except DaemonError as error:
            self.notify(error.message, title=_("Goal not removed"), severity="error")
            return
        self._reloaded(goals.items, _("Goal removed"))

    def _reloaded(self, goals: list[GoalOut], what: str) -> None:
        self.changed = True
        self.goals = goals
        self._fill()
        self.action_new()
        self.notify(what)

    def action_close(self) -> None:
        self.dismiss(self.changed)
