"""Admin → Queues and Admin → Agents against the real daemon (app, PostgreSQL, Redis): an admin
reaches them from the hub, creates a queue, edits it, deactivates it, removes one (and is told
why another can't go), and changes an agent's
settings and removes some, each checked through the API; the protocol's refusals show under the
field and the daemon's (a name taken) on the form, nothing changed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.queues import OverflowAction, QueueSettings, TimeoutAction
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.screens.admin import AdminScreen
from pytake_tui.screens.admin_agent_form import AgentFormScreen
from pytake_tui.screens.admin_agents import AdminAgentsScreen
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.admin_queue_form import QueueFormScreen
from pytake_tui.screens.admin_queues import AdminQueuesScreen
from pytake_tui.widgets.admin_form import daemon_problems
from tests.conftest import ApiClient, MakeTenant

from .admin_support import real_app, session_of, signed_in
from .helpers import MessageLog, wait_until


def _server(api: ApiClient) -> str:
    return str(api.make_url("")).rstrip("/")


async def _from_hub(pilot: Any, row: int) -> Any:
    """The hub, then its ``row``-th page (enter), waiting for the page's first list."""
    await signed_in(pilot)
    await pilot.app.push_screen(AdminScreen(session_of(pilot.app)))
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AdminScreen), "the hub")
    await pilot.press(*["down"] * row, "enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "loads", 0) > 0, "the page")
    return pilot.app.screen


def _fill(form: QueueFormScreen | AgentFormScreen, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#field-{name}", Input).value = value


def _error(form: Any, name: str) -> str:
    line = form.query_one("#form-error" if name == "form" else f"#error-{name}")
    return str(line.render()) if line.display else ""


async def test_an_admin_creates_edits_and_deactivates_a_queue(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    server = _server(api)
    async with DaemonClient(server, token=admin.token) as client:
        care = await client.create_queue(QueueSettings(name="Care"))
        spare = await client.create_queue(QueueSettings(name="Spare"))
    app = real_app(tmp_path, server, admin.token, admin.email)
    log = MessageLog()
    async with app.run_test(size=(160, 48), message_hook=log) as pilot:
        screen = await _from_hub(pilot, 2)
        assert isinstance(screen, AdminQueuesScreen)
        assert [q.name for q in screen.queues] == ["Care", "Spare"]

        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, QueueFormScreen), "the form")
        form = app.screen
        assert isinstance(form, QueueFormScreen)
        _fill(
            form, name="Care", department="sales", required_skills="pt, sales", max_size="50",
            timezone="America/Sao_Paulo", business_hours="mon-fri 18:00-09:00",
            holidays="2026-12-25", welcome_message="Você é o {position}º da fila.",
        )  # fmt: skip
        # The protocol's refusal: under the hours, nothing sent.
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: "ends before it starts" in _error(form, "business_hours"), ""
        )
        _fill(form, business_hours="mon-fri 09:00-18:00; sat 09:00-13:00")
        # The daemon's refusal (a name taken) on the form's own line; the form stays.
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "already exists" in _error(form, "form"), "the 409")
        assert _error(form, "business_hours") == ""
        assert form.is_current
        _fill(form, name="Sales")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")
        assert [q.name for q in screen.queues] == ["Care", "Sales", "Spare"]
        assert screen.highlighted is not None
        assert screen.highlighted.name == "Sales"

        # Edit: overflow to Care, a shorter timeout that moves the item there.
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, QueueFormScreen), "the form")
        edit = app.screen
        assert isinstance(edit, QueueFormScreen)
        assert edit.query_one("#field-business_hours", Input).value == (
            "mon-fri 09:00-18:00; sat 09:00-13:00"
        )
        edit.query_one("#field-overflow_action", Select).value = OverflowAction.DIVERT
        edit.query_one("#field-timeout_action", Select).value = TimeoutAction.MOVE
        await pilot.press("ctrl+s")  # no target queues yet: the protocol's rule, on the form
        await wait_until(pilot, lambda: "needs timeout_queue_id" in _error(edit, "form"), "")
        edit.query_one("#field-overflow_queue_id", Select).value = care.id
        edit.query_one("#field-timeout_queue_id", Select).value = care.id
        _fill(edit, max_wait_minutes="15")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")

        # Deactivate (asked first).
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: "is inactive" in log.notifications()[-1], "deactivated")

        # Remove: Sales moves timed-out items to Care, so the daemon refuses (and says so).
        table = screen.query_one("#admin-queues", DataTable)
        table.move_cursor(row=0)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: "Not removed" in log.notifications()[-1], "the refusal")
        assert "queue 'Sales' moves timed-out conversations here" in log.notifications()[-1]
        table.move_cursor(row=2)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: "removed" in log.notifications()[-1], "removed")
        assert [q.name for q in screen.queues] == ["Care", "Sales"]

    async with DaemonClient(server, token=admin.token) as client:
        queues = {q.name: q for q in (await client.queues()).items}
    sales = queues["Sales"]
    assert (sales.department, sales.required_skills, sales.max_size) == (
        "sales",
        ["pt", "sales"],
        50,
    )
    assert sales.business_hours == {
        **{d: [("09:00", "18:00")] for d in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [("09:00", "13:00")],
    }
    assert (sales.timezone, sales.holidays) == ("America/Sao_Paulo", [date(2026, 12, 25)])
    assert sales.welcome_message == "Você é o {position}º da fila."
    assert (sales.overflow_action, sales.overflow_queue_id) == (OverflowAction.DIVERT, care.id)
    assert (sales.timeout_action, sales.timeout_queue_id) == (TimeoutAction.MOVE, care.id)
    assert sales.max_wait_minutes == 15
    assert not sales.active
    assert queues["Care"].active
    assert spare.name not in queues


async def test_an_admin_changes_and_clears_an_agents_settings(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin, agent = tenant[Role.ADMIN], tenant[Role.AGENT]
    server = _server(api)
    app = real_app(tmp_path, server, admin.token, admin.email)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _from_hub(pilot, 3)
        assert isinstance(screen, AdminAgentsScreen)
        row = next(i for i, a in enumerate(screen.agents) if a.id == agent.id)
        screen.query_one("#admin-agents", DataTable).move_cursor(row=row)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, AgentFormScreen), "the form")
        form = app.screen
        assert isinstance(form, AgentFormScreen)
        _fill(form, capacity="2000", skills="pt, vip", departments="care",
              working_hours="mon-fri 08:00-12:00", timezone="Europe/Lisbon")  # fmt: skip
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "1,000" in _error(form, "capacity"), "the capacity error")
        _fill(form, capacity="3")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")
        async with DaemonClient(server, token=admin.token) as client:
            saved = next(a for a in (await client.agents()).items if a.id == agent.id)
        assert (saved.capacity, saved.skills, saved.departments) == (3, ["pt", "vip"], ["care"])
        assert saved.working_hours == {
            d: [("08:00", "12:00")] for d in ("mon", "tue", "wed", "thu", "fri")
        }
        assert saved.timezone == "Europe/Lisbon"

        # Removing: blank hours (any time) and no skills.
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, AgentFormScreen), "the form")
        form = app.screen
        assert isinstance(form, AgentFormScreen)
        assert form.query_one("#field-working_hours", Input).value == "mon-fri 08:00-12:00"
        _fill(form, skills="", working_hours="")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")
    async with DaemonClient(server, token=admin.token) as client:
        cleared = next(a for a in (await client.agents()).items if a.id == agent.id)
    assert (cleared.skills, cleared.working_hours, cleared.capacity) == ([], None, 3)
    assert cleared.status == saved.status  # the settings came with the status it had


def test_the_daemons_field_errors_go_under_their_fields() -> None:
    from pytake_daemon.protocol import ProblemField

    error = DaemonError(
        422,
        "Unprocessable Entity",
        fields=(
            ProblemField(loc="body.capacity", msg="Input should be less than 1000", type="x"),
            ProblemField(loc="body.working_hours.mon", msg="Value error, mon: bad", type="x"),
        ),
    )
    assert daemon_problems(error) == [
        ("capacity", "Input should be less than 1000"),
        ("working_hours", "mon: bad"),
    ]
    assert daemon_problems(DaemonError(409, "Conflict", "taken")) == [("", "Conflict: taken")]


async def test_the_daemons_422_names_the_forms_fields(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    """A body the protocol would have refused (built without its checks): the daemon's problem
    document names the fields, and they map onto the queue form's rows."""
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    valid = QueueSettings(name="x").model_dump()
    bad = QueueSettings.model_construct(**{**valid, "name": "", "max_size": 0})
    async with DaemonClient(_server(api), token=admin.token) as client:
        with pytest.raises(DaemonError) as caught:
            await client.create_queue(bad)
    assert caught.value.status == 422
    assert sorted(field for field, _ in daemon_problems(caught.value)) == ["max_size", "name"]
