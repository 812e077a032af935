"""Snapshots of each step of the onboarding wizard, and of the Tenant and Numbers pages built
from its step widgets, at 160x48 and 80x24, with fixed data (a tenant with its profile and
number done and its team skipped) and no network."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static

from pytake_daemon.protocol.onboarding import StepName
from pytake_tui.screens.numbers_admin import NumbersAdminScreen
from pytake_tui.screens.onboarding import OnboardingScreen
from pytake_tui.screens.tenant_profile import TenantProfileScreen
from pytake_tui.widgets.invite_queues import InviteQueues
from pytake_tui.widgets.onboarding_profile import ProfileStep

from .chat_support import still_cursors
from .helpers import wait_until
from .onboarding_support import PageApp, WizardApp

SIZES = [pytest.param((160, 48), id="160x48"), pytest.param((80, 24), id="80x24")]


def _loaded(screen: OnboardingScreen, step: StepName) -> bool:
    pane = screen.query_one(f"#step-{step.value}")
    if pane.disabled:  # a step reading what it shows
        return False
    if step is StepName.QUEUES:
        return bool(pane.query("#q1-max_size"))
    if step is StepName.AUTOMATION:
        return "passes" in str(pane.query_one("#automation-preview", Static).render())
    if step is StepName.NUMBER:
        return "Callback URL" in str(pane.query_one("#webhook-url", Static).render())
    if step is StepName.DEFAULTS:
        return pane.query_one("#digest", Select).value == "hourly"
    if step is StepName.TEAM:
        return all(picker.loaded for picker in pane.query(InviteQueues)) and bool(
            pane.query(InviteQueues)
        )
    return True


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("step", list(StepName), ids=lambda s: s.value)
def test_wizard_step(snap_compare: Any, step: StepName, size: tuple[int, int]) -> None:
    app = WizardApp()

    async def ready(pilot: Pilot[Any]) -> None:
        def shown() -> bool:
            return isinstance(app.screen, OnboardingScreen) and app.screen.state is not None

        await wait_until(pilot, shown, "the wizard with its state")
        screen = app.screen
        assert isinstance(screen, OnboardingScreen)
        screen.show_step(step)
        await wait_until(pilot, lambda: _loaded(screen, step), f"step {step} loaded")
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_tenant_page(snap_compare: Any, size: tuple[int, int]) -> None:
    app = PageApp(lambda client: TenantProfileScreen(client=client))

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: isinstance(app.screen, TenantProfileScreen), "the page")
        form = app.screen.query_one(ProfileStep)
        await wait_until(
            pilot,
            lambda: form.loaded is not None and not form.disabled,
            "the profile",
        )
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_numbers_page_rotating(snap_compare: Any, size: tuple[int, int]) -> None:
    """The list, and the highlighted number's form for new secrets (ids kept, secrets empty)."""
    app = PageApp(lambda client: NumbersAdminScreen(client=client))

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: isinstance(app.screen, NumbersAdminScreen), "the page")
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the number")
        table.focus()
        await pilot.press("r")
        await pilot.pause()
        still_cursors(pilot)

    assert snap_compare(app, run_before=ready, terminal_size=size)
