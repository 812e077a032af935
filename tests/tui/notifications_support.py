"""A scripted client with a notification center in memory (the daemon's filters, read state,
deletion, bulk actions and stored preferences) and an app signed in on it, for the center's and
the preferences form's snapshot and pilot tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.protocol import EventEnvelope
from pytake_daemon.protocol.notifications import (
    BulkAction,
    BulkResult,
    ChannelSwitches,
    Digest,
    LinkKind,
    NotificationCategory,
    NotificationLink,
    NotificationOut,
    NotificationPage,
    NotificationSeverity,
    Preferences,
    PreferencesOut,
    QuietHours,
    UnreadCounts,
)
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.desktop_notice import DesktopNotices
from pytake_tui.screens.notifications import NotificationsScreen
from tests.conftest import ApiClient
from tests.support import Member

from .fake_daemon import ScriptedClient, hello_envelope
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT

SERVER = "http://pytake.invalid:8420"
Cat, Sev = NotificationCategory, NotificationSeverity


def notification(
    n: int,
    category: NotificationCategory,
    severity: NotificationSeverity,
    title: str,
    body: str,
    *,
    minutes_ago: int,
    read: bool = False,
    link: LinkKind | None = LinkKind.CONVERSATION,
) -> NotificationOut:
    at = FIXED_AT - timedelta(minutes=minutes_ago)
    return NotificationOut(
        id=uuid.UUID(int=0x1000 + n),
        category=category,
        severity=severity,
        title=title,
        body=body,
        link=None if link is None else NotificationLink(kind=link, id=uuid.UUID(int=0x2000 + n)),
        group_key=None,
        group_count=1,
        created_at=at,
        read_at=at + timedelta(minutes=1) if read else None,
    )


def inbox() -> list[NotificationOut]:
    """Newest first: an urgent AI alert, a mention, a grown group, one read, yesterday's SLA."""
    return [
        notification(1, Cat.AI_ALERT, Sev.URGENT, "Complaint: Carla Souza",
                     "Customer asked to cancel after waiting 25 minutes", minutes_ago=2),
        notification(2, Cat.MENTION, Sev.WARNING, "Bruno mentioned you",
                     "@alice can you check the refund for order 4411? The customer is "
                     "waiting and the courier says it was delivered", minutes_ago=14),
        notification(3, Cat.MESSAGE, Sev.INFO, "Ana Lima: 3 new messages",
                     "ok, thanks!", minutes_ago=31),
        notification(4, Cat.ASSIGNMENT, Sev.INFO, "Assigned to you: Diego Ramos", "",
                     minutes_ago=50, read=True),
        notification(5, Cat.SLA, Sev.WARNING, "Waiting 12 min in Support",
                     "Elisa Prado", minutes_ago=60 * 20, link=LinkKind.QUEUE),
    ]  # fmt: skip


def stored_preferences() -> Preferences:
    """A user's own, every category spelled out as the daemon answers: quiet nights in São
    Paulo, do-not-disturb until noon there, a daily digest; mentions ring, messages stay off
    the desktop."""
    switches = {c: ChannelSwitches(email=c in (Cat.SECURITY, Cat.BACKUP, Cat.SYSTEM))
                for c in Cat}  # fmt: skip
    switches[Cat.MENTION] = ChannelSwitches(sound=True)
    switches[Cat.MESSAGE] = ChannelSwitches(desktop=False)
    return Preferences(
        categories=switches,
        timezone="America/Sao_Paulo",
        quiet_hours=QuietHours(start=time(22), end=time(7)),
        dnd_until=FIXED_AT + timedelta(hours=5, minutes=33, seconds=7),
        dnd_allow_urgent=True,
        per_minute_cap=12,
        digest=Digest.DAILY,
    )


