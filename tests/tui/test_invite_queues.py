"""Invitations scoped to queues, from the console against the real daemon: the admin's invite
dialog (Users, ``i``) and the setup wizard's team step tick the queues an agent will serve; the
invitation carries them, and the agent who joins serves them (the queue's skills and department
become hers). With no queues yet, both say so and invite anyway."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, SelectionList, Static

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.invitations import InvitationSent
from pytake_daemon.protocol.queues import QueueSettings
from pytake_tui.client import DaemonClient
from pytake_tui.screens.admin_user_dialogs import InviteDialog
from pytake_tui.widgets.invite_queues import NONE_YET, InviteQueues
from pytake_tui.widgets.onboarding_team import TeamStep
from tests.conftest import ApiClient, MakeTenant
from tests.invitations.support import NEW_PASSWORD

from .admin_support import real_app, signed_in
from .helpers import wait_until

DEADLINE = 30.0  # the suite's workers load the machine


def _server(api: ApiClient) -> str:
    return str(api.make_url("")).rstrip("/")


async def _queues(server: str, token: str) -> tuple[uuid.UUID, uuid.UUID]:
    async with DaemonClient(server, token=token) as admin:
        billing = await admin.create_queue(
            QueueSettings(name="Billing", required_skills=["billing"], department="finance")
        )
        sales = await admin.create_queue(QueueSettings(name="Sales"))
    return billing.id, sales.id


async def _joined_serves(server: str, code: str, token: str, email: str) -> tuple[Any, Any]:
    """Accept ``code``; the new agent's skills and departments as the admin reads them."""
    async with DaemonClient(server) as invitee:
        await invitee.accept_invitation(code, NEW_PASSWORD, "Bia")
    async with DaemonClient(server, token=token) as admin:
        agent = next(a for a in (await admin.agents()).items if a.email == email)
    return agent.skills, agent.departments


async def _tick(pilot: Pilot[Any], picker: InviteQueues, name: str) -> None:
    await wait_until(pilot, lambda: picker.loaded, "the queues", DEADLINE)
    options = picker.query_one(SelectionList)
    index = next(
        i for i in range(options.option_count) if options.get_option_at_index(i).prompt == name
    )
    options.select(options.get_option_at_index(index).value)


async def test_the_invite_dialog_scopes_an_agent_to_queues(
    proxied_api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    server = _server(proxied_api)
    billing, _ = await _queues(server, admin.token)
    app = real_app(tmp_path, server, admin.token, admin.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        assert app.client is not None
        sent: list[InvitationSent | None] = []
        app.push_screen(InviteDialog(app.client, Role.ADMIN), sent.append)
        await wait_until(pilot, lambda: isinstance(app.screen, InviteDialog), "the dialog")
        dialog = app.screen
        await wait_until(pilot, lambda: bool(dialog.query("#invite-email")), "the fields")
        await wait_until(pilot, lambda: bool(dialog.query(InviteQueues)), "the queues' field")
        await _tick(pilot, dialog.query_one(InviteQueues), "Billing")
        dialog.query_one("#invite-email", Input).value = "bia@example.test"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(sent), "the invitation", DEADLINE)
    [answer] = sent
    assert answer is not None
    assert answer.code is not None  # no SMTP in the tests' tenant: shown once
    code = answer.code
    async with DaemonClient(server, token=admin.token) as client:
        [invited] = (await client.invitations()).items
    assert (invited.email, invited.role, invited.queue_ids) == (
        "bia@example.test", Role.AGENT, [billing],
    )  # fmt: skip
    assert await _joined_serves(server, code, admin.token, "bia@example.test") == (
        ["billing"], ["finance"],
    )  # fmt: skip


class TeamPage(Screen[None]):
    def __init__(self, client: DaemonClient) -> None:
        super().__init__()
        self._client = client

    def compose(self) -> ComposeResult:
        yield TeamStep(self._client)


class TeamApp(App[None]):
    def __init__(self, client: DaemonClient) -> None:
        super().__init__()
        self.client = client

    def on_mount(self) -> None:
        self.push_screen(TeamPage(self.client))


async def test_the_wizards_team_step_scopes_an_agent_and_says_when_there_are_no_queues(
    proxied_api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    server = _server(proxied_api)
    # No queues yet (the wizard makes them a step later): said, and the invitation goes anyway.
    async with DaemonClient(server, token=admin.token) as client:
        async with TeamApp(client).run_test(size=(160, 48)) as pilot:
            await wait_until(pilot, lambda: bool(pilot.app.screen.query(InviteQueues)), "step")
            step = pilot.app.screen.query_one(TeamStep)
            picker = step.query_one(InviteQueues)
            await wait_until(pilot, lambda: picker.loaded, "the queues", DEADLINE)
            assert str(picker.query_one(".queues-hint", Static).render()) == NONE_YET
            step.query_one("#email", Input).value = "first@example.test"
            step.invite()
            invited = step.query_one("#team-invited", Static)
            await wait_until(pilot, lambda: "first@" in str(invited.render()), "sent", DEADLINE)

        _, sales = await _queues(server, admin.token)
        async with TeamApp(client).run_test(size=(160, 48)) as pilot:
            await wait_until(pilot, lambda: bool(pilot.app.screen.query(InviteQueues)), "step")
            step = pilot.app.screen.query_one(TeamStep)
            await _tick(pilot, step.query_one(InviteQueues), "Sales")
            step.query_one("#email", Input).value = "bia@example.test"
            step.invite()
            invited = step.query_one("#team-invited", Static)
            await wait_until(pilot, lambda: "bia@" in str(invited.render()), "sent", DEADLINE)
            line = str(invited.render())
            assert "bia@example.test as agent, 1 queue: code " in line
            code = line.split("code ")[1].split(" ", maxsplit=1)[0]
        scoped = {i.email: i.queue_ids for i in (await client.invitations()).items}
    assert scoped == {"first@example.test": [], "bia@example.test": [sales]}
    # Sales requires nothing: she serves it with no skill or department added.
    assert await _joined_serves(server, code, admin.token, "bia@example.test") == ([], [])
