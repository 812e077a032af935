"""Canned responses (f12): the replies the user may insert, to add, edit, share and remove.

Agents see their own replies and the team's (their departments'), and manage their own;
supervisors manage the team's and share a reply of theirs with the team or one department
(``s``). The daemon holds the rules (``pytake_daemon/ai/replies.py``); the screen only hides
what it would refuse and says so before asking. In the chat, ``ctrl+b`` picks one and ``/`` at
the start of the draft completes a shortcut.
"""

from __future__ import annotations

import uuid

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.ai import ReplyOut, ReplyQuery, ReplyScope
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.messages import report_failure
from pytake_tui.navigation import SessionContext
from pytake_tui.replies import may_manage, one_line, scope_label
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.screens.canned_replies_dialogs import ReplyEditor, ShareDialog
from pytake_tui.widgets.footer import Footer

# Widths that fit 80 columns with the cells' padding; the title takes what a wide terminal adds.
COLUMNS = (
    ("title", N_("title"), 28),
    ("shortcut", N_("shortcut"), 13),
    ("who", N_("who"), 6),
    ("department", N_("department"), 11),
    ("lang", N_("lang"), 4),
)
"""(key, ``N_`` title, width) of each column."""
EMPTY = N_("No canned responses yet: a adds one (also `pytake replies add` on the server).")
TEAM_ONLY = N_("The team's replies are managed by supervisors: a adds one of your own.")


def whose(reply: ReplyOut) -> str:
    """Whose the reply is: "yours alone", "the team's", "the billing department's"."""
    if reply.department:
        return _("the {department} department's").format(department=reply.department)
    return _("yours alone") if reply.scope is ReplyScope.PERSONAL else _("the team's")


