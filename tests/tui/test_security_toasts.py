"""Security alerts in the console against the real daemon, whose own business hours never are
(issue 19 walkthrough): a revoke toasted "owner 3f2c…-… did token.revoke outside business
hours" (names now), and the first save of the tenant's business hours raised an off-hours alert
(now the tenant's hours judge, from the save after the one that set them)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import Input, Static

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.api_tokens import ApiTokensScreen
from pytake_tui.screens.tenant_profile import TenantProfileScreen
from pytake_tui.widgets.onboarding_profile import ProfileStep
from tests.audit.support import drain
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.support import settled

from .admin_support import real_app, server_of, session_of, shown, signed_in
from .helpers import MessageLog, click_button, wait_until

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DEADLINE = 30.0


async def test_revoking_a_token_off_hours_toasts_names(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    tmp_path: Path,
) -> None:
    never = settings.audit.model_copy(update={"business_days": []})
    api = await aiohttp_client(create_app(settings.model_copy(update={"audit": never}), endpoints))
    tenant = await make_tenant()
    owner, admin = tenant[Role.OWNER], tenant[Role.ADMIN]
    # The admin's token: the owner's first action of the hour is the revoke (one off-hours
    # alert per person and hour).
    made = await api.post("/api/v1/tokens", json={"name": "ci deploy"}, headers=admin.headers)
    assert made.status == 201
    await settled(api)
    app = real_app(tmp_path, server_of(api), owner.token, owner.email)
    log = MessageLog()
    async with app.run_test(size=(160, 48), message_hook=log) as pilot:
        await signed_in(pilot)
        screen = ApiTokensScreen(client=session_of(app).client)
        await shown(pilot, screen)
        await wait_until(
            pilot, lambda: [t.name for t in screen.tokens] == ["ci deploy"], "the token listed"
        )
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.tokens == [], "the token revoked")
        await settled(api)

        def security() -> list[str]:
            return [n for n in log.notifications() if "Token revoked" in n]

        await wait_until(pilot, lambda: bool(security()), "the alert's toast", DEADLINE)
    (toast,) = security()
    assert f"owner {owner.email} did “Token revoked” (API token “ci deploy”)" in toast
    assert not UUID.search(toast), toast


async def test_the_first_save_of_business_hours_is_not_off_hours_work(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    tmp_path: Path,
) -> None:
    """The owner gives the tenant hours that are closed now: that save raises nothing (there
    were no hours to be outside of); the next save is judged by them, and alerts."""
    never = settings.audit.model_copy(update={"business_days": []})
    api = await aiohttp_client(create_app(settings.model_copy(update={"audit": never}), endpoints))
    tenant = await make_tenant()
    owner = tenant[Role.OWNER]
    # Three days on: whatever the hour, today is not a day these hours open.
    closed_day = (datetime.now(UTC) + timedelta(days=3)).strftime("%a").lower()
    app = real_app(tmp_path, server_of(api), owner.token, owner.email)
    log = MessageLog()

    def profile_toasts() -> list[str]:
        return [
            n
            for n in log.notifications()
            if any(
                words in n for words in ("Company profile changed", "Perfil da empresa alterado")
            )
        ]

    async with app.run_test(size=(160, 48), message_hook=log) as pilot:
        await signed_in(pilot)
        screen = TenantProfileScreen(client=session_of(app).client)
        await app.push_screen(screen)
        form = screen.query_one(ProfileStep)
        await wait_until(pilot, lambda: form.loaded is not None, "the profile read")
        for name, value in {"business_name": "Loja Boa", "timezone": "UTC",
                            "business_hours": f"{closed_day} 09:00-18:00"}.items():  # fmt: skip
            form.query_one(f"#{name}", Input).value = value
        await click_button(pilot, "#profile-save", DEADLINE)
        saved = form.query_one("#profile-saved", Static)
        await wait_until(pilot, lambda: "Loja Boa" in str(saved.render()), "saved")
        await settled(api)
        await drain(api)
        listed = await api.get("/api/v1/audit/alerts", headers=owner.headers)
        assert [a["kind"] for a in (await listed.json())["items"]] == []

        form.query_one("#business_name", Input).value = "Loja Melhor"
        await click_button(pilot, "#profile-save", DEADLINE)
        await wait_until(pilot, lambda: "Loja Melhor" in str(saved.render()), "saved again")
        await settled(api)
        await wait_until(pilot, lambda: bool(profile_toasts()), "the second save's alert", DEADLINE)
    (toast,) = profile_toasts()
    # Worded in the recipient's language (the profile just saved chose the tenant's): the
    # owner named by e-mail, the action in words and the rule, whichever the language.
    assert any(f"{role} {owner.email}" in toast for role in ("owner", "proprietário"))
    assert "tenant.profile" not in toast
    # The rule by name, not its enum value (off_hours_admin).
    assert "off_hours_admin" not in toast
    assert any(
        f"{rule}: {owner.email}" in toast
        for rule in (
            "Administration outside business hours",
            "Administração fora do horário comercial",
        )
    )