class NotificationsClient(ScriptedClient):
    """The center in memory with the daemon's rules (another id is a 404); calls recorded."""

    def __init__(self, items: list[NotificationOut], envelopes: list[EventEnvelope] | None = None):
        super().__init__(SERVER, envelopes or [hello_envelope(1)])
        self.items = items
        self.calls: list[tuple[str, Any]] = []
        self.preferences = PreferencesOut(preferences=stored_preferences(), source="user")

    def _counts(self) -> UnreadCounts:
        unread = [n for n in self.items if n.read_at is None]
        by: dict[NotificationCategory, int] = {}
        for n in unread:
            by[n.category] = by.get(n.category, 0) + 1
        return UnreadCounts(total=len(unread), by_category=by)

    def _find(self, notification_id: uuid.UUID) -> int:
        for index, item in enumerate(self.items):
            if item.id == notification_id:
                return index
        raise DaemonError(404, "Not Found", "no such notification")

    async def notifications(
        self,
        *,
        category: NotificationCategory | None = None,
        unread_only: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> NotificationPage:
        self.calls.append(("list", (category, unread_only)))
        items = [
            n
            for n in self.items
            if (category is None or n.category is category)
            and not (unread_only and n.read_at is not None)
        ]
        return NotificationPage(items=items[:limit], next_cursor=None)

    async def notification_unread(self) -> UnreadCounts:
        return self._counts()

    async def mark_notification(self, notification_id: uuid.UUID, *, read: bool) -> NotificationOut:
        index = self._find(notification_id)
        self.calls.append(("mark", (notification_id, read)))
        changed = self.items[index].model_copy(update={"read_at": FIXED_AT if read else None})
        self.items[index] = changed
        return changed

    async def mark_all_notifications_read(
        self, category: NotificationCategory | None = None
    ) -> BulkResult:
        self.calls.append(("all", category))
        hits = [
            i
            for i, n in enumerate(self.items)
            if n.read_at is None and (category is None or n.category is category)
        ]
        for i in hits:
            self.items[i] = self.items[i].model_copy(update={"read_at": FIXED_AT})
        return BulkResult(changed=len(hits), unread=self._counts())

    async def delete_notification(self, notification_id: uuid.UUID) -> None:
        del self.items[self._find(notification_id)]
        self.calls.append(("delete", notification_id))

    async def bulk_notifications(self, action: BulkAction, ids: list[uuid.UUID]) -> BulkResult:
        self.calls.append(("bulk", (action, sorted(ids))))
        chosen = set(ids)
        hits = [n for n in self.items if n.id in chosen]
        if action is BulkAction.DELETE:
            self.items = [n for n in self.items if n.id not in chosen]
        else:
            at = FIXED_AT if action is BulkAction.READ else None
            self.items = [
                n.model_copy(update={"read_at": at}) if n.id in chosen else n for n in self.items
            ]
        return BulkResult(changed=len(hits), unread=self._counts())

    async def notification_preferences(self) -> PreferencesOut:
        return self.preferences


def notifications_app(tmp: Path, client: DaemonClient) -> PyTakeApp:
    """An app resumed from a saved session on ``client``, with the clock at ``FIXED_AT``."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    app = build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=lambda server: client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )
    app.desktop_sink = lambda sequence: None  # never the terminal running the tests
    app.desktop_notices = DesktopNotices(environ={})  # nor the desktop of whoever runs them
    return app


def daemon_console(api: ApiClient, member: Member, tmp_path: Path) -> PyTakeApp:
    """The real console signed in as ``member`` on the test daemon."""
    server = str(api.make_url("")).rstrip("/")
    credentials = tmp_path / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=server,
            token=member.token,
            email=member.email,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
    )
    app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)
    app.desktop_sink = lambda sequence: None
    app.desktop_notices = DesktopNotices(environ={})
    return app


async def open_center(pilot: Pilot[Any], rows: int) -> NotificationsScreen:
    """Press f11 once the session started; wait for ``rows`` notifications listed."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    await wait_until(pilot, lambda: app.client is not None and app.me is not None, "session")
    await pilot.press("f11")
    await wait_until(pilot, lambda: isinstance(app.screen, NotificationsScreen), "the center")
    screen = app.screen
    assert isinstance(screen, NotificationsScreen)
    await wait_until(pilot, lambda: len(screen.items) == rows, f"{rows} notifications")
    await pilot.pause()
    return screen
