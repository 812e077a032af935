"""The queues an invited agent will serve, ticked in the invitation form and in the setup
wizard's team step. On joining, the daemon gives the agent what each ticked queue requires
(its skills and department: ``invitations.service._serve_queues``), so distribution draws them
in; none ticked: the agent serves whatever their skills allow.

The list reads the tenant's queues once, when mounted; with none, or when they could not be
read, a line says so in its place (the invitation itself still works).
"""

from __future__ import annotations

import uuid

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _

NONE_YET = N_("No queues yet: an agent invited now serves any queue their skills allow.")


class InviteQueues(Vertical):
    """Space ticks a queue; :attr:`selected` is what the invitation carries."""

    DEFAULT_CSS = """
    InviteQueues { height: auto; }
    InviteQueues > SelectionList { height: auto; max-height: 6; }
    InviteQueues > .queues-hint { color: $text-muted; display: none; }
    """

    def __init__(self, client: DaemonClient, *, id: str = "queue_ids") -> None:
        super().__init__(id=id)
        self._client = client
        self.loaded = False
        """True once the queues were read, or failed to be (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield SelectionList[uuid.UUID](compact=True)
        yield Static("", classes="queues-hint")

    def on_mount(self) -> None:
        self._load()

    @property
    def selected(self) -> list[uuid.UUID]:
        return list(self.query_one(SelectionList).selected)

    @work(exclusive=True, exit_on_error=False, group="invite-queues")
    async def _load(self) -> None:
        try:
            queues = (await self._client.queues()).items
        except DaemonError as error:
            self._hint(_("The queues could not be read: {why}").format(why=error.message))
            return
        picker: SelectionList[uuid.UUID] = self.query_one(SelectionList)
        picker.add_options(Selection(q.name, q.id) for q in sorted(queues, key=lambda q: q.name))
        picker.display = bool(queues)
        if not queues:
            self._hint(_(NONE_YET))
        self.loaded = True

    def _hint(self, text: str) -> None:
        hint = self.query_one(".queues-hint", Static)
        hint.update(Content(text))  # the daemon's sentence may hold brackets
        hint.display = True
        self.loaded = True
