"""Home: who is signed in, the link to the daemon, and the latest events on the stream."""

from __future__ import annotations

from collections import deque
from datetime import datetime

from rich.cells import cell_len
from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.widgets.data_table import ColumnKey, RowKey

from pytake_daemon.protocol import (
    ConversationUpdated,
    EventEnvelope,
    Hello,
    Me,
    MessageReceived,
    MessageSent,
    MessageStatusUpdated,
    Role,
    TokenRevoked,
    UserChanged,
)
from pytake_i18n import format_skeleton
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.messages import EventReceived, ResyncNeeded, SessionExpired
from pytake_tui.notifications import contact_name
from pytake_tui.preview_words import preview_line
from pytake_tui.vocabulary import conversation_status, event_kind, message_status, role_name
from pytake_tui.widgets.backup_status import BackupStatus
from pytake_tui.widgets.connection_indicator import ConnectionIndicator
from pytake_tui.widgets.footer import Footer
from pytake_tui.widgets.onboarding_progress import OnboardingProgress, may_onboard

MAX_ACTIVITY_ROWS = 50
DETAIL = ColumnKey("detail")


def describe(envelope: EventEnvelope) -> str:
    """One line about an event for the activity table ("" for events it doesn't list)."""
    event = envelope.event
    match event:
        case Hello():
            return _("stream opened as {role}").format(role=role_name(event.role))
        case UserChanged():
            role = role_name(event.role)
            if event.disabled:
                role = _("{role}, disabled").format(role=role)
            return f"{event.name} <{event.email}> ({role})"
        case TokenRevoked():
            return token_revoked(event)
        case MessageReceived():
            who = contact_name(event.conversation.contact)
            return f"{who}: {preview_line(event.message.text)}"
        case MessageSent():
            who = contact_name(event.conversation.contact)
            return f"→ {who}: {preview_line(event.message.text)}"
        case MessageStatusUpdated():
            failure = f" ({event.error.explanation})" if event.error else ""
            return _("message {status}").format(status=message_status(event.status)) + failure
        case ConversationUpdated():
            contact = event.conversation.contact
            state = conversation_status(event.conversation.status)
            return _("conversation with {name}: {status}").format(
                name=contact_name(contact), status=state
            )
        case _:
            # Typing notices are for the chat screen; other features' events have their screens.
            return ""


def token_revoked(event: TokenRevoked) -> str:
    """Which token, by its name or its owner; never its id (nobody reads a UUID)."""
    if event.kind == "session" and event.owner:
        return _("a session of {email} ended").format(email=event.owner)
    if event.kind == "api" and event.name:
        return _("API token “{name}” revoked").format(name=event.name)
    return _("a token was revoked")


def identity(me: Me) -> Content:
    """``Signed in as NAME (ROLE) — TENANT``."""
    # The sentence is one msgid, so the translation may order it; the names are then bolded.
    text = _("Signed in as {name} ({role}) — {tenant}").format(
        name=me.name, role=role_name(me.role), tenant=me.tenant_name
    )
    content = Content(text)
    for bold in (me.name, me.tenant_name):
        start = text.find(bold)
        if start >= 0:
            content = content.stylize("bold", start, start + len(bold))
    return content


class HomeScreen(Screen[None]):
    """The signed-in user's landing screen; later features add their own screens from here."""

    CSS_PATH = "home.tcss"
    BINDINGS = [Binding("ctrl+l", "app.logout", N_("Log out"))]

    class Refreshed(Message):
        """``/auth/me`` was read again after a resync."""

        def __init__(self, me: Me) -> None:
            super().__init__()
            self.me = me

    def __init__(self, *, client: DaemonClient, me: Me) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._rows: deque[RowKey] = deque()
        # Kept rather than queried: every event of the stream reaches this screen, also while
        # another is shown, and a query walks the widget tree (≈ 12 % of bench/tui.py's CPU).
        self._backup_status: BackupStatus | None = None
        self._activity: DataTable[str] = DataTable(
            id="activity", cursor_type="row", zebra_stripes=True
        )

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            with Horizontal(id="status-bar"):
                yield Static(identity(self._me), id="identity")
                yield ConnectionIndicator(id="connection")
            if may_onboard(self._me):
                yield OnboardingProgress(self._client, id="onboarding-progress")
            if self._me.role.at_least(Role.SUPERVISOR):
                self._backup_status = BackupStatus(client=self._client, id="backup-status")
                yield self._backup_status
            yield Static(
                _("Activity — last {count} events").format(count=MAX_ACTIVITY_ROWS),
                id="activity-title",
            )
            yield self._activity
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#activity", DataTable)
        detail = _("detail")
        table.add_column(_("seq"), width=8, key="seq")
        table.add_column(_("event"), width=14, key="event")
        table.add_column(_("time"), width=8, key="time")
        table.add_column(detail, width=len(detail), key=DETAIL.value)

    def on_event_received(self, message: EventReceived) -> None:
        envelope = message.envelope
        if self._backup_status is not None:
            self._backup_status.follow(envelope)
        detail = describe(envelope)
        if detail:  # typing notices are for the chat screen, not the activity log
            self._add_row(str(envelope.seq), event_kind(envelope.event.type), envelope.at, detail)

    def on_resync_needed(self, message: ResyncNeeded) -> None:
        self._add_row("—", _("resync"), datetime.now().astimezone(), message.reason)
        if self._backup_status is not None:
            self._backup_status.reload()
        self._refresh_me()

    def on_home_screen_refreshed(self, message: Refreshed) -> None:
        self._me = message.me
        self.query_one("#identity", Static).update(identity(message.me))

    def _add_row(self, seq: str, kind: str, at: datetime, detail: str) -> None:
        table = self._activity
        time = format_skeleton("Hms", at.astimezone())
        # Textual sizes auto-width columns only when idle, after a new row may already have been
        # drawn (and cached) at the old width: grow the detail column ourselves, before adding.
        column = table.columns[DETAIL]
        column.width = max(column.width, cell_len(detail))
        self._rows.append(table.add_row(*(escape(cell) for cell in (seq, kind, time, detail))))
        while len(self._rows) > MAX_ACTIVITY_ROWS:
            table.remove_row(self._rows.popleft())
        table.scroll_end(animate=False)

    @work(exclusive=True, exit_on_error=False, group="refresh")
    async def _refresh_me(self) -> None:
        try:
            me = await self._client.me()
        except DaemonError as error:
            if error.unauthorized:
                self.post_message(SessionExpired(_("your session has ended")))
            else:
                self.notify(error.message, title=_("Could not refresh"), severity="warning")
            return
        self.post_message(self.Refreshed(me))
