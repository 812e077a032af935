"""Admin → API tokens against the real daemon (app, PostgreSQL, Redis): an admin creates a token
with two scopes (its secret shown once, selected to copy), the token does what its scopes grant
and no more, the list shows it with its scopes, and revoking it (asked first) ends it. And the
page is one entry of the admin hub."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.auth import Scope
from pytake_tui.screens.admin import ADMIN_PAGES
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.api_token_dialogs import NewTokenDialog, TokenSecretDialog
from pytake_tui.screens.api_tokens import ApiTokensScreen
from tests.conftest import ApiClient, MakeTenant

from .admin_support import admin_ready, real_app, session_of, shown, signed_in
from .api_tokens_support import tokens_app
from .helpers import MessageLog, wait_until


def _server(api: ApiClient) -> str:
    return str(api.make_url("")).rstrip("/")


async def test_an_admin_creates_a_scoped_token_and_revokes_it(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    app = real_app(tmp_path, _server(api), admin.token, admin.email)
    log = MessageLog()
    async with app.run_test(size=(160, 48), message_hook=log) as pilot:
        await signed_in(pilot)
        screen = ApiTokensScreen(client=session_of(app).client)
        await shown(pilot, screen)
        assert screen.tokens == []  # the admin's own login session is not listed

        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewTokenDialog), "the dialog")
        await pilot.press(*"crm sync")
        await pilot.press("tab", "down", "space")  # read is ticked; add messages:send
        await pilot.click("#create")
        await wait_until(pilot, lambda: isinstance(app.screen, TokenSecretDialog), "the secret")
        field = app.screen.query_one("#token-secret", Input)
        secret = field.value
        assert secret.startswith("ptk_")
        assert field.selected_text == secret  # selected, ready to copy
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(screen.tokens) == 1, "the new token listed")
        (listed,) = screen.tokens
        assert (listed.name, listed.scopes) == ("crm sync", [Scope.READ, Scope.MESSAGES_SEND])

        token = {"Authorization": f"Bearer {secret}"}
        assert (await api.get("/api/v1/conversations", headers=token)).status == 200
        resp = await api.post("/api/v1/queues", json={"name": "x"}, headers=token)
        assert resp.status == 403
        assert "admin scope" in (await resp.json())["detail"]

        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: "is revoked" in (log.notifications() or [""])[-1], "ok")
        await wait_until(pilot, lambda: screen.tokens == [], "the list emptied")
    assert (await api.get("/api/v1/conversations", headers=token)).status == 401


async def test_a_bad_form_sends_nothing(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    app = real_app(tmp_path, _server(api), admin.token, admin.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        screen = ApiTokensScreen(client=session_of(app).client)
        await shown(pilot, screen)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewTokenDialog), "the dialog")
        dialog = app.screen
        await pilot.press("enter")  # no name
        await pilot.pause()
        assert isinstance(app.screen, NewTokenDialog)
        assert "Give it a name" in str(dialog.query_one("#token-name-error").render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back on the page")
    resp = await api.get("/api/v1/tokens", headers=admin.headers)
    assert [t for t in (await resp.json())["items"] if t["kind"] == "api"] == []


def test_the_admin_hub_lists_the_page() -> None:
    (page,) = [p for p in ADMIN_PAGES if p.name == "api-tokens"]
    assert page.build is not None
    assert page.role is Role.ADMIN


async def test_the_palette_opens_the_page_for_admins(tmp_path: Path) -> None:
    app = tokens_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await admin_ready(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"API tokens")
        hits = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: hits.option_count > 0, "the palette's hits")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ApiTokensScreen), "the page")
        screen = app.screen
        assert isinstance(screen, ApiTokensScreen)
        await wait_until(pilot, lambda: screen.loads > 0, "the list")
        assert [t.name for t in screen.tokens] == ["crm sync", "order bot", "nightly export"]
