"""The login screen's invitation path against the real daemon (app, PostgreSQL, Redis): from
the login form (ctrl+n) or ``pytake tui --invite CODE``, the invitee chooses a password and
lands in the console logged in; a dead code or a mistyped password changes nothing."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from pytake_daemon.protocol import Role
from pytake_tui import build_app
from pytake_tui.credentials import CredentialStore
from pytake_tui.screens import LoginScreen
from pytake_tui.screens.invitation import InvitationScreen
from tests.conftest import ApiClient, MakeTenant
from tests.invitations.support import NEW_PASSWORD, accept, invite

from .helpers import MessageLog, wait_until


def _server(api: ApiClient) -> str:
    return str(api.make_url("")).rstrip("/")


def _status(screen: InvitationScreen) -> str:
    return str(screen.query_one("#invitation-status", Static).render())


async def test_from_the_login_form_an_invitee_joins_and_lands_logged_in(
    proxied_api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    sent = await invite(proxied_api, tenant[Role.ADMIN], email="carla@example.test")
    assert sent.code is not None
    credentials = tmp_path / "credentials.json"
    app = build_app(
        server=_server(proxied_api), credentials_path=credentials, downloads_dir=tmp_path
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "the login form")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, InvitationScreen), "the form")
        form = app.screen
        assert isinstance(form, InvitationScreen)
        assert form.query_one("#server", Input).value == _server(proxied_api)
        assert form.focused is form.query_one("#code", Input)
        form.query_one("#code", Input).value = sent.code
        await pilot.press("tab", *"Carla", "tab", *NEW_PASSWORD, "tab", *NEW_PASSWORD, "enter")
        await wait_until(pilot, lambda: app.me is not None, "the session")
        assert app.me is not None
        assert (app.me.email, app.me.name, app.me.role) == ("carla@example.test", "Carla", "agent")
        assert not isinstance(app.screen, LoginScreen | InvitationScreen)
    saved = CredentialStore(credentials).load(_server(proxied_api))
    assert saved is not None
    assert saved.email == "carla@example.test"
    assert (await accept(proxied_api, sent.code)).status == 410  # it was used


async def test_invite_option_opens_the_form_with_the_code_and_refusals_change_nothing(
    proxied_api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    revoked = await invite(proxied_api, tenant[Role.ADMIN], email="old@example.test")
    resp = await proxied_api.delete(
        f"/api/v1/invitations/{revoked.invitation.id}", headers=tenant[Role.ADMIN].headers
    )
    assert resp.status == 200
    assert revoked.code is not None
    log = MessageLog()
    app = build_app(
        server=_server(proxied_api),
        credentials_path=tmp_path / "credentials.json",
        downloads_dir=tmp_path,
        invite=revoked.code,
    )
    async with app.run_test(size=(120, 36), message_hook=log) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, InvitationScreen), "the form")
        form = app.screen
        assert isinstance(form, InvitationScreen)
        assert form.query_one("#code", Input).value == revoked.code
        assert form.focused is form.query_one("#name", Input)
        # Two passwords that differ: said here, nothing sent.
        await pilot.press("tab", *NEW_PASSWORD, "tab", *"something else", "enter")
        assert _status(form) == "The two passwords are not the same"
        assert form.focused is form.query_one("#repeat", Input)
        form.query_one("#repeat", Input).value = NEW_PASSWORD
        await pilot.press("enter")
        expected = "Gone: this invitation was revoked: ask whoever invited you for a new one"
        await wait_until(pilot, lambda: _status(form) == expected, "the refusal")
        assert "Could not join: " + expected in log.notifications()
        assert form.focused is form.query_one("#code", Input)
        assert app.me is None
        # Escape goes back to the login form.
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), "the login form")
        # The link under the login button opens the form again (a mouse, not ctrl+n).
        await pilot.click("#have-invitation", offset=(20, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, InvitationScreen), "the link")
