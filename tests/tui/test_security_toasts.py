"""A security alert's toast names people and tokens (issue 19 walkthrough: revoking a token at
night toasted "owner 3f2c…-… did token.revoke outside business hours"). The console against the
real daemon, whose business hours never are, so the owner's revoke is off-hours work."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.api_tokens import ApiTokensScreen
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.support import settled

from .admin_support import real_app, server_of, session_of, shown, signed_in
from .helpers import MessageLog, wait_until

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
            return [n for n in log.notifications() if "token.revoke" in n]

        await wait_until(pilot, lambda: bool(security()), "the alert's toast", DEADLINE)
    (toast,) = security()
    assert f"owner {owner.email} did token.revoke (API token “ci deploy”)" in toast
    assert not UUID.search(toast), toast
