"""The notification center (f11), the bell and desktop notifications: the escape sequence, the
keys and live events against a scripted center, and a real assignment seen in the center and
opened in the chat against the real daemon (app, PostgreSQL, Redis, the fan-out)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pytake_daemon.attendance.entry import enqueue
from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.keys import DB_POOL, QUEUES, SECRET_BOX
from pytake_daemon.protocol import EventEnvelope, Role
from pytake_daemon.protocol.notifications import (
    Delivery,
    NotificationCreated,
    NotificationsRead,
    ReadChange,
    UnreadCounts,
)
from pytake_daemon.protocol.queues import QueueOut
from pytake_tui import build_app
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.desktop_notice import DesktopNotices, desktop_sequence
from pytake_tui.messages import EventReceived
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.notifications import NotificationsScreen
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.support import add_agent, center, settled
from tests.queues.support import conversations

from .helpers import wait_until
from .identities import FIXED_AT, TENANT_ID, USER_ID
from .notifications_support import (
    Cat,
    NotificationsClient,
    Sev,
    inbox,
    notification,
    notifications_app,
    open_center,
)


def test_the_desktop_sequence_keeps_text_inside_its_fields() -> None:
    assert desktop_sequence("Complaint", "wants to cancel") == (
        "\x1b]777;notify;Complaint;wants to cancel\x07\x1b]9;Complaint: wants to cancel\x07"
    )
    # A customer's ; would start a new field, ESC/BEL would end the sequence and run theirs.
    sequence = desktop_sequence("A;B", "x\x1b]2;pwned\x07\ny\x9b")
    assert sequence == "\x1b]777;notify;A,B;x ]2,pwned y\x07\x1b]9;A,B: x ]2,pwned y\x07"
    assert desktop_sequence("t", "b" * 500).count("…") == 2


def _envelope(seq: int, event: Any) -> EventEnvelope:
    return EventEnvelope(seq=seq, tenant_id=TENANT_ID, at=FIXED_AT, event=event)


async def test_keys_and_live_events_keep_the_center_and_the_bell_in_step(tmp_path: Path) -> None:
    client = NotificationsClient(inbox())
    app = notifications_app(tmp_path, client)
    desktop: list[str] = []
    app.desktop_sink = desktop.append
    async with app.run_test(size=(100, 30)) as pilot:
        center_ = await open_center(pilot, 5)
        await wait_until(pilot, lambda: "🔔 4" in app.title, "the bell at 4")

        await pilot.press("r")  # the urgent one under the cursor
        await wait_until(pilot, lambda: center_.items[0].read_at is not None, "read")
        await pilot.press("u")
        await wait_until(pilot, lambda: center_.items[0].read_at is None, "unread again")
        await pilot.press("down", "d")
        await wait_until(pilot, lambda: len(center_.items) == 4, "the mention deleted")
        assert ("delete", uuid.UUID(int=0x1002)) in client.calls

        await pilot.press("o")  # unread only: the read assignment leaves the list
        await wait_until(pilot, lambda: len(center_.items) == 3, "unread only")
        assert client.calls[-1:] == [("list", (None, True))]
        await pilot.press("c")  # the first category: assignments, and the only one is read
        await wait_until(pilot, lambda: center_.items == [], "no unread assignment")
        assert client.calls[-1:] == [("list", (Cat.ASSIGNMENT, True))]
        await pilot.press(*["c"] * (len(Cat)))  # round to every category again
        await wait_until(pilot, lambda: len(center_.items) == 3, "every category")
        await pilot.press("A")
        await wait_until(pilot, lambda: center_.items == [], "all read, none listed")
        assert ("all", None) in client.calls
        assert all(n.read_at is not None for n in client.items)

        # Another console of this user: a new urgent one arrives, then everything is read.
        new = notification(9, Cat.SECURITY, Sev.URGENT, "Brute force", "12;logins", minutes_ago=0)
        counts = UnreadCounts(total=4, by_category={Cat.SECURITY: 1})
        created = NotificationCreated(
            user_id=USER_ID, notification=new, unread=counts,
            delivery=Delivery(console=True, desktop=True, sound=False),
        )  # fmt: skip
        app.post_message(EventReceived(_envelope(2, created)))
        await wait_until(pilot, lambda: center_.items == [new], "the new row listed")
        assert "🔔 4" in app.title
        assert desktop == [
            "\x1b]777;notify;Brute force;12,logins\x07\x1b]9;Brute force: 12,logins\x07"
        ]
        read = NotificationsRead(
            user_id=USER_ID, change=ReadChange.READ, ids=[], all=True,
            unread=UnreadCounts(total=0, by_category={}),
        )  # fmt: skip
        app.post_message(EventReceived(_envelope(3, read)))
        await wait_until(pilot, lambda: center_.items == [], "nothing unread left")
        assert app.title == "PyTake"


async def test_an_assignment_shows_in_the_center_and_enter_opens_the_conversation(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    supervisor = tenant[Role.SUPERVISOR]
    ana = await add_agent(admin_conn, tenant.id, "Ana")
    # Offline, so distribution leaves the waiting item to the supervisor's assignment.
    await admin_conn.execute("UPDATE agents SET status = 'offline' WHERE tenant_id = $1", tenant.id)
    [conversation] = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 1)
    made = await api.post("/api/v1/queues", json={"name": "General"},
                          headers=tenant[Role.ADMIN].headers)  # fmt: skip
    assert made.status == 201, await made.text()
    queue = QueueOut.model_validate(await made.json())
    effects = Effects()
    async with tenant_transaction(api.app[DB_POOL], tenant.id) as conn:
        entered = await enqueue(conn, conversation_id=conversation, queue_id=queue.id,
                                effects=effects)  # fmt: skip
    await api.app[QUEUES].after_commit(tenant.id, effects)

    server = str(api.make_url("")).rstrip("/")
    credentials = tmp_path / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=server,
            token=ana.token,
            email=ana.email,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
    )
    app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)
    app.desktop_sink = lambda sequence: None
    app.desktop_notices = DesktopNotices(environ={})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.client is not None, "the session")
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, NotificationsScreen), "the center")
        screen = app.screen
        assert isinstance(screen, NotificationsScreen)
        assert screen.items == []

        assigned = await api.post(
            f"/api/v1/queues/{queue.id}/assign", headers=supervisor.headers,
            json={"item_id": str(entered.item_id), "agent_id": str(ana.id)},
        )  # fmt: skip
        assert assigned.status in (200, 201), await assigned.text()
        await settled(api)
        # Live, from the stream: no reload of the list was asked for.
        await wait_until(pilot, lambda: len(screen.items) == 1, "the assignment listed")
        [item] = screen.items
        assert item.title.startswith("Assigned to you")
        assert item.read_at is None
        assert "🔔 1" in app.title

        screen.query_one("#notification-list").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        await wait_until(
            pilot, lambda: chat.pane.open is not None and chat.pane.open.id == conversation,
            "the conversation open",
        )  # fmt: skip
        # Opening it read it, on the daemon too.
        await wait_until(pilot, lambda: "🔔" not in app.title, "the bell cleared")
    [stored] = (await center(api, ana)).items
    assert stored.read_at is not None
