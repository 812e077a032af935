"""The leaderboard's challenges for supervisors (``m``): every challenge not over yet (or over
this month), with its metric, days and team; Enter (or ``e``) changes the highlighted one in
the challenge dialog, ``x`` ends it today (asked), ``delete`` removes it (asked). The daemon
says why a change is refused (a 409: not started yet, over already) and the list stays.
"""

from __future__ import annotations

import uuid

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pytake_daemon.protocol.gamification import ChallengeCreate, ChallengeOut
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.gamification_view import day_span, metric_name, short_day
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.messages import SessionExpired
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.screens.challenge_dialog import ChallengeDialog
from pytake_tui.widgets.footer import Footer

EMPTY = N_("No challenges. c on the leaderboard creates one.")


def _team(challenge: ChallengeOut) -> str:
    if challenge.department:
        return _("department {name}").format(name=challenge.department)
    return _("a queue") if challenge.queue_id else pgettext("team", "everyone")


class ChallengeManager(ModalScreen[bool]):
    """Dismisses True when something changed (the leaderboard reads its side again)."""

    CSS_PATH = "challenge_manager.tcss"
    BINDINGS = [
        Binding("e", "change", N_("Change")),
        Binding("x", "end", N_("End today")),
        Binding("delete", "remove", N_("Remove")),
        Binding("escape", "close", N_("Close")),
    ]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self._client = client
        self.challenges: list[ChallengeOut] = []
        self.changed = False
        self.loads = 0
        """How many times a fresh list was shown (tests wait on it)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="challenges"):
            yield Static(_("Challenges · e change · x end today · delete remove"), classes="title")
            yield DataTable(id="challenge-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="challenges-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#challenge-table", DataTable)
        # Widths follow the content: at 80 columns the table scrolls sideways, nothing is cut.
        for label, key in (
            (_("title"), "title"),
            (_("goal"), "goal"),
            (_("days"), "days"),
            (_("team"), "team"),
        ):
            table.add_column(label, key=key)
        self._load()

    @work(exclusive=True, exit_on_error=False, group="challenges")
    async def _load(self) -> None:
        try:
            listed = await self._client.challenges()
        except DaemonError as error:
            self._failed(_("Could not read the challenges"), error)
            return
        self.challenges = listed.items
        table: DataTable[str] = self.query_one("#challenge-table", DataTable)
        keep = table.cursor_row
        table.clear()
        for c in self.challenges:
            goal = f"{metric_name(c.metric)} ≥ {c.threshold}"
            days = day_span(c.first_day, c.last_day)
            table.add_row(c.title, goal, days, _team(c), key=str(c.id))
        if self.challenges:
            table.move_cursor(row=min(keep, len(self.challenges) - 1))
        else:
            self._status(_(EMPTY))
        self.loads += 1

    @property
    def highlighted(self) -> ChallengeOut | None:
        row = self.query_one("#challenge-table", DataTable).cursor_row
        return self.challenges[row] if 0 <= row < len(self.challenges) else None

    def on_data_table_row_selected(self) -> None:
        self.action_change()

    def action_change(self) -> None:
        challenge = self.highlighted
        if challenge is None:
            return

        def chosen(body: ChallengeCreate | None) -> None:
            if body is not None:
                self._change(challenge.id, body)

        dialog = ChallengeDialog(challenge.first_day, challenge.last_day, challenge=challenge)
        self.app.push_screen(dialog, chosen)

    @work(exclusive=True, exit_on_error=False, group="challenge-change")
    async def _change(self, challenge_id: uuid.UUID, body: ChallengeCreate) -> None:
        try:
            saved = await self._client.change_challenge(challenge_id, body)
        except DaemonError as error:
            self._failed(_("Challenge not changed"), error)
            return
        self._done(_("“{title}” changed.").format(title=saved.title))

    def action_end(self) -> None:
        challenge = self.highlighted
        if challenge is None:
            return
        confirm_then(
            self,
            _("End “{title}” today?").format(title=challenge.title),
            _("Its last day becomes today (the tenant's time zone): today's work still counts."),
            _("End"),
            lambda: self._end(challenge),
        )

    @work(exclusive=True, exit_on_error=False, group="challenge-end")
    async def _end(self, challenge: ChallengeOut) -> None:
        try:
            ended = await self._client.end_challenge(challenge.id)
        except DaemonError as error:
            self._failed(_("Challenge not ended"), error)
            return
        self._done(
            _("“{title}” ends {day}.").format(title=ended.title, day=short_day(ended.last_day))
        )

    def action_remove(self) -> None:
        challenge = self.highlighted
        if challenge is None:
            return
        confirm_then(
            self,
            _("Remove “{title}”?").format(title=challenge.title),
            _("It leaves every agent's board; points already earned stay."),
            _("Remove"),
            lambda: self._remove(challenge),
        )

    @work(exclusive=True, exit_on_error=False, group="challenge-remove")
    async def _remove(self, challenge: ChallengeOut) -> None:
        try:
            await self._client.remove_challenge(challenge.id)
        except DaemonError as error:
            self._failed(_("Challenge not removed"), error)
            return
        self._done(_("“{title}” removed.").format(title=challenge.title))

    def action_close(self) -> None:
        self.dismiss(self.changed)

    def _done(self, text: str) -> None:
        self.changed = True
        self._status(text)
        self._load()

    def _status(self, text: str) -> None:
        # Content, not markup: titles and the daemon's sentences may hold brackets.
        self.query_one("#challenges-status", Static).update(Content(text))

    def _failed(self, title: str, error: DaemonError) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
            return
        self._status(error.message)
        self.notify(error.message, title=title, severity="error", markup=False)
