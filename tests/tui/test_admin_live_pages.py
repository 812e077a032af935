"""The admin pages added to the live stream, against the real daemon: another admin invites and
revokes, changes an agent's status, registers and disables a webhook endpoint, replaces a
number's secrets (the simulator playing Meta), and the page shown reads its list again by
itself (no ctrl+r), from ``invitation_changed``, ``agent_status_changed``,
``webhook_endpoint_changed`` and ``number_changed``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import AgentStatus, AgentStatusUpdate
from pytake_daemon.protocol.invitations import InvitationStatus
from pytake_daemon.protocol.onboarding import NumberSetup
from pytake_daemon.protocol.outbound_webhooks import EndpointCreate, EndpointUpdate
from pytake_daemon.protocol.outbound_webhooks import WebhookEventType as T
from pytake_tui.client import DaemonClient
from pytake_tui.screens.admin_agents import AdminAgentsScreen
from pytake_tui.screens.admin_invitations import AdminInvitationsScreen
from pytake_tui.screens.numbers_admin import NumbersAdminScreen
from pytake_tui.screens.outbound_webhooks import OutboundWebhooksScreen
from tests.conftest import ApiClient, MakeTenant
from tests.whatsapp.wa_support import simulated_world, stop_simulated_world

from .admin_support import LIVE_DEADLINE, real_app, server_of, session_of, shown, signed_in
from .helpers import wait_until

DEADLINE = LIVE_DEADLINE


async def test_invitations_and_agents_follow_another_admins_changes(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin, owner, agent = tenant[Role.ADMIN], tenant[Role.OWNER], tenant[Role.AGENT]
    server = server_of(api)
    app = real_app(tmp_path, server, admin.token, admin.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        invitations = AdminInvitationsScreen(client=session_of(app).client)
        await shown(pilot, invitations)
        assert invitations.invitations == []

        def status_of(email: str) -> InvitationStatus | None:
            found = [i.status for i in invitations.invitations if i.email == email]
            return found[0] if found else None

        async with DaemonClient(server, token=owner.token) as other:
            sent = await other.invite("nina@example.com")
        await wait_until(
            pilot,
            lambda: status_of("nina@example.com") is InvitationStatus.PENDING,
            "the invitation",
            DEADLINE,
        )
        async with DaemonClient(server, token=owner.token) as other:
            await other.revoke_invitation(sent.invitation.id)
        await wait_until(
            pilot,
            lambda: status_of("nina@example.com") is InvitationStatus.REVOKED,
            "the revocation",
            DEADLINE,
        )
        assert invitations.live_reloads >= 2

        agents = AdminAgentsScreen(client=session_of(app).client)
        await shown(pilot, agents)

        def status_of_agent() -> AgentStatus:
            return next(a.status for a in agents.agents if a.id == agent.id)

        before = status_of_agent()
        after = AgentStatus.AWAY if before is not AgentStatus.AWAY else AgentStatus.ONLINE
        async with DaemonClient(server, token=owner.token) as other:
            await other.set_agent_status(agent.id, after)
        await wait_until(pilot, lambda: status_of_agent() is after, "the status", DEADLINE)
        assert agents.live_reloads >= 1

        # Settings alone (the status unchanged) are announced too.
        def skills_of_agent() -> list[str]:
            return next(a.skills for a in agents.agents if a.id == agent.id)

        async with DaemonClient(server, token=owner.token) as other:
            await other.set_agent_settings(
                agent.id, AgentStatusUpdate(status=after, skills=["billing"])
            )
        await wait_until(pilot, lambda: skills_of_agent() == ["billing"], "the skills", DEADLINE)


async def test_webhook_endpoints_follow_another_admins_changes(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin, owner = tenant[Role.ADMIN], tenant[Role.OWNER]
    server = server_of(api)
    app = real_app(tmp_path, server, admin.token, admin.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        context = session_of(app)
        screen = OutboundWebhooksScreen(client=context.client, me=context.me, clock=context.clock)
        await shown(pilot, screen)
        assert screen.endpoints == []
        body = EndpointCreate(url="https://crm.example.com/hooks", event_types=[T.MESSAGE_SENT])
        async with DaemonClient(server, token=owner.token) as other:
            created = await other.create_webhook_endpoint(body)
        await wait_until(
            pilot,
            lambda: [e.url for e in screen.endpoints] == ["https://crm.example.com/hooks"],
            "the endpoint",
            DEADLINE,
        )
        async with DaemonClient(server, token=owner.token) as other:
            await other.update_webhook_endpoint(created.endpoint.id, EndpointUpdate(enabled=False))
        await wait_until(
            pilot,
            lambda: [e.enabled for e in screen.endpoints] == [False],
            "the endpoint disabled",
            DEADLINE,
        )
        assert screen.live_reloads >= 2


async def test_numbers_follow_another_admins_rotation(
    aiohttp_client: Any,
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    tmp_path: Path,
) -> None:
    world = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=31)
    try:
        admin, owner = world.tenant[Role.ADMIN], world.tenant[Role.OWNER]
        server = server_of(world.api)
        app = real_app(tmp_path, server, admin.token, admin.email)
        async with app.run_test(size=(160, 48)) as pilot:
            await signed_in(pilot)
            screen = NumbersAdminScreen(client=session_of(app).client)
            await pilot.app.push_screen(screen)
            await wait_until(pilot, lambda: len(screen.numbers) == 1, "the number", DEADLINE)
            first = screen.numbers
            number = world.sim.config.numbers[0]
            rotation = NumberSetup(
                phone_number_id=number.phone_number_id,
                waba_id=number.waba_id,
                access_token=number.access_token,
                app_secret=world.sim.config.app_secret,
                verify_token=world.sim.config.verify_token,
            )
            async with DaemonClient(server, token=owner.token) as other:
                result = await other.setup_number(rotation)
            assert result.rotated
            # A rotation changes nothing the page lists: what shows is a fresh read, caused by
            # the stream (the page has no timer).
            await wait_until(pilot, lambda: screen.live_reloads >= 1, "a live read", DEADLINE)
            await wait_until(pilot, lambda: screen.numbers is not first, "the list", DEADLINE)
            assert [n.id for n in screen.numbers] == [world.number_id]
    finally:
        await stop_simulated_world(world, world.api)
