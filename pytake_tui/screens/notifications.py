"""The notification center (issue 18): the signed-in user's notifications, newest first.

It reads ``GET /api/v1/notifications`` with the chosen filters and then follows the stream on
its own, without reading again: ``notification_created`` adds a row (or replaces it: a group
that grew keeps its id) and ``notifications_read`` applies a read, an unread, a deletion or an
"all read" made on any console of this user, so several consoles agree without polling.

Space marks rows (``*`` marks every row shown); read, unread and delete then act on the marked
ones in one ``POST /api/v1/notifications/bulk``, else on the row under the cursor. ``p`` opens
the preferences form.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from pytake_daemon.protocol import Me
from pytake_daemon.protocol.notifications import (
    BulkAction,
    LinkKind,
    NotificationCategory,
    NotificationCreated,
    NotificationOut,
    NotificationPage,
    NotificationSeverity,
    NotificationsRead,
    ReadChange,
)
from pytake_i18n import format_datetime
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.messages import EventReceived, ResyncNeeded, SessionExpired
from pytake_tui.navigation import SessionContext
from pytake_tui.screens.chat import ChatScreen
from pytake_tui.screens.notification_preferences import NotificationPreferencesScreen
from pytake_tui.screens.notifications_keys import NOTIFICATIONS_BINDINGS
from pytake_tui.vocabulary import notification_category, notification_severity
from pytake_tui.widgets.footer import Footer

PAGE = 100
BULK_MAX = 500
_DONE = {BulkAction.READ: N_("{n} marked read"), BulkAction.UNREAD: N_("{n} marked unread"),
         BulkAction.DELETE: N_("{n} deleted")}  # fmt: skip
_CHANGE_OF = {BulkAction.READ: ReadChange.READ, BulkAction.UNREAD: ReadChange.UNREAD,
              BulkAction.DELETE: ReadChange.DELETED}  # fmt: skip
PREVIEW = 60
CATEGORIES: list[NotificationCategory | None] = [None, *NotificationCategory]
"""What ``c`` cycles through: every category, then each one."""
SEVERITY_STYLE = {
    NotificationSeverity.INFO: "",
    NotificationSeverity.WARNING: "yellow",
    NotificationSeverity.URGENT: "bold red",
}
DESTINATION_OF = {
    LinkKind.QUEUE: "queues",
    LinkKind.SECURITY_ALERT: "audit",
    LinkKind.BACKUP: "backups",
    LinkKind.GOAL: "dashboard",
}
"""Where Enter goes for a link that is not a conversation: the screen that shows it."""
MARK = Text("●", style="bold $accent")


def when(at: datetime, now: datetime) -> str:
    """``14:05`` today, ``Dec 03 14:05`` before."""
    local = at.astimezone(now.tzinfo)
    pattern = "HH:mm" if local.date() == now.date() else "MMM dd HH:mm"
    return format_datetime(local, format=pattern)


def preview(body: str, width: int = PREVIEW) -> str:
    """The body on one line, cut with an ellipsis."""
    flat = " ".join(body.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def row(item: NotificationOut, now: datetime, *, marked: bool = False) -> tuple[Text, ...]:
    """The table's cells; unread rows are bold, marked ones have a dot."""
    weight = "bold" if item.read_at is None else ""
    return (
        MARK if marked else Text(" "),
        Text(when(item.created_at, now), style=weight),
        Text(
            notification_severity(item.severity),
            style=f"{weight} {SEVERITY_STYLE[item.severity]}".strip(),
        ),
        Text(notification_category(item.category), style=weight),
        Text(item.title, style=weight),  # a grown group's title counts it
        Text(preview(item.body), style=f"{weight} dim".strip()),
    )


