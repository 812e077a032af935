"""The onboarding wizard driven by Textual's pilot against the real daemon (app, PostgreSQL,
Redis) and the simulator playing Meta: a fresh tenant's owner logs in, the wizard opens by
itself, and every step is taken, one wrong token and one skip included, to a passing go-live
check; the progress widget follows on the activity screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.onboarding import StepName, StepStatus
from pytake_tui import build_app
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens.onboarding import OnboardingScreen
from pytake_tui.widgets.onboarding_profile import ProfileStep
from pytake_tui.widgets.onboarding_progress import OnboardingProgress
from pytake_tui.widgets.onboarding_step import StepPane
from tests.conftest import ApiClient, MakeTenant
from tests.invitations.support import NEW_PASSWORD
from tests.onboarding.support import WizardWorld, wizard_world

from .helpers import click_button
from .helpers import wait_until as _wait_until

DEADLINE = 30.0


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], bool], what: str, timeout: float = DEADLINE
) -> None:
    """The helpers' wait with this file's deadline: the suite's workers load the machine."""
    await _wait_until(pilot, predicate, what, timeout)


def _text(screen: OnboardingScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _pane(screen: OnboardingScreen, step: StepName) -> StepPane:
    return screen.query_one(f"#step-{step.value}", StepPane)


def _fill(pane: StepPane, **values: str) -> None:
    for name, value in values.items():
        pane.query_one(f"#{name}", Input).value = value


async def _click(pilot: Pilot[None], selector: str) -> None:
    await click_button(pilot, selector, DEADLINE)


def _saved_owner(world: WizardWorld, credentials: Path) -> str:
    server = str(world.api.make_url("")).rstrip("/")
    owner = world.tenant[Role.OWNER]
    CredentialStore(credentials).save(
        SavedSession(
            server=server,
            token=owner.token,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            email=owner.email,
        )
    )
    return server


async def test_an_owner_is_taken_from_nothing_to_a_passing_go_live_check(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    tmp_path: Path,
) -> None:
    tenant = await make_tenant()
    async with wizard_world(aiohttp_client, settings, endpoints, tenant) as world:
        credentials = tmp_path / "credentials.json"
        server = _saved_owner(world, credentials)
        app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)
        async with app.run_test(size=(160, 48)) as pilot:

            async def on_step(step: StepName) -> OnboardingScreen:
                await wait_until(
                    pilot,
                    lambda: isinstance(app.screen, OnboardingScreen) and app.screen.current is step,
                    f"step {step}",
                    DEADLINE,
                )
                assert isinstance(app.screen, OnboardingScreen)
                return app.screen

            # 1. The wizard opened by itself at the owner's login, on the business profile.
            wizard = await on_step(StepName.PROFILE)
            profile = _pane(wizard, StepName.PROFILE)
            assert isinstance(profile, ProfileStep)
            await wait_until(pilot, lambda: profile.loaded is not None, "the profile", DEADLINE)
            assert profile.loaded is not None
            assert profile.loaded.business_name == tenant.slug  # the tenant's name to start
            _fill(
                profile,
                business_name="Loja da Ana",
                timezone="Mars/Olympus",
                business_hours="mon-fri 09:00-18:00; sat 09:00-13:00",
            )
            profile.query_one("#segment", Select).value = "retail"
            await _click(pilot, "#profile-save")
            await wait_until(
                pilot,
                lambda: "unknown time zone" in profile.error_text("timezone"),
                "the zone refused under its field",
            )
            _fill(profile, timezone="America/Sao_Paulo")
            await _click(pilot, "#profile-save")

            # 2. The number: a wrong token first, then the right one.
            wizard = await on_step(StepName.NUMBER)
            number = _pane(wizard, StepName.NUMBER)
            await wait_until(
                pilot,
                lambda: "/api/v1/whatsapp/webhook" in _text(wizard, "#webhook-url"),
                "the webhook address",
            )
            body = world.number_body()
            _fill(number, **{**body, "access_token": "EAAGwrong"})
            await _click(pilot, "#number-save")
            await wait_until(
                pilot,
                lambda: "Invalid OAuth access token" in number.error_text("access_token"),
                "Meta's sentence under the token",
            )
            _fill(number, access_token=body["access_token"])
            await _click(pilot, "#number-save")
            wizard = await on_step(StepName.TEAM)
            assert number.query_one("#access_token", Input).value == ""  # never shown again
            assert "✓ webhook" in _text(wizard, "#number-checks")

            # 3. The team: an agent invited, who joins with her code.
            team = _pane(wizard, StepName.TEAM)
            _fill(team, email="bia@example.test")
            await _click(pilot, "#team-invite")
            await wait_until(pilot, lambda: "code " in _text(wizard, "#team-invited"), "the code")
            code = _text(wizard, "#team-invited").split("code ")[1].split(" ")[0]
            joined = await world.api.post(
                "/api/v1/invitations/accept",
                json={"code": code, "password": NEW_PASSWORD, "name": "Bia"},
            )
            assert joined.status == 201, await joined.text()
            await _click(pilot, "#team-done")

            # 4. The queues of the retail template, with skills.
            wizard = await on_step(StepName.QUEUES)
            queues = _pane(wizard, StepName.QUEUES)
            await wait_until(pilot, lambda: bool(queues.query("#q1-required_skills")), "the rows")
            _fill(queues, **{"q0-required_skills": "vendas", "q1-max_size": "lots"})
            await _click(pilot, "#queues-create")
            await wait_until(pilot, lambda: bool(queues.error_text("q1-max_size")), "the capacity")
            _fill(queues, **{"q1-max_size": "80"})
            await _click(pilot, "#queues-create")

            # 5. The retail flow: its test conversation, then published.
            wizard = await on_step(StepName.AUTOMATION)
            await wait_until(
                pilot,
                lambda: "the test conversation passes" in _text(wizard, "#automation-preview"),
                "the preview",
            )
            await _click(pilot, "#automation-publish")

            # 6. Defaults skipped, then returned to and saved.
            wizard = await on_step(StepName.DEFAULTS)
            await pilot.press("alt+s")
            wizard = await on_step(StepName.GO_LIVE)
            await pilot.press("alt+p")
            wizard = await on_step(StepName.DEFAULTS)
            await wait_until(
                pilot,
                lambda: (
                    _pane(wizard, StepName.DEFAULTS).query_one("#retention_days", Input).value != ""
                ),
                "the defaults read",
            )
            await _click(pilot, "#defaults-save")

            # 7. Go-live: the test message round trip, then the check.
            wizard = await on_step(StepName.GO_LIVE)
            await _click(pilot, "#round-trip-start")
            await wait_until(pilot, lambda: "Send “pytake " in _text(wizard, "#round-trip"), "code")
            code = _text(wizard, "#round-trip").split("“")[1].split("”")[0]
            phone = world.sim.customer("5511977776666", name="Ana")
            await world.sim.wait_acked(await phone.send_text(code))
            await wait_until(
                pilot,
                lambda: "✓ the answer was" in _text(wizard, "#round-trip"),
                "the answer delivered",
                DEADLINE,
            )
            await _click(pilot, "#go-live-run")
            await wait_until(
                pilot,
                lambda: _text(wizard, "#go-live-report").startswith("✓ Live"),
                "a passing go-live check",
                DEADLINE,
            )
            await wait_until(
                pilot,
                lambda: wizard.state is not None and wizard.state.finished,
                "the wizard finished",
            )
            assert wizard.state is not None
            statuses = {s.step: s.status for s in wizard.state.steps}
            assert set(statuses.values()) == {StepStatus.DONE}
            assert _text(wizard, "#ob-progress") == "Finished: PyTake is live"

            # The progress widget on the activity screen hides once the setup is finished.
            await pilot.press("escape")
            await pilot.press("f3")
            progress = app.screen.query_one(OnboardingProgress)
            progress.reload()
            await wait_until(
                pilot,
                lambda: progress.state is not None and progress.state.finished,
                "the progress read",
            )
            assert progress.display is False
        resp = await world.api.get("/api/v1/users", headers=tenant[Role.OWNER].headers)
        assert "bia@example.test" in await resp.text()


def test_the_go_live_reports_check_names_in_either_language() -> None:
    from pytake_daemon.protocol.onboarding import CheckOutcome, GoLiveReport
    from pytake_i18n import use_language
    from pytake_tui.widgets.onboarding_golive import report_text

    report = GoLiveReport(
        passed=False,
        checks=[
            CheckOutcome(name="queues", ok=True, detail="filas: 2"),
            CheckOutcome(name="round trip", ok=False, detail="x"),
        ],
        summary=["Loja: retail"],
    )
    with use_language("pt_BR"):
        lines = report_text(report).splitlines()
    assert lines[1:3] == ["✓ Filas: filas: 2", "✗ Mensagem de teste: x"]
    with use_language("en"):
        assert report_text(report).splitlines()[2] == "✗ Test message: x"
