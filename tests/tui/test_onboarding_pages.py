"""The Tenant and Numbers pages (built from the wizard's step widgets) driven by the pilot
against the real daemon and the simulator playing Meta, with the resulting API state checked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role
from pytake_tui.client import DaemonClient
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.numbers_admin import NumbersAdminScreen
from pytake_tui.screens.tenant_profile import TenantProfileScreen
from pytake_tui.widgets.onboarding_profile import ProfileStep
from tests.conftest import ApiClient, MakeTenant
from tests.onboarding.support import WizardWorld, wizard_world

from .helpers import click_button
from .helpers import wait_until as _wait_until

DEADLINE = 30.0


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], bool], what: str, timeout: float = DEADLINE
) -> None:
    """The helpers' wait with this file's deadline: the suite's workers load the machine."""
    await _wait_until(pilot, predicate, what, timeout)


class PageApp(App[None]):
    def __init__(self, page: Callable[[], Screen[None]]) -> None:
        super().__init__()
        self._page = page

    def on_mount(self) -> None:
        self.push_screen(self._page())


def _client(world: WizardWorld) -> DaemonClient:
    server = str(world.api.make_url("")).rstrip("/")
    return DaemonClient(server, token=world.tenant[Role.ADMIN].token)


async def _click(pilot: Pilot[None], selector: str) -> None:
    await click_button(pilot, selector, DEADLINE)


def _text(screen: DOMNode, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_tenant_page_saves_the_profile(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    tenant = await make_tenant()
    async with wizard_world(aiohttp_client, settings, endpoints, tenant) as world:
        client = _client(world)
        app = PageApp(lambda: TenantProfileScreen(client=client))
        async with client, app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, TenantProfileScreen), "page")
            form = app.screen.query_one(ProfileStep)
            await wait_until(pilot, lambda: form.loaded is not None, "the profile read")
            form.query_one("#business_name", Input).value = "Clínica Bem"
            form.query_one("#business_hours", Input).value = "mon-fri 08:00-17:00; sun 25:00-26:00"
            await _click(pilot, "#profile-save")
            await wait_until(
                pilot,
                lambda: "times are HH:MM" in form.error_text("business_hours"),
                "the hours refused under their field",
            )
            form.query_one("#business_hours", Input).value = "mon-fri 08:00-17:00"
            await _click(pilot, "#profile-save")
            await wait_until(
                pilot, lambda: _text(form, "#profile-saved") == "Saved: Clínica Bem", "saved"
            )
        resp = await world.api.get("/api/v1/tenant/profile", headers=tenant[Role.AGENT].headers)
        saved = await resp.json()
        assert saved["business_name"] == "Clínica Bem"
        assert saved["business_hours"]["fri"] == [["08:00", "17:00"]]
        assert "sat" not in saved["business_hours"]


async def test_numbers_page_adds_rotates_tests_and_removes(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    tenant = await make_tenant()
    async with wizard_world(aiohttp_client, settings, endpoints, tenant) as world:
        client = _client(world)
        app = PageApp(lambda: NumbersAdminScreen(client=client))
        async with client, app.run_test(size=(120, 48)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, NumbersAdminScreen), "page")
            page = app.screen
            assert isinstance(page, NumbersAdminScreen)
            await wait_until(
                pilot, lambda: "No number yet" in _text(page, "#numbers-tested"), "the empty list"
            )
            table = page.query_one(DataTable)
            await pilot.press("a")
            body = world.number_body()
            for name, value in {**body, "phone_number_id": "100000000000999"}.items():
                page.query_one(f"#{name}", Input).value = value
            await _click(pilot, "#number-save")
            form = page.query_one("#number-form")
            await wait_until(
                pilot,
                lambda: (
                    "Unsupported get request"
                    in str(form.query_one("#error-phone_number_id", Static).render())
                ),
                "the id refused",
            )
            page.query_one("#phone_number_id", Input).value = body["phone_number_id"]
            await _click(pilot, "#number-save")
            await wait_until(pilot, lambda: table.row_count == 1, "the number listed")
            # Rotate: the ids come from the row, the secrets are typed again.
            table.focus()
            await pilot.press("r")
            assert page.query_one("#phone_number_id", Input).value == body["phone_number_id"]
            assert page.query_one("#access_token", Input).value == ""
            rotated = world.number_body()
            for name in ("access_token", "app_secret", "verify_token"):
                page.query_one(f"#{name}", Input).value = rotated[name]
            # The label is shown filled in and editable on rotation: a new one is kept.
            page.query_one("#label", Input).value = "Vendas SP"
            await _click(pilot, "#number-save")
            await wait_until(
                pilot,
                lambda: "Secrets replaced" in _text(page, "#number-checks"),
                "the secrets replaced",
            )
            await wait_until(
                pilot, lambda: "Vendas SP" in table.get_row_at(0), "the new label listed"
            )
            listed = await world.api.get(
                "/api/v1/whatsapp/numbers", headers=tenant[Role.ADMIN].headers
            )
            assert [n["label"] for n in (await listed.json())["items"]] == ["Vendas SP"]
            table.focus()
            await pilot.press("t")
            await wait_until(
                pilot,
                lambda: f"✓ graph api {body['phone_number_id']}" in _text(page, "#numbers-tested"),
                "the number tested",
                DEADLINE,
            )
            table.focus()
            await pilot.press("d")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
            await pilot.press("y")
            await wait_until(pilot, lambda: table.row_count == 0, "the number gone")
        resp = await world.api.get("/api/v1/whatsapp/numbers", headers=tenant[Role.ADMIN].headers)
        assert (await resp.json())["items"] == []
        audit = await world.api.get("/api/v1/audit", headers=tenant[Role.OWNER].headers)
        actions = {e["action"] for e in (await audit.json())["items"]}
        assert {"number.add", "number.rotate", "number.remove"} <= actions
