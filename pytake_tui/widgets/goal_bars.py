"""Goals with progress bars, and this month's achievements under them."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from pytake_daemon.protocol.agents import GoalOut
from pytake_tui.dashboard_view import goal_deadline, goal_title, goal_value, progress_bar
from pytake_tui.i18n import _


def goal_lines(goals: list[GoalOut], achievements: list[str], *, editable: bool = False) -> Text:
    """One line a goal: title, bar, where it stands; then the month's achievements."""
    if not goals:
        hint = (
            _("No goals yet: press e to set one.")
            if editable
            else _("No goals yet: a supervisor sets them.")
        )
        text = Text(hint, style="dim")
    else:
        width = max(cell_len(goal_title(g)) for g in goals)
        lines = []
        for goal in goals:
            line = Text(goal_title(goal).ljust(width) + " ")
            line.append_text(progress_bar(goal.progress))
            line.append(f" {goal_value(goal)}")
            if goal.reached:
                line.append(" ✓", style="bold green")
            deadline = goal_deadline(goal)
            if deadline:
                line.append(f"  {deadline}", style="dim")
            lines.append(line)
        text = Text("\n").join(lines)
    if achievements:
        text.append("\n\n" + _("This month:") + " ", style="bold")
        text.append(" · ".join(f"◆ {a}" for a in achievements))
    return text


class GoalBars(Static):
    """The shown agent's goals (their own and their team's)."""

    def __init__(self, content: str = "", *, editable: bool = False, id: str | None = None) -> None:
        super().__init__(content, id=id)
        self._editable = editable
        """The viewer can set goals (a supervisor): the empty state says how."""

    def show(self, goals: list[GoalOut], achievements: list[str]) -> None:
        self.update(goal_lines(goals, achievements, editable=self._editable))
