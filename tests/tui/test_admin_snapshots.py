"""Snapshots of the admin area at 160x48 and 80x24: the hub, each page with fixed data
(``admin_support.py``), and the queue and template forms with an error under a field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, SelectionList

from pytake_tui.navigation import SessionContext
from pytake_tui.screens.admin import AdminScreen
from pytake_tui.screens.admin_agents import AdminAgentsScreen
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.admin_invitations import AdminInvitationsScreen
from pytake_tui.screens.admin_queue_form import QueueFormScreen
from pytake_tui.screens.admin_queues import AdminQueuesScreen
from pytake_tui.screens.admin_template_form import TemplateFormScreen
from pytake_tui.screens.admin_templates import AdminTemplatesScreen
from pytake_tui.screens.admin_user_dialogs import InviteDialog
from pytake_tui.screens.admin_users import AdminUsersScreen
from pytake_tui.widgets.invite_queues import InviteQueues

from .admin_support import admin_app, admin_ready, session_of, shown
from .chat_support import still_cursors
from .helpers import wait_until

SIZES = [pytest.param((160, 48), id="160x48"), pytest.param((80, 24), id="80x24")]
Page = Callable[[SessionContext], Screen[Any]]


def _page(build: Page) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def ready(pilot: Pilot[Any]) -> None:
        await admin_ready(pilot)
        await shown(pilot, build(session_of(pilot.app)))

    return ready


@pytest.mark.parametrize("size", SIZES)
def test_admin_hub(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Every page an admin may open, with what it is for."""
    assert snap_compare(admin_app(tmp_path), run_before=_page(AdminScreen), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_admin_users(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Users (active first, by role), the highlighted one's session and API token below."""
    page = _page(lambda c: AdminUsersScreen(client=c.client, me=c.me))
    assert snap_compare(admin_app(tmp_path), run_before=page, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_admin_invitations(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Invitations and password resets, newest first, with their state."""
    page = _page(lambda c: AdminInvitationsScreen(client=c.client))
    assert snap_compare(admin_app(tmp_path), run_before=page, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_admin_queues(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Queues with routing, capacity and hours; the highlighted queue's details below."""
    page = _page(lambda c: AdminQueuesScreen(client=c.client))
    assert snap_compare(admin_app(tmp_path), run_before=page, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_admin_agents(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Agents with capacity, skills, departments and working hours."""
    page = _page(lambda c: AdminAgentsScreen(client=c.client))
    assert snap_compare(admin_app(tmp_path), run_before=page, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_admin_templates(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Templates with their review status; the highlighted one's body below."""
    page = _page(lambda c: AdminTemplatesScreen(client=c.client))
    assert snap_compare(admin_app(tmp_path), run_before=page, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_admin_queue_form(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Editing Care (the first by name) with a time zone that isn't one: the protocol's
    sentence under the field."""

    async def ready(pilot: Pilot[Any]) -> None:
        await admin_ready(pilot)
        queues = AdminQueuesScreen(client=session_of(pilot.app).client)
        await shown(pilot, queues)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, QueueFormScreen), "form")
        form = pilot.app.screen
        form.query_one("#field-timezone", Input).value = "Mars/Olympus"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.query_one("#error-timezone").display, "the error")
        still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(admin_app(tmp_path), run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_admin_template_form(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """A body with a placeholder and no example: said under the examples field."""

    async def ready(pilot: Pilot[Any]) -> None:
        await admin_ready(pilot)
        templates = AdminTemplatesScreen(client=session_of(pilot.app).client)
        await shown(pilot, templates)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TemplateFormScreen), "form")
        form = pilot.app.screen
        assert isinstance(form, TemplateFormScreen)
        form.fill(name="order_ready", language="pt_BR", body="Pedido {{1}} pronto.")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.query_one("#error-body_examples").display, "error")
        still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(admin_app(tmp_path), run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_admin_template_delete_question(
    snap_compare: Any, tmp_path: Path, size: tuple[int, int]
) -> None:
    """Delete on the highlighted template asks first, saying what Meta does with it."""

    async def ready(pilot: Pilot[Any]) -> None:
        await admin_ready(pilot)
        templates = AdminTemplatesScreen(client=session_of(pilot.app).client)
        await shown(pilot, templates)
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmChange), "question")
        await pilot.pause()

    assert snap_compare(admin_app(tmp_path), run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_admin_invite_dialog(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    """Users → i: e-mail, role and the queues an agent will serve, one ticked."""

    async def ready(pilot: Pilot[Any]) -> None:
        await admin_ready(pilot)
        context = session_of(pilot.app)
        await shown(pilot, AdminUsersScreen(client=context.client, me=context.me))
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, InviteDialog), "dialog")
        dialog = pilot.app.screen
        await wait_until(pilot, lambda: bool(dialog.query(InviteQueues)), "the queues' field")
        queues = dialog.query_one(InviteQueues)
        await wait_until(pilot, lambda: queues.loaded, "the queues")
        picker = queues.query_one(SelectionList)
        picker.select(picker.get_option_at_index(0).value)
        dialog.query_one("#invite-email", Input).value = "nova@example.com"
        still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(admin_app(tmp_path), run_before=ready, terminal_size=size)
