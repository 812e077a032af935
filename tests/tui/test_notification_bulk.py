"""Marking several notifications at once (space, ``*``) against the real daemon, and desktop
notices through a real ``notify-send`` process (a script on a PATH of the test's own)."""

from __future__ import annotations

import logging
import stat
import uuid
from pathlib import Path

import pytest

from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol import EventEnvelope, Role
from pytake_daemon.protocol.notifications import (
    Delivery,
    LinkKind,
    NotificationCategory,
    NotificationCreated,
    NotificationLink,
    NotificationSeverity,
    UnreadCounts,
)
from pytake_tui.desktop_notice import DesktopNotices
from pytake_tui.messages import EventReceived
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.support import center, tell, unread

from .helpers import MessageLog, wait_until
from .identities import FIXED_AT, TENANT_ID, USER_ID
from .notifications_support import (
    NotificationsClient,
    daemon_console,
    notification,
    notifications_app,
)
from .notifications_support import open_center as open_scripted_center

Cat, Sev = NotificationCategory, NotificationSeverity


async def test_marked_rows_are_read_at_once_on_the_daemon_and_the_bell_follows(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    for n in range(4):
        link = NotificationLink(kind=LinkKind.CONVERSATION, id=uuid.uuid4())
        await tell(api, tenant.id, Intent(agent.id, Cat.MENTION, Sev.INFO, f"title {n}", "", link))
    log = MessageLog()
    app = daemon_console(api, agent, tmp_path)
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = await open_scripted_center(pilot, 4)
        await wait_until(pilot, lambda: "🔔 4" in app.title, "the bell at 4")
        screen.query_one("#notification-list").focus()
        await pilot.press("space", "down", "down", "space")  # titles 3 and 1
        assert len(screen.marked) == 2
        await pilot.press("r")
        await wait_until(pilot, lambda: "🔔 2" in app.title, "the bell at 2")
        await wait_until(pilot, lambda: not screen.marked, "the marks cleared")
        assert "2 marked read" in str(log.notifications())

        # "*" marks every row shown; delete removes them all in one call.
        await pilot.press("asterisk")
        assert len(screen.marked) == 4
        await pilot.press("asterisk")  # again: unmarked
        assert not screen.marked
        await pilot.press("asterisk", "u")
        await wait_until(pilot, lambda: "🔔 4" in app.title, "all unread again")

    page = await center(api, agent)
    assert [n.read_at is None for n in page.items] == [True] * 4
    assert (await unread(api, agent)).total == 4


def _notify_send(bin_dir: Path, exit_code: int = 0) -> Path:
    """A notify-send that records its arguments, one per line, then exits with ``exit_code``."""
    record = bin_dir / "args.txt"
    script = bin_dir / "notify-send"
    script.write_text(
        f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{record}'\necho 'no session bus' >&2\n"
        f"exit {exit_code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return record


def _created(title: str, body: str) -> EventReceived:
    item = notification(7, Cat.SECURITY, Sev.URGENT, title, body, minutes_ago=0)
    event = NotificationCreated(
        user_id=USER_ID, notification=item, unread=UnreadCounts(total=1, by_category={}),
        delivery=Delivery(console=False, desktop=True, sound=False),
    )  # fmt: skip
    return EventReceived(EventEnvelope(seq=2, tenant_id=TENANT_ID, at=FIXED_AT, event=event))


def test_notify_send_only_in_a_desktop_session(tmp_path: Path) -> None:
    _notify_send(tmp_path)
    path = str(tmp_path)
    assert DesktopNotices(environ={"PATH": path}).notify_send() is None  # no display
    assert DesktopNotices(environ={"DISPLAY": ":0", "PATH": "/nonexistent"}).notify_send() is None
    found = DesktopNotices(environ={"WAYLAND_DISPLAY": "wayland-0", "PATH": path}).notify_send()
    assert found == str(tmp_path / "notify-send")


async def test_a_desktop_notice_runs_notify_send_in_a_desktop_session(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = _notify_send(bin_dir)
    app = notifications_app(tmp_path, NotificationsClient([]))
    sequences: list[str] = []
    app.desktop_sink = sequences.append
    app.desktop_notices = DesktopNotices(environ={"DISPLAY": ":0", "PATH": str(bin_dir)})
    async with app.run_test(size=(100, 30)) as pilot:
        await open_scripted_center(pilot, 0)
        app.post_message(_created("-Brute force", "12 logins <from> 10.0.0.9"))
        await wait_until(pilot, record.exists, "notify-send run")
        await wait_until(
            pilot,
            lambda: all(w.is_finished for w in app.workers if w.group == "desktop"),
            "notify-send done",
        )
    args = record.read_text().splitlines()
    assert args == ["--app-name=PyTake", "--urgency=critical", "--", "-Brute force",
                    "12 logins &lt;from&gt; 10.0.0.9"]  # fmt: skip
    assert sequences == []  # not the escape sequence as well


async def test_a_failing_notify_send_is_logged_and_the_terminal_tells_instead(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = _notify_send(bin_dir, exit_code=1)
    app = notifications_app(tmp_path, NotificationsClient([]))
    sequences: list[str] = []
    app.desktop_sink = sequences.append
    app.desktop_notices = DesktopNotices(environ={"DISPLAY": ":0", "PATH": str(bin_dir)})
    with caplog.at_level(logging.WARNING, logger="pytake_tui.desktop_notice"):
        async with app.run_test(size=(100, 30)) as pilot:
            await open_scripted_center(pilot, 0)
            app.post_message(_created("Brute force", "12 logins"))
            await wait_until(pilot, lambda: bool(sequences), "the escape sequence instead")
    assert record.exists()
    assert sequences == [
        "\x1b]777;notify;Brute force;12 logins\x07\x1b]9;Brute force: 12 logins\x07"
    ]
    assert "notify-send exited with 1: no session bus" in caplog.text


async def test_more_than_the_daemon_takes_at_once_goes_in_several_calls(tmp_path: Path) -> None:
    items = [notification(n, Cat.MESSAGE, Sev.INFO, f"t{n}", "", minutes_ago=n) for n in range(600)]
    client = NotificationsClient(items)
    app = notifications_app(tmp_path, client)
    log = MessageLog()
    async with app.run_test(size=(100, 30), message_hook=log) as pilot:
        screen = await open_scripted_center(pilot, 100)  # a page; "m" would bring the rest
        screen.marked = {n.id for n in items}
        await pilot.press("d")
        await wait_until(pilot, lambda: "600 deleted" in str(log.notifications()), "deleted")
    sizes = [len(ids) for call, (_, ids) in client.calls if call == "bulk"]
    assert sizes == [500, 100]
    assert client.items == []
