"""The backups screen (f8) and the backup widget: pilot tests on a scripted client, and the
wording rules without Textual."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from textual.widgets import DataTable

from pytake_daemon.protocol import EventEnvelope, Role
from pytake_daemon.protocol.backups import BackupAlert
from pytake_tui.backup_view import Level, age, key_id, size, summarize, verifications
from pytake_tui.messages import EventReceived, ResyncNeeded
from pytake_tui.screens import HomeScreen
from pytake_tui.widgets.backup_status import BackupStatus

from .backups_support import (
    BackupsClient,
    backups_app,
    empty,
    healthy,
    open_backups,
    overdue,
    person,
)
from .helpers import MessageLog, wait_until
from .identities import FIXED_AT, TENANT_ID

# The wording


def test_age_size_and_key_are_short() -> None:
    assert age(30) == "just now"
    assert age(12 * 60 + 59) == "12m ago"
    assert age(3 * 3600 + 12 * 60) == "3h 12m ago"
    assert age(2 * 86400 + 4 * 3600 + 59 * 60) == "2d 4h ago"
    assert size(None) == "—"
    assert size(512) == "512 B"
    assert size(1_258_291) == "1.2 MiB"
    assert size(5 * 1024**4) == "5120.0 GiB"
    assert key_id(["age1qyqszqgpqyqszqgp7x2k"]) == "age1qyq…7x2k"
    assert key_id(["age1short", "age1escrowescrowescrow"]) == "age1short +1"
    assert key_id([]) == "—"


def test_summary_levels() -> None:
    health, _, _ = healthy()
    summary = summarize(health, FIXED_AT)
    assert summary.level is Level.OK
    assert summary.backup == "✓ last full backup 6h 26m ago (1.3 MiB, 5.0 s)"
    assert summary.drill == "drill ✓ 5h 26m ago"

    late, _, _ = overdue()
    summary = summarize(late, FIXED_AT)
    assert summary.level is Level.ERROR
    assert summary.backup == "⚠ overdue: last good 3d 6h ago · 2 runs failed"
    assert summary.drill == "drill ✗ 3d 5h ago"

    failing = health.model_copy(update={"failures_since_success": 1})
    summary = summarize(failing, FIXED_AT)
    assert summary.level is Level.WARNING
    assert summary.backup == "✗ 1 run failed since the last good backup (6h 26m ago)"

    drill_failed = health.model_copy(update={"last_drill_status": "failed"})
    assert summarize(drill_failed, FIXED_AT).level is Level.WARNING

    nothing, _, _ = empty()
    summary = summarize(nothing, FIXED_AT)
    assert (summary.level, summary.backup, summary.drill) == (
        Level.WARNING,
        "⚠ no backup yet",
        "no drill yet",
    )
    tenant_only = nothing.model_copy(
        update={"tenant_last_success_at": FIXED_AT - timedelta(minutes=2)}
    )
    summary = summarize(tenant_only, FIXED_AT)
    assert (summary.level, summary.backup) == (
        Level.WARNING,
        "⚠ no full backup yet · this tenant's backup 2m ago",
    )


def test_verified_is_the_latest_verify_or_drill() -> None:
    _, items, runs = healthy()
    found = verifications(runs)
    assert set(found) == {items[0].id, items[2].id}
    assert found[items[0].id].label.startswith("✓ ")
    _, old, failed_runs = overdue()
    assert verifications(failed_runs)[old[0].id].label.startswith("✗ ")


# The screen


def _alert(seq: int, reason: str, message: str) -> EventEnvelope:
    event = BackupAlert.model_validate({"reason": reason, "message": message})
    return EventEnvelope(seq=seq, tenant_id=TENANT_ID, at=FIXED_AT, event=event)


def _cells(table: DataTable[str], column: int) -> list[str]:
    return [str(table.get_row_at(row)[column]) for row in range(table.row_count)]


async def test_lists_newest_first_with_health(tmp_path: Path) -> None:
    client = BackupsClient("x", healthy(), me=person(Role.SUPERVISOR))
    app = backups_app(tmp_path, client)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_backups(pilot, 6)
        table = screen.query_one("#backups", DataTable)
        created = _cells(table, 0)
        assert created == sorted(created, reverse=True)
        assert _cells(table, 1)[0] == "tenant acme"
        verified = dict(zip(_cells(table, 6), _cells(table, 4), strict=True))
        items = client.items
        assert verified[items[0].id].startswith("✓")
        assert verified[items[1].id] == "—"
        status = screen.query_one(BackupStatus)
        assert status.has_class("-ok")
        assert "drill ✓ 5h 26m ago" in str(status.render())


async def test_admin_triggers_a_backup_once(tmp_path: Path) -> None:
    client = BackupsClient("x", healthy(), me=person(Role.ADMIN))
    client.create_gate = asyncio.Event()
    log = MessageLog()
    app = backups_app(tmp_path, client)
    async with app.run_test(size=(120, 36), message_hook=log) as pilot:
        screen = await open_backups(pilot, 6)
        loads = screen.loads
        await pilot.press("b")
        await pilot.press("b")  # the second press while the first runs is refused
        await pilot.pause()
        progress = str(screen.query_one("#backup-progress").render())
        assert progress == "Backing up tenant acme…"
        assert log.notifications() == [": A backup is already running."]
        client.create_gate.set()
        await wait_until(pilot, lambda: screen.loads > loads and len(screen.manifests) == 7, "7")
        assert len(client.created) == 1
        assert screen.manifests[0].id == client.created[0].id
        assert log.notifications()[-1] == f"Backup stored: {client.created[0].id} (5.2 MiB)"
        stored = f"stored: {size(client.created[0].stored_bytes)} in 0.9 s"
        assert stored in str(screen.query_one("#backup-progress").render())


async def test_admin_verifies_the_selected_backup(tmp_path: Path) -> None:
    client = BackupsClient("x", healthy(), me=person(Role.OWNER))
    client.verify_gate = asyncio.Event()
    log = MessageLog()
    app = backups_app(tmp_path, client)
    async with app.run_test(size=(120, 36), message_hook=log) as pilot:
        screen = await open_backups(pilot, 6)
        table = screen.query_one("#backups", DataTable)
        await pilot.press("down")  # the latest full backup (the tenant one is newer)
        target = screen.manifests[1].id
        loads = screen.loads
        await pilot.press("v")
        await pilot.pause()
        assert table.get_cell(target, "verified") == "… verifying"
        assert f"Verifying {target}" in str(screen.query_one("#backup-progress").render())
        client.verify_gate.set()
        await wait_until(pilot, lambda: screen.loads > loads, "the reload after verify")
        assert client.verified == [target]
        assert str(table.get_cell(target, "verified")).startswith("✓ ")
        assert f"Verified {target}: checksums match, decrypts" in log.notifications()


async def test_a_bad_backup_says_so(tmp_path: Path) -> None:
    client = BackupsClient("x", healthy(), me=person(Role.ADMIN))
    client.verify_ok = False
    log = MessageLog()
    app = backups_app(tmp_path, client)
    async with app.run_test(size=(120, 36), message_hook=log) as pilot:
        screen = await open_backups(pilot, 6)
        target = screen.manifests[0].id
        loads = screen.loads
        await pilot.press("v")
        await wait_until(pilot, lambda: screen.loads > loads, "the reload after verify")
        table = screen.query_one("#backups", DataTable)
        assert str(table.get_cell(target, "verified")).startswith("✗ ")
        assert f"{target} is bad: payload SHA-256 differs" in log.notifications()


async def test_supervisor_can_not_trigger_or_verify(tmp_path: Path) -> None:
    client = BackupsClient("x", healthy(), me=person(Role.SUPERVISOR))
    app = backups_app(tmp_path, client)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_backups(pilot, 6)
        shown = {b.binding.key for b in screen.active_bindings.values() if b.enabled}
        assert "r" in shown
        assert not {"b", "v"} & shown
        await pilot.press("b", "v")
        await pilot.pause()
        assert client.created == []
        assert client.verified == []
    # A role lowered on the daemon after login: its 403 is a toast, nothing breaks.
    client = BackupsClient("x", healthy(), me=person(Role.ADMIN))
    client.role = Role.SUPERVISOR
    log = MessageLog()
    app = backups_app(tmp_path / "second", client)
    async with app.run_test(size=(120, 36), message_hook=log) as pilot:
        screen = await open_backups(pilot, 6)
        await pilot.press("b")
        await wait_until(pilot, lambda: bool(log.notifications()), "a toast")
        assert log.notifications() == ["Backup failed: Forbidden: this needs the admin role"]
        assert client.created == []


async def test_alert_toasts_once_and_reloads(tmp_path: Path) -> None:
    client = BackupsClient("x", healthy(), me=person(Role.SUPERVISOR))
    log = MessageLog()
    app = backups_app(tmp_path, client)
    async with app.run_test(size=(120, 36), message_hook=log) as pilot:
        screen = await open_backups(pilot, 6)
        client.state = overdue()[0]
        loads, reads = screen.loads, client.health_reads
        app.post_message(EventReceived(_alert(2, "backup_overdue", "no backup since [11 Mar]")))
        await wait_until(pilot, lambda: screen.loads > loads, "the reload")
        await wait_until(pilot, lambda: client.health_reads >= reads + 2, "the widget's reload")
        assert log.notifications() == ["Backup overdue: no backup since [11 Mar]"]
        assert screen.query_one(BackupStatus).has_class("-error")
        assert "⚠ Backup overdue: no backup since [11 Mar]" in str(
            screen.query_one("#backup-progress").render()
        )
        await pilot.press("f3")
        home = app.screen
        assert isinstance(home, HomeScreen)
        widget = home.query_one(BackupStatus)
        await wait_until(pilot, lambda: widget.has_class("-error"), "the home widget overdue")
        assert "⚠ overdue" in str(widget.render())


async def test_empty_and_the_home_widget(tmp_path: Path) -> None:
    client = BackupsClient("x", empty(), me=person(Role.ADMIN))
    app = backups_app(tmp_path, client)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_backups(pilot, 0)
        assert screen.query_one("#backups-empty").display
        assert not screen.query_one("#backups", DataTable).display
        await pilot.press("v")  # nothing to verify: a toast, no request
        await pilot.pause()
        assert client.verified == []
        await pilot.press("f3")
        widget = app.screen.query_one(BackupStatus)
        await wait_until(pilot, lambda: widget.has_class("-warning"), "the home widget")
        assert "no backup yet · no drill yet" in str(widget.render())


async def test_agents_have_no_widget_nor_key(tmp_path: Path) -> None:
    client = BackupsClient("x", healthy(), me=person(Role.AGENT))
    app = backups_app(tmp_path, client)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.client is not None, "session")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
        assert not app.screen.query(BackupStatus)
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert client.health_reads == 0


async def test_a_resync_reads_the_health_again(tmp_path: Path) -> None:
    client = BackupsClient("x", healthy(), me=person(Role.SUPERVISOR))
    app = backups_app(tmp_path, client)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_backups(pilot, 6)
        client.state = overdue()[0]
        loads, reads = screen.loads, client.health_reads
        app.post_message(ResyncNeeded("sequence gap"))
        await wait_until(pilot, lambda: screen.loads > loads, "the screen's reload")
        await wait_until(pilot, lambda: client.health_reads >= reads + 2, "the widget's reload")
        assert screen.query_one(BackupStatus).has_class("-error")


def test_stale_age_moves_with_the_clock() -> None:
    health, _, _ = healthy()
    later = FIXED_AT + timedelta(hours=20)
    assert summarize(health, later).backup.startswith("✓ last full backup 1d 2h ago")