class NotificationsScreen(Screen[None]):
    """The center; Enter follows a notification's link (a conversation opens in the chat)."""

    CSS_PATH = "notifications.tcss"
    BINDINGS = NOTIFICATIONS_BINDINGS

    class Loaded(Message):
        def __init__(self, page: NotificationPage, *, append: bool) -> None:
            super().__init__()
            self.page = page
            self.append = append

    def __init__(
        self, *, client: DaemonClient, clock: Callable[[], datetime], me: Me | None = None
    ) -> None:
        super().__init__()
        self._client = client
        self._clock = clock
        self._me = me
        self.marked: set[uuid.UUID] = set()
        """The rows space selected, for read, unread and delete at once."""
        self.items: list[NotificationOut] = []
        """What the table shows, newest first."""
        self.category: NotificationCategory | None = None
        self.unread_only = False
        self.next_cursor: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="notifications"):
            yield Static(id="notification-filters")
            yield DataTable(id="notification-list", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        columns = (_("time"), _("severity"), _("category"), _("title"), _("body"))
        self._table().add_columns(" ", *columns)
        self._reload()

    def _table(self) -> DataTable[Text]:
        table: DataTable[Text] = self.query_one("#notification-list", DataTable)
        return table

    # Loading

    def _reload(self) -> None:
        self._show_filters()
        self._load(None)

    @work(exclusive=True, exit_on_error=False, group="notifications")
    async def _load(self, cursor: str | None) -> None:
        try:
            page = await self._client.notifications(
                category=self.category, unread_only=self.unread_only, limit=PAGE, cursor=cursor
            )
        except DaemonError as error:
            self._failed(error, _("Could not read the notifications"))
            return
        self.post_message(self.Loaded(page, append=cursor is not None))

    def on_notifications_screen_loaded(self, message: Loaded) -> None:
        known = {n.id for n in self.items} if message.append else set()
        fresh = [n for n in message.page.items if n.id not in known]
        self.items = [*self.items, *fresh] if message.append else fresh
        self.next_cursor = message.page.next_cursor
        self._fill()

    def _failed(self, error: DaemonError, title: str) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
        else:
            self.notify(error.message, title=title, severity="error")

    # Showing

    def _show_filters(self) -> None:
        category = notification_category(self.category) if self.category else _("all categories")
        which = _("unread only") if self.unread_only else _("read and unread")
        more = "  ·  " + _("m: older") if self.next_cursor else ""
        marked = "  ·  " + _("{n} selected").format(n=len(self.marked)) if self.marked else ""
        hint = _("space: select  p: preferences  enter: open")
        self.query_one("#notification-filters", Static).update(
            f"{category} · {which}{more}{marked}    {hint}"
        )

    def _fill(self) -> None:
        table = self._table()
        selected = self.selected()
        table.clear()
        now = self._clock()
        self.marked &= {n.id for n in self.items}  # a row gone (read elsewhere, deleted) unmarks
        for item in self.items:
            table.add_row(*row(item, now, marked=item.id in self.marked), key=str(item.id))
        if not self.items:
            empty = (Text(""), Text(_("nothing here"), style="dim"), *(Text("") for _n in range(4)))
            table.add_row(*empty)
        if selected is not None:
            index = next((i for i, n in enumerate(self.items) if n.id == selected.id), None)
            if index is not None:
                table.move_cursor(row=index)
        self._show_filters()

    def selected(self) -> NotificationOut | None:
        """The notification under the cursor."""
        index = self._table().cursor_row
        return self.items[index] if 0 <= index < len(self.items) else None

    def _matches(self, item: NotificationOut) -> bool:
        if self.category is not None and item.category is not self.category:
            return False
        return not (self.unread_only and item.read_at is not None)

    # Following the stream

    def on_event_received(self, message: EventReceived) -> None:
        event = message.envelope.event
        if isinstance(event, NotificationCreated):
            self._created(event.notification)
        elif isinstance(event, NotificationsRead):
            self._read(event)

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self._reload()

    def _created(self, item: NotificationOut) -> None:
        rest = [n for n in self.items if n.id != item.id]
        self.items = [item, *rest] if self._matches(item) else rest
        self._fill()

    def _read(self, event: NotificationsRead) -> None:
        ids = set(event.ids)

        def hit(item: NotificationOut) -> bool:
            every = event.all and (event.category is None or item.category is event.category)
            return item.id in ids or every

        self._apply(event.change, hit)

    def _apply(self, change: ReadChange, hit: Callable[[NotificationOut], bool]) -> None:
        """A read, an unread or a deletion of the rows ``hit`` picks, then the filters."""
        read_at = self._clock()
        changed: list[NotificationOut] = []
        for item in self.items:
            if not hit(item):
                changed.append(item)
            elif change is ReadChange.UNREAD:
                changed.append(item.model_copy(update={"read_at": None}))
            elif change is ReadChange.READ:
                changed.append(item.model_copy(update={"read_at": item.read_at or read_at}))
        self.items = [n for n in changed if self._matches(n)]
        self._fill()

    def _replace(self, item: NotificationOut) -> None:
        self.items = [item if n.id == item.id else n for n in self.items]
        self.items = [n for n in self.items if self._matches(n)]
        self._fill()

    # Actions

    def action_category(self) -> None:
        self.category = CATEGORIES[(CATEGORIES.index(self.category) + 1) % len(CATEGORIES)]
        self._reload()

    def action_unread_only(self) -> None:
        self.unread_only = not self.unread_only
        self._reload()

    def action_more(self) -> None:
        if self.next_cursor is not None:
            self._load(self.next_cursor)

    def action_select(self) -> None:
        item = self.selected()
        if item is not None:
            self.marked ^= {item.id}
            self._fill()

    def action_select_all(self) -> None:
        """Mark every row shown; when they all are, unmark them."""
        shown = {n.id for n in self.items}
        self.marked = set() if shown and shown <= self.marked else shown
        self._fill()

    def action_mark(self, read: bool) -> None:
        if self.marked:
            self._bulk(BulkAction.READ if read else BulkAction.UNREAD, sorted(self.marked))
            return
        item = self.selected()
        if item is not None and (item.read_at is None) == read:
            self._mark(item.id, read)

    @work(exit_on_error=False, group="notification-change")
    async def _bulk(self, action: BulkAction, ids: list[uuid.UUID]) -> None:
        changed = 0
        try:
            # The daemon takes 500 ids a call; more are marked only after several "m" pages.
            for start in range(0, len(ids), BULK_MAX):
                result = await self._client.bulk_notifications(action, ids[start:][:BULK_MAX])
                changed += result.changed
        except DaemonError as error:
            self._failed(error, _("Could not change the notifications"))
            return
        # The stream's notifications_read says the same; this covers a stream that is down.
        chosen = set(ids)
        self.marked -= chosen
        self._apply(_CHANGE_OF[action], lambda item: item.id in chosen)
        self.notify(_(_DONE[action]).format(n=changed))

    @work(exit_on_error=False, group="notification-change")
    async def _mark(self, notification_id: uuid.UUID, read: bool) -> None:
        try:
            changed = await self._client.mark_notification(notification_id, read=read)
        except DaemonError as error:
            self._failed(error, _("Could not change the notification"))
            return
        self._replace(changed)

    def action_all_read(self) -> None:
        self._all_read(self.category)

    @work(exit_on_error=False, group="notification-change")
    async def _all_read(self, category: NotificationCategory | None) -> None:
        try:
            result = await self._client.mark_all_notifications_read(category)
        except DaemonError as error:
            self._failed(error, _("Could not mark them read"))
            return
        # The stream's notifications_read says the same; this covers a stream that is down.
        now = self._clock()
        self.items = [
            n.model_copy(update={"read_at": n.read_at or now})
            if category is None or n.category is category
            else n
            for n in self.items
        ]
        self.items = [n for n in self.items if self._matches(n)]
        self._fill()
        self.notify(_("{n} marked read").format(n=result.changed))

    def action_delete(self) -> None:
        if self.marked:
            self._bulk(BulkAction.DELETE, sorted(self.marked))
            return
        item = self.selected()
        if item is not None:
            self._delete(item.id)

    def action_preferences(self) -> None:
        if self._me is not None:
            form = NotificationPreferencesScreen(
                client=self._client, me=self._me, clock=self._clock
            )
            self.app.push_screen(form)

    @work(exit_on_error=False, group="notification-change")
    async def _delete(self, notification_id: uuid.UUID) -> None:
        try:
            await self._client.delete_notification(notification_id)
        except DaemonError as error:
            self._failed(error, _("Could not delete the notification"))
            return
        self.items = [n for n in self.items if n.id != notification_id]
        self._fill()

    # Following a link

    @on(DataTable.RowSelected, "#notification-list")
    def _open_selected(self, event: DataTable.RowSelected) -> None:
        item = self.selected()
        if item is None or item.link is None:
            return
        if item.read_at is None:
            self._mark(item.id, True)
        self._follow(item.link.kind, item.link.id)

    @work(exclusive=True, exit_on_error=False, group="open")
    async def _follow(self, kind: LinkKind, target: uuid.UUID) -> None:
        # Through the app's own navigation, so the screen is the one kept for the session.
        if kind is LinkKind.CONVERSATION:
            await self.app.run_action("go('chat')")
            chat = self.app.screen
            if isinstance(chat, ChatScreen):
                chat.open_conversation(target)
        else:
            await self.app.run_action(f"go('{DESTINATION_OF[kind]}')")


def build_notifications(context: SessionContext) -> Screen[None]:
    """The ``f11`` destination's screen."""
    return NotificationsScreen(client=context.client, clock=context.clock, me=context.me)
