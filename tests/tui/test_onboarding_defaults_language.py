"""Step 6 of the wizard starts the AI's language from the profile saved in step 1 of the same
session, against the real daemon (issue 19's walkthrough: the owner chose English in step 1
and step 6, read when the wizard opened, offered Português)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import Input, Select, Switch

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.onboarding import StepName, StepStatus
from pytake_tui import build_app
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens.onboarding import OnboardingScreen
from pytake_tui.widgets.onboarding_defaults import DefaultsStep
from pytake_tui.widgets.onboarding_profile import ProfileStep
from tests.conftest import ApiClient, MakeTenant

from .helpers import click_button, wait_until

DEADLINE = 30.0


async def test_the_ai_language_follows_the_profile_saved_in_step_one(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    owner = tenant[Role.OWNER]
    server = str(api.make_url("")).rstrip("/")
    credentials = tmp_path / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=server, token=owner.token, email=owner.email,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
    )  # fmt: skip
    app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, OnboardingScreen), "the wizard", DEADLINE
        )
        wizard = pilot.app.screen
        assert isinstance(wizard, OnboardingScreen)
        profile = wizard.query_one(f"#step-{StepName.PROFILE.value}", ProfileStep)
        await wait_until(pilot, lambda: profile.loaded is not None, "the profile", DEADLINE)
        assert profile.loaded is not None
        assert profile.loaded.language != "en"  # the default: the choice below is a change
        profile.query_one("#timezone", Input).value = "UTC"
        profile.query_one("#language", Select).value = "en"
        await click_button(pilot, "#profile-save", DEADLINE)
        await wait_until(
            pilot,
            lambda: wizard.state is not None and wizard.state.steps[0].status is StepStatus.DONE,
            "step 1 recorded",
            DEADLINE,
        )

        wizard.show_step(StepName.DEFAULTS)  # as Enter on the list does
        defaults = wizard.query_one(f"#step-{StepName.DEFAULTS.value}", DefaultsStep)
        retention = defaults.query_one("#retention_days", Input)
        await wait_until(pilot, lambda: retention.value != "", "the defaults", DEADLINE)
        assert defaults.query_one("#ai_language", Select).value == "en"
        assert not defaults.disabled
        assert isinstance(defaults.query_one("#ai_enabled", Switch).value, bool)