class CannedRepliesScreen(Screen[None]):
    """The list of usable replies, the highlighted one's text under it."""

    CSS_PATH = "canned_replies.tcss"
    BINDINGS = [
        Binding("a", "add", N_("Add")),
        Binding("e", "edit", N_("Edit")),
        Binding("s", "share", N_("Share")),
        Binding("d,delete", "remove", N_("Remove")),
        Binding("r", "reload", N_("Refresh")),
    ]

    def __init__(self, *, client: DaemonClient, me: Me) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self.replies: list[ReplyOut] = []
        """As the daemon lists them: the user's own first, then the team's."""
        self.loads = 0
        """How many times a fresh list was shown (tests wait on it)."""

    @property
    def supervises(self) -> bool:
        return self._me.role.at_least(Role.SUPERVISOR)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="replies-page"):
            yield Static(self._legend(), id="replies-legend")
            yield DataTable(id="replies", cursor_type="row", zebra_stripes=True)
            yield Static(_(EMPTY), id="replies-empty")
            yield Static(id="reply-preview")
        yield Footer()

    def _legend(self) -> str:
        if self.supervises:
            return _("Yours and the team's · you manage both · s shares yours or moves the team's")
        return _("Yours and your team's · you manage yours; a supervisor manages the team's")

    def on_mount(self) -> None:
        table: DataTable[str] = self.query_one("#replies", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(_(label), width=width, key=key)
        self.action_reload()

    def on_screen_resume(self) -> None:
        # Replies change elsewhere too (another supervisor, the CLI) and carry no live event.
        if self.loads:
            self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "share":
            # Moving a reply between scopes needs the right to manage both: a supervisor's.
            return self.supervises
        return True

    # Loading

    def action_reload(self) -> None:
        """Read the list again."""
        self._load()

    @work(exclusive=True, exit_on_error=False, group="replies")
    async def _load(self) -> None:
        try:
            listed = await self._client.find_replies(ReplyQuery())
        except DaemonError as error:
            report_failure(self, error, _("Could not load the canned responses"))
            return
        self.show(listed.items)

    def show(self, replies: list[ReplyOut], *, select: ReplyOut | None = None) -> None:
        """Fill the table, keeping the cursor on ``select`` (or the row it was on)."""
        table: DataTable[str] = self.query_one("#replies", DataTable)
        current = select.id if select is not None else self._highlighted_id()
        self.replies = replies
        table.clear()
        for reply in replies:
            table.add_row(
                one_line(reply.title, 28),
                f"/{reply.shortcut}" if reply.shortcut else "—",
                scope_label(reply),
                reply.department
                or ("—" if reply.scope is ReplyScope.PERSONAL else pgettext("department", "all")),
                reply.language or pgettext("language", "any"),
                key=str(reply.id),
            )
        index = next((n for n, r in enumerate(replies) if r.id == current), 0)
        if replies:
            table.move_cursor(row=min(index, len(replies) - 1))
        table.display = bool(replies)
        self.query_one("#replies-empty").display = not replies
        self._preview()
        self.loads += 1

    def _highlighted_id(self) -> uuid.UUID | None:
        reply = self.highlighted
        return reply.id if reply is not None else None

    @property
    def highlighted(self) -> ReplyOut | None:
        """The reply under the cursor."""
        table: DataTable[str] = self.query_one("#replies", DataTable)
        if not self.replies or not table.is_valid_row_index(table.cursor_row):
            return None
        return self.replies[table.cursor_row]

    @on(DataTable.RowHighlighted, "#replies")
    def _preview(self) -> None:
        reply = self.highlighted
        preview = self.query_one("#reply-preview", Static)
        if reply is None:
            preview.update("")
            return
        kind = _("snippet") if reply.kind.value == "snippet" else _("canned response")
        about = _("{title} · {kind}, {owner}").format(
            title=reply.title, kind=kind, owner=whose(reply)
        )
        preview.update(f"{about}\n\n{reply.body}")

    # Acting on replies

    def _managed(self) -> ReplyOut | None:
        """The highlighted reply if the user may change it; else a toast saying why not."""
        reply = self.highlighted
        if reply is None:
            self.notify(_("No reply picked: a adds one"), severity="warning")
            return None
        if not may_manage(reply, self._me.role):
            self.notify(_(TEAM_ONLY), severity="warning")
            return None
        return reply

    def action_add(self) -> None:
        """Write a new reply (yours; a supervisor's goes to the team unless they pick)."""
        self._edit(None)

    @on(DataTable.RowSelected, "#replies")
    def action_edit(self) -> None:
        """Change the highlighted reply."""
        if (reply := self._managed()) is not None:
            self._edit(reply)

    @work(exclusive=True, exit_on_error=False, group="reply-dialog")
    async def _edit(self, reply: ReplyOut | None) -> None:
        editor = ReplyEditor(self._client, reply, shares=self.supervises)
        saved = await self.app.push_screen_wait(editor)
        if saved is not None:
            self.notify(_("Saved “{title}”").format(title=saved.title))
            self._after_change(saved)

    def action_share(self) -> None:
        """Share the highlighted reply with the team (or a department), or make it yours."""
        if (reply := self._managed()) is not None:
            self._share(reply)

    @work(exclusive=True, exit_on_error=False, group="reply-dialog")
    async def _share(self, reply: ReplyOut) -> None:
        saved = await self.app.push_screen_wait(ShareDialog(self._client, reply))
        if saved is not None:
            self.notify(_("“{title}” is now {where}").format(title=saved.title, where=whose(saved)))
            self._after_change(saved)

    def action_remove(self) -> None:
        """Remove the highlighted reply (after a confirmation)."""
        if (reply := self._managed()) is not None:
            self._remove(reply)

    def _remove(self, reply: ReplyOut) -> None:
        if reply.department:
            who = _("the {department} department").format(department=reply.department)
        else:
            who = _("the whole team") if reply.scope is ReplyScope.TEAM else _("you")
        confirm_then(
            self,
            _("Remove “{title}”?").format(title=reply.title),
            _("It is used by {who}.").format(who=who),
            _("Remove"),
            lambda: self._delete(reply),
        )

    @work(exclusive=True, exit_on_error=False, group="reply-dialog")
    async def _delete(self, reply: ReplyOut) -> None:
        try:
            await self._client.delete_reply(reply.id)
        except DaemonError as error:
            report_failure(self, error, _("Not removed"))
            return
        self.notify(_("Removed “{title}”").format(title=reply.title))
        self._after_change(None)

    def _after_change(self, reply: ReplyOut | None) -> None:
        # The daemon orders the list (own first, by shortcut and title): read it again.
        self._reload_selecting(reply)

    @work(exclusive=True, exit_on_error=False, group="replies")
    async def _reload_selecting(self, reply: ReplyOut | None) -> None:
        try:
            listed = await self._client.find_replies(ReplyQuery())
        except DaemonError as error:
            report_failure(self, error, _("Could not load the canned responses"))
            return
        self.show(listed.items, select=reply)


def build_canned_replies(context: SessionContext) -> Screen[None]:
    return CannedRepliesScreen(client=context.client, me=context.me)
