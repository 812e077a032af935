"""Snapshots of the audit screen (f7) with a fixed clock and log: loaded, one entry's detail,
an empty log (80x24), and the room a larger terminal gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_tui.screens.audit_detail import AuditDetailScreen

from .audit_fakes import AuditLog, actions, audit_app, demo_log, open_audit, table
from .chat_support import still_cursors
from .helpers import wait_until

SIZE = (80, 24)


def test_audit_loaded(snap_compare: Any, tmp_path: Path) -> None:
    """The last day: chart, the alert and the spike, entries with their outcome marks."""

    async def ready(pilot: Pilot[Any]) -> None:
        await open_audit(pilot, 11)
        still_cursors(pilot)

    assert snap_compare(audit_app(tmp_path, demo_log()), run_before=ready, terminal_size=SIZE)


def test_audit_detail(snap_compare: Any, tmp_path: Path) -> None:
    """The flow publish: who, what, from where, and its difference (added and changed)."""

    async def ready(pilot: Pilot[Any]) -> None:
        screen = await open_audit(pilot, 11)
        table(screen).move_cursor(row=actions(screen).index("flow.publish"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AuditDetailScreen), "detail")
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(audit_app(tmp_path, demo_log()), run_before=ready, terminal_size=SIZE)


def test_audit_empty(snap_compare: Any, tmp_path: Path) -> None:
    """Nothing recorded: an empty chart, no alerts, no spikes, and the notice."""

    async def ready(pilot: Pilot[Any]) -> None:
        await open_audit(pilot, 0)
        still_cursors(pilot)

    assert snap_compare(audit_app(tmp_path, AuditLog()), run_before=ready, terminal_size=SIZE)


def test_audit_wide(snap_compare: Any, tmp_path: Path) -> None:
    """A larger terminal: a taller chart, whole alert summaries and the target column."""

    async def ready(pilot: Pilot[Any]) -> None:
        await open_audit(pilot, 11)
        still_cursors(pilot)

    assert snap_compare(audit_app(tmp_path, demo_log()), run_before=ready, terminal_size=(120, 35))
