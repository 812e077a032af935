"""Admin → Agents: what each agent serves and when — skills, departments, capacity, working
hours and time zone — changed through the daemon's ``PUT /agents/{id}/status`` (which takes the
settings with the agent's current status, left as it is).

Enter (or ``e``) edits the highlighted agent; agents are people, so they are added and removed
on the Users page (an invitation, disabling).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header

from pytake_daemon.protocol.agents import AgentOut, AgentStatusChanged
from pytake_daemon.protocol.events import UserChanged
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.messages import report_failure
from pytake_tui.queue_settings_form import format_hours
from pytake_tui.screens.admin_agent_form import AgentFormScreen
from pytake_tui.screens.admin_live import LivePage
from pytake_tui.vocabulary import agent_status
from pytake_tui.widgets.footer import Footer


class AdminAgentsScreen(LivePage):
    """One row per agent: status, capacity, skills, departments, hours."""

    CSS_PATH = "admin_agents.tcss"
    # A status, capacity or account change; skills, departments and hours have no event yet.
    LIVE_EVENTS = (AgentStatusChanged, UserChanged)
    BINDINGS = [
        Binding("e", "edit", N_("Edit")),
        Binding("ctrl+r", "reload", N_("Refresh")),
        Binding("escape", "app.pop_screen", N_("Back")),
    ]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self._client = client
        self.agents: list[AgentOut] = []
        self.loads = 0
        """How many times a fresh list was shown (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="agents-page"):
            yield DataTable(id="admin-agents", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#admin-agents", DataTable)
        for label, key, width in (
            (_("name"), "name", 14),
            (_("status"), "status", 7),
            (pgettext("capacity, short", "cap"), "capacity", 3),
            (_("skills"), "skills", 12),
            (_("departments"), "departments", 11),
            (_("hours"), "hours", 19),
            (_("zone"), "zone", 19),
        ):
            table.add_column(label, key=key, width=width)
        self.action_reload()

    @property
    def highlighted(self) -> AgentOut | None:
        row = self.query_one("#admin-agents", DataTable).cursor_row
        return self.agents[row] if 0 <= row < len(self.agents) else None

    @work(exclusive=True, exit_on_error=False, group="admin-agents")
    async def action_reload(self) -> None:
        try:
            agents = await self._client.agents()
        except DaemonError as error:
            report_failure(self, error, _("Could not load the agents"))
            return
        self.show(agents.items)

    def show(self, agents: list[AgentOut], *, select: AgentOut | None = None) -> None:
        """Show the agents by name, the cursor on ``select`` (else where it was)."""
        table = self.query_one("#admin-agents", DataTable)
        keep = select or self.highlighted
        self.agents = sorted(agents, key=lambda a: a.name.lower())
        table.clear()
        for a in self.agents:
            hours = format_hours(a.working_hours) or pgettext("hours", "any time")
            table.add_row(
                a.name, agent_status(a.status), str(a.capacity), ", ".join(a.skills) or "-",
                ", ".join(a.departments) or "-", hours, a.timezone, key=str(a.id),
            )  # fmt: skip
        ids = [a.id for a in self.agents]
        if keep is not None and keep.id in ids:
            table.move_cursor(row=ids.index(keep.id))
        self.loads += 1

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        agent = self.highlighted
        if agent is None:
            return

        def saved(result: AgentOut | None) -> None:
            if result is not None:
                self.notify(_("{name}'s settings saved").format(name=result.name))
                self.show([*(a for a in self.agents if a.id != result.id), result], select=result)

        self.app.push_screen(AgentFormScreen(client=self._client, agent=agent), saved)
