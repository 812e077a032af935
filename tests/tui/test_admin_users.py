"""Admin → Users against the real daemon (app, PostgreSQL, Redis): reached from Settings →
Admin, an admin invites a person, changes a role, ends a session and disables a user, each
checked through the API afterwards; a bad e-mail is said under its field, nothing sent. And
the hub: in the palette for admins and owners only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable, Input, Select, TabbedContent

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.invitations import CODE_PREFIX, InvitationStatus
from pytake_tui.client import DaemonClient
from pytake_tui.key_guide import session_commands
from pytake_tui.screens import SettingsScreen
from pytake_tui.screens.admin import ADMIN_PAGES, AdminScreen
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.admin_invitations import AdminInvitationsScreen
from pytake_tui.screens.admin_user_dialogs import CodeDialog, InviteDialog, RoleDialog
from pytake_tui.screens.admin_users import AdminUsersScreen
from pytake_tui.widgets.admin_pages import AdminPageList
from tests.conftest import ApiClient, MakeTenant

from .admin_support import admin_app, admin_ready, real_app, session_of, shown, signed_in
from .helpers import MessageLog, wait_until


def _server(api: ApiClient) -> str:
    return str(api.make_url("")).rstrip("/")


async def _users_page(pilot: Any) -> AdminUsersScreen:
    """f10 → Admin tab → the page list → Users."""
    await signed_in(pilot)
    await pilot.press("f10")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), "settings")
    settings = pilot.app.screen
    settings.query_one("#settings", TabbedContent).active = "admin"
    await pilot.pause()
    pages = settings.query_one("#admin-pages", AdminPageList)
    pages.focus()
    pages.highlighted = 0
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AdminUsersScreen), "users")
    screen = pilot.app.screen
    assert isinstance(screen, AdminUsersScreen)
    await wait_until(pilot, lambda: screen.loads > 0, "the users listed")
    return screen


async def _confirm(pilot: Any) -> None:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmChange), "the question")
    await pilot.press("y")


async def test_an_admin_invites_changes_a_role_ends_a_session_and_disables(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin, agent, supervisor = tenant[Role.ADMIN], tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    server = _server(api)
    app = real_app(tmp_path, server, admin.token, admin.email)
    log = MessageLog()
    async with app.run_test(size=(160, 48), message_hook=log) as pilot:
        screen = await _users_page(pilot)
        # Owner first, then by role; the admin's own session is the console's.
        assert [u.role for u in screen.users] == [
            Role.OWNER, Role.ADMIN, Role.SUPERVISOR, Role.AGENT,
        ]  # fmt: skip

        # Invite: a bad e-mail is said under the field and nothing is sent.
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, InviteDialog), "the dialog")
        dialog = app.screen
        dialog.query_one("#invite-email", Input).value = "not-an-email"
        await pilot.press("ctrl+s")
        error = dialog.query_one("#error-email")
        await wait_until(pilot, lambda: error.display, "the error under the e-mail")
        assert "Does not match the expected format" in str(error.render())
        dialog.query_one("#invite-email", Input).value = "nova@example.com"
        dialog.query_one("#role", Select).value = Role.SUPERVISOR
        await pilot.press("ctrl+s")
        # No SMTP in the tests' tenant: the code is shown once.
        await wait_until(pilot, lambda: isinstance(app.screen, CodeDialog), "the code")
        code = app.screen.query_one("#invite-code", Input).value
        assert code.startswith(CODE_PREFIX)
        await pilot.press("escape")

        # The agent becomes a supervisor.
        await wait_until(pilot, lambda: app.screen is screen, "back on the page")
        screen.query_one("#users", DataTable).move_cursor(row=3)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RoleDialog), "the roles")
        app.screen.query_one("#new-role", Select).value = Role.SUPERVISOR
        loads = screen.loads
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "is now supervisor" in " ".join(log.notifications()), "ok")
        await wait_until(pilot, lambda: screen.loads > loads, "the list again")

        # A password reset for the supervisor: asked first, the code shown once.
        row = next(i for i, u in enumerate(screen.users) if u.id == supervisor.id)
        screen.query_one("#users", DataTable).move_cursor(row=row)
        await pilot.press("p")
        await _confirm(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, CodeDialog), "the reset code")
        reset_code = app.screen.query_one("#invite-code", Input).value
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back on the page")

        # The supervisor's session ends (the lower table, x, y).
        row = next(i for i, u in enumerate(screen.users) if u.id == supervisor.id)
        screen.query_one("#users", DataTable).move_cursor(row=row)
        await pilot.pause()
        screen.query_one("#sessions").focus()
        await pilot.press("x")
        await _confirm(pilot)
        await wait_until(pilot, lambda: "ended" in log.notifications()[-1], "the session ended")

        # Disabling asks first: n keeps, y disables.
        row = next(i for i, u in enumerate(screen.users) if u.id == agent.id)
        screen.query_one("#users", DataTable).move_cursor(row=row)
        screen.query_one("#users").focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen, "kept")
        await pilot.press("d")
        await _confirm(pilot)
        await wait_until(pilot, lambda: "is disabled" in log.notifications()[-1], "disabled")

    async with DaemonClient(server, token=admin.token) as client:
        users = {u.id: u for u in (await client.users()).items}
        invitations = (await client.invitations()).items
        tokens = {t.id for t in (await client.tokens()).items}
    assert users[agent.id].role is Role.SUPERVISOR
    assert users[agent.id].disabled
    assert not users[supervisor.id].disabled
    invited, reset = sorted(invitations, key=lambda i: i.resets_user_id is not None)
    assert (invited.email, invited.role, invited.status) == (
        "nova@example.com", Role.SUPERVISOR, InvitationStatus.PENDING,
    )  # fmt: skip
    assert (reset.email, reset.resets_user_id) == (supervisor.email, supervisor.id)
    assert supervisor.token_id not in tokens  # ended from the page
    assert agent.token_id not in tokens  # disabling ended the agent's
    assert admin.token_id in tokens
    # The reset code sets the supervisor's password and logs them in.
    async with DaemonClient(server) as invitee:
        joined = await invitee.accept_invitation(reset_code, "a brand new passphrase")
    assert joined.me.user_id == supervisor.id


async def test_an_admin_resends_and_revokes_invitations(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    server = _server(api)
    async with DaemonClient(server, token=admin.token) as client:
        first = (await client.invite("ana@example.com")).invitation
        second = (await client.invite("bia@example.com", Role.SUPERVISOR)).invitation
    app = real_app(tmp_path, server, admin.token, admin.email)
    log = MessageLog()
    async with app.run_test(size=(160, 48), message_hook=log) as pilot:
        await signed_in(pilot)
        screen = AdminInvitationsScreen(client=session_of(app).client)
        await shown(pilot, screen)
        assert [i.email for i in screen.invitations] == ["bia@example.com", "ana@example.com"]
        # Revoke the newest (asked first), then resend the other: its new code shown once.
        await pilot.press("x")
        await _confirm(pilot)
        await wait_until(pilot, lambda: "is revoked" in log.notifications()[-1], "revoked")
        await pilot.press("x")  # revoked already: said, nothing asked
        assert "nothing to revoke" in log.notifications()[-1]
        screen.query_one("#admin-invitations", DataTable).move_cursor(row=1)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, CodeDialog), "the new code")
        code = app.screen.query_one("#invite-code", Input).value
    async with DaemonClient(server, token=admin.token) as client:
        states = {i.id: i.status for i in (await client.invitations()).items}
    assert states == {first.id: InvitationStatus.PENDING, second.id: InvitationStatus.REVOKED}
    async with DaemonClient(server) as invitee:
        joined = await invitee.accept_invitation(code, "a brand new passphrase")
    assert joined.me.email == "ana@example.com"


async def test_the_palette_offers_the_admin_area_to_admins_only(tmp_path: Path) -> None:
    app = admin_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await admin_ready(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"Admin")
        palette = app.screen
        hits = palette.query_one(CommandList)
        await wait_until(pilot, lambda: hits.option_count > 0, "the palette's hits")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AdminScreen), "the hub")
        titles = [p.title for p in app.screen.query_one(AdminPageList).pages]
        assert titles[:5] == ["Users", "Invitations", "Queues", "Agents", "Message templates"]

    supervising = admin_app(tmp_path / "s", role=Role.SUPERVISOR)
    async with supervising.run_test(size=(120, 36)) as pilot:
        await admin_ready(pilot)
        names = [c.title for c in session_commands(supervising, supervising.screen)]
        assert "Go to Chat (f2)" in names
        assert "Admin" not in names


async def test_every_hub_page_opens_its_screen(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    """The pages other features built (business profile, numbers, outbound webhooks,
    configuration transfer, API tokens) are one entry each in the hub, and Enter opens them."""
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    app = real_app(tmp_path, _server(api), admin.token, admin.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        context = session_of(app)
        built = [(i, p, type(p.build(context))) for i, p in enumerate(ADMIN_PAGES) if p.build]
        assert {"Business profile", "WhatsApp numbers", "Outbound webhooks", "API tokens"} <= {
            p.title for _, p, _ in built
        }
        for index, page, expected in built:
            hub = AdminScreen(context)
            await app.push_screen(hub)
            pages = hub.query_one(AdminPageList)
            pages.focus()
            pages.highlighted = index
            await pilot.press("enter")
            # Defaults bind this turn's values (ruff B023); mypy can't type a lambda default.
            await wait_until(
                pilot,
                lambda wanted=expected: isinstance(app.screen, wanted),  # type: ignore[misc]
                f"the {page.title} page",
            )
            await app.pop_screen()
            await wait_until(
                pilot,
                lambda back=hub: app.screen is back,  # type: ignore[misc]
                "back at the hub",
            )
            await app.pop_screen()
