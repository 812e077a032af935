"""Admin → Queues: the tenant's queues and how each is set up.

``a`` adds a queue, enter (or ``e``) edits one in :class:`QueueFormScreen`, ``d`` deactivates a
queue (asked first: it stops taking new conversations) or reactivates it, ``x`` removes one
(asked first). The daemon removes only a queue nothing points at — one that held conversations
stays for its history and reports, and one a queue or a flow sends conversations to stays until
that changes — and its refusal says which, in a toast.
Another admin's change (a ``queue_changed`` event) shows by itself (``admin_live.py``).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from pytake_daemon.protocol.queues import QueueChanged, QueueOut, QueueSettings
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.messages import report_failure
from pytake_tui.queue_settings_form import format_hours
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.screens.admin_live import LivePage
from pytake_tui.screens.admin_queue_form import QueueFormScreen
from pytake_tui.vocabulary import queue_choice
from pytake_tui.widgets.footer import Footer

EMPTY = N_("No queues yet: a adds one.")


def _hours(queue: QueueOut) -> str:
    return format_hours(queue.business_hours) or _("always open")


class AdminQueuesScreen(LivePage):
    """One row per queue: routing, capacity, hours; the highlighted queue's messages below."""

    CSS_PATH = "admin_queues.tcss"
    LIVE_EVENTS = (QueueChanged,)
    BINDINGS = [
        Binding("a", "add", N_("Add")),
        Binding("e", "edit", N_("Edit")),
        Binding("d", "toggle_active", N_("Deactivate/activate")),
        Binding("x,delete", "remove", N_("Remove")),
        Binding("ctrl+r", "reload", N_("Refresh")),
        Binding("escape", "app.pop_screen", N_("Back")),
    ]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self._client = client
        self.queues: list[QueueOut] = []
        self.loads = 0
        """How many times a fresh list was shown (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="queues-page"):
            yield DataTable(id="admin-queues", cursor_type="row", zebra_stripes=True)
            yield Static("", id="queue-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#admin-queues", DataTable)
        for label, key, width in (
            (_("name"), "name", 14),
            (_("state"), "state", 8),
            (_("department"), "department", 10),
            (_("policy"), "policy", 12),
            (pgettext("most waiting, short", "max"), "max", 5),
            (_("hours"), "hours", 15),
        ):
            table.add_column(label, key=key, width=width)
        self.action_reload()

    @property
    def highlighted(self) -> QueueOut | None:
        row = self.query_one("#admin-queues", DataTable).cursor_row
        return self.queues[row] if 0 <= row < len(self.queues) else None

    @work(exclusive=True, exit_on_error=False, group="admin-queues")
    async def action_reload(self) -> None:
        try:
            queues = await self._client.queues()
        except DaemonError as error:
            report_failure(self, error, _("Could not load the queues"))
            return
        self.show(queues.items)

    def show(self, queues: list[QueueOut], *, select: QueueOut | None = None) -> None:
        """Show the queues by name, the cursor on ``select`` (else where it was)."""
        table = self.query_one("#admin-queues", DataTable)
        keep = select or self.highlighted
        self.queues = sorted(queues, key=lambda q: q.name.lower())
        table.clear()
        for q in self.queues:
            state = pgettext("queue", "active") if q.active else pgettext("queue", "inactive")
            policy = queue_choice(q.policy)
            department = q.department or pgettext("department", "any")
            table.add_row(
                q.name, state, department, policy, str(q.max_size), _hours(q), key=str(q.id)
            )  # fmt: skip
        ids = [q.id for q in self.queues]
        if keep is not None and keep.id in ids:
            table.move_cursor(row=ids.index(keep.id))
        self._detail()
        self.loads += 1

    @on(DataTable.RowHighlighted)
    def _detail(self) -> None:
        queue = self.highlighted
        detail = self.query_one("#queue-detail", Static)
        if queue is None:
            detail.update(_(EMPTY))
            return
        none = pgettext("queue detail", "none")
        # ISO dates: the form takes holidays in the same spelling.
        holidays = ", ".join(d.isoformat() for d in queue.holidays) or none
        lines = [
            _("hours: {hours} ({timezone})").format(hours=_hours(queue), timezone=queue.timezone),
            _("skills: {skills}").format(skills=", ".join(queue.required_skills) or none),
            _("when full: {overflow} · timeout: {minutes} min → {timeout}").format(
                overflow=queue_choice(queue.overflow_action),
                minutes=queue.max_wait_minutes,
                timeout=queue_choice(queue.timeout_action),
            ),
            _("holidays: {holidays}").format(holidays=holidays),
            _("welcome: {message}").format(message=queue.welcome_message or _("(none)")),
        ]
        detail.update("\n".join(lines))

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        queue = self.highlighted
        if queue is not None:
            self._open(queue)

    def action_add(self) -> None:
        self._open(None)

    def _open(self, queue: QueueOut | None) -> None:
        def saved(result: QueueOut | None) -> None:
            if result is not None:
                self.notify(_("Queue “{name}” saved").format(name=result.name))
                others = [q for q in self.queues if q.id != result.id]
                self.show([*others, result], select=result)

        form = QueueFormScreen(client=self._client, queue=queue, others=self.queues)
        self.app.push_screen(form, saved)

    def action_toggle_active(self) -> None:
        queue = self.highlighted
        if queue is None:
            return
        if not queue.active:
            self._set_active(queue, True)
            return

        confirm_then(
            self,
            _("Deactivate queue “{name}”?").format(name=queue.name),
            _("It takes no new conversations; those in it stay until they end."),
            _("Deactivate"),
            lambda: self._set_active(queue, False),
        )

    def action_remove(self) -> None:
        queue = self.highlighted
        if queue is None:
            return

        confirm_then(
            self,
            _("Remove queue “{name}”?").format(name=queue.name),
            _(
                "Only a queue that never held a conversation, and that no queue or flow sends "
                "conversations to, can go; deactivate the others."
            ),
            _("Remove"),
            lambda: self._remove(queue),
        )

    @work(exit_on_error=False, group="admin-queues-change")
    async def _remove(self, queue: QueueOut) -> None:
        try:
            await self._client.delete_queue(queue.id)
        except DaemonError as error:
            report_failure(self, error, _("Not removed"))
            return
        self.notify(_("Queue “{name}” removed").format(name=queue.name))
        self.show([q for q in self.queues if q.id != queue.id])

    @work(exit_on_error=False, group="admin-queues-change")
    async def _set_active(self, queue: QueueOut, active: bool) -> None:
        fields = set(QueueSettings.model_fields)
        values = {**queue.model_dump(include=fields), "active": active}
        settings = QueueSettings.model_validate(values)
        try:
            saved = await self._client.update_queue(queue.id, settings)
        except DaemonError as error:
            report_failure(self, error, _("Not changed"))
            return
        self.notify(
            (_("Queue “{name}” is active") if active else _("Queue “{name}” is inactive")).format(
                name=saved.name
            )
        )
        self.show([*(q for q in self.queues if q.id != saved.id), saved], select=saved)
