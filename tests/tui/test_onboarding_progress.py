"""The setup's progress widget (OB2) and the wizard's ways in, against the real daemon: an
admin (not the owner) is not interrupted at login but sees what is left on the activity screen
and the dashboard, and ctrl+w opens the wizard; an agent sees neither."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pytake_daemon.protocol import Role
from pytake_tui import build_app
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import HomeScreen
from pytake_tui.screens.dashboard import DashboardScreen
from pytake_tui.screens.onboarding import OnboardingScreen
from pytake_tui.widgets.onboarding_progress import OnboardingProgress
from tests.conftest import ApiClient, MakeTenant
from tests.support import Member

from .helpers import wait_until

DEADLINE = 30.0  # a loaded machine (the suite's workers) answers slower than the helpers' 10 s


def _resume_as(api: ApiClient, member: Member, credentials: Path) -> str:
    server = str(api.make_url("")).rstrip("/")
    CredentialStore(credentials).save(
        SavedSession(
            server=server,
            token=member.token,
            email=member.email,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
    )
    return server


async def test_an_admin_sees_what_is_left_and_continues_with_the_key(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    resp = await api.put(
        "/api/v1/onboarding/steps/team",
        json={"status": "skipped"},
        headers=tenant[Role.OWNER].headers,
    )
    assert resp.status == 200
    credentials = tmp_path / "credentials.json"
    server = _resume_as(api, tenant[Role.ADMIN], credentials)
    app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.me is not None, "the session", DEADLINE)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), "activity", DEADLINE)
        progress = app.screen.query_one(OnboardingProgress)
        await wait_until(pilot, lambda: progress.state is not None, "the progress", DEADLINE)
        assert progress.display
        assert str(progress.render()) == (
            "Setup: 1 of 7 steps done · next: Business profile · ctrl+w to continue"
        )
        assert not any(isinstance(s, OnboardingScreen) for s in app.screen_stack)  # no owner
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        on_dashboard = app.screen.query_one(OnboardingProgress)
        await wait_until(pilot, lambda: on_dashboard.display, "its progress line", DEADLINE)
        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: isinstance(app.screen, OnboardingScreen), "the wizard")
        wizard = app.screen
        assert isinstance(wizard, OnboardingScreen)
        await wait_until(pilot, lambda: wizard.state is not None, "its state", DEADLINE)
        assert wizard.current.value == "profile"  # the first step neither done nor skipped
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, OnboardingScreen), "closed")


async def test_an_agent_gets_neither_the_widget_nor_the_key(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    credentials = tmp_path / "credentials.json"
    server = _resume_as(api, tenant[Role.AGENT], credentials)
    app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.me is not None, "the session", DEADLINE)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), "activity", DEADLINE)
        assert not app.screen.query(OnboardingProgress)
        await pilot.press("ctrl+w")
        await pilot.pause()
        assert not any(isinstance(s, OnboardingScreen) for s in app.screen_stack)
