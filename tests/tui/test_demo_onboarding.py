"""The demo's owner is not greeted by the onboarding wizard (issue 19 walkthrough): the demo is
seeded as ``pytake demo`` seeds it (accounts, workspace, then ``demo_onboarding``) against the
real daemon, and its owner's console opens on its first destination with the progress widget
hidden (the setup finished); ctrl+w still opens the wizard, every step done."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from pytake_cli import demo_content, demo_onboarding, demo_seed
from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol.onboarding import OnboardingState, StepStatus, TenantProfileOut
from pytake_tui.screens import HomeScreen
from pytake_tui.screens.onboarding import OnboardingScreen
from pytake_tui.widgets.onboarding_progress import OnboardingProgress
from tests.conftest import ApiClient

from .admin_support import real_app, server_of, signed_in
from .helpers import wait_until

DEADLINE = 30.0


async def seed_demo(api: ApiClient, settings: Settings, endpoints: Endpoints, tmp: Path) -> str:
    """Seed as ``pytake demo`` does; the owner's session token."""
    credentials = await demo_seed.seed_accounts(
        settings, endpoints, tmp / demo_seed.CREDENTIALS_FILE, language="en"
    )
    async with aiohttp.ClientSession() as http:
        client = demo_seed.Api(http, server_of(api))
        for _run in range(2):  # a second ``pytake demo`` finds it all and changes nothing
            workspace = await demo_seed.seed_workspace(client, credentials, language="en")
            await demo_onboarding.seed_setup(client, workspace)
            await demo_onboarding.mark_live(settings, endpoints)
        state = await client.call("GET", "/api/v1/onboarding", OnboardingState)
        assert state.finished
        assert {s.status for s in state.steps} == {StepStatus.DONE}
        profile = await client.call("GET", "/api/v1/tenant/profile", TenantProfileOut)
        assert (profile.business_name, profile.configured) == (demo_content.TENANT_NAME, True)
        return client.token or ""


async def test_the_demo_owner_is_not_greeted_by_the_wizard(
    aiohttp_client: Callable[[web.Application], Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    tmp_path: Path,
) -> None:
    # A login throttle of its own: on the worker's shared prefix the suite's wrong-password
    # tests fill 127.0.0.1's window, and the demo owner's login was refused with 429.
    prefix = f"{settings.redis.key_prefix}demo-{uuid.uuid4().hex[:8]}:"
    own = settings.model_copy(
        update={"redis": settings.redis.model_copy(update={"key_prefix": prefix})}
    )
    api = await aiohttp_client(create_app(own, endpoints))
    token = await seed_demo(api, own, endpoints, tmp_path)
    app = real_app(tmp_path, server_of(api), token, demo_seed.OWNER.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), "activity", DEADLINE)
        progress = app.screen.query_one(OnboardingProgress)
        await wait_until(pilot, lambda: progress.state is not None, "the progress", DEADLINE)
        assert progress.state is not None
        assert progress.state.finished
        assert not progress.display
        # The login's offer read the same finished state: no wizard on the stack.
        await pilot.pause()
        assert not any(isinstance(s, OnboardingScreen) for s in app.screen_stack)

        await pilot.press("ctrl+w")  # still there for an owner who wants to look
        await wait_until(pilot, lambda: isinstance(app.screen, OnboardingScreen), "the wizard")
        wizard = app.screen
        assert isinstance(wizard, OnboardingScreen)
        await wait_until(pilot, lambda: wizard.state is not None, "its state", DEADLINE)
        assert wizard.state is not None
        assert wizard.state.completed == len(wizard.state.steps)


def test_the_seeded_go_live_summary_is_in_the_demos_language() -> None:
    english = demo_onboarding.seeded_summary(demo_content.ENGLISH)
    portuguese = demo_onboarding.seeded_summary(demo_content.PORTUGUESE)
    assert english[0] == "Demo Shop: set up by pytake demo"
    assert portuguese == [
        "Loja Demo: configurada pelo pytake demo",
        f"número {demo_seed.NUMBER_DISPLAY} (o do simulador)",
        f"filas Vendas, Suporte; fluxo '{demo_content.FLOW_NAME}'",
    ]
