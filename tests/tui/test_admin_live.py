"""Admin pages follow the live stream, against the real daemon: another admin changes a user's
role, adds a queue, syncs the templates (the simulator playing Meta), and the page shown reads
its list again by itself (no ctrl+r), from the daemon's ``user_changed``, ``queue_changed`` and
``template_changed`` events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role, UserUpdate
from pytake_daemon.protocol.queues import QueueSettings
from pytake_tui.client import DaemonClient
from pytake_tui.screens.admin_queues import AdminQueuesScreen
from pytake_tui.screens.admin_templates import AdminTemplatesScreen
from pytake_tui.screens.admin_users import AdminUsersScreen
from tests.conftest import ApiClient, MakeTenant
from tests.whatsapp.wa_support import simulated_world, stop_simulated_world

from .admin_support import LIVE_DEADLINE, real_app, server_of, session_of, shown, signed_in
from .helpers import wait_until

DEADLINE = LIVE_DEADLINE


async def test_users_and_queues_follow_another_admins_changes(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin, owner, agent = tenant[Role.ADMIN], tenant[Role.OWNER], tenant[Role.AGENT]
    server = server_of(api)
    app = real_app(tmp_path, server, admin.token, admin.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        users = AdminUsersScreen(client=session_of(app).client, me=session_of(app).me)
        await shown(pilot, users)

        def role_of_agent() -> Role:
            return next(u.role for u in users.users if u.email == agent.email)

        assert role_of_agent() is Role.AGENT
        async with DaemonClient(server, token=owner.token) as other:
            await other.change_user(agent.id, UserUpdate(role=Role.SUPERVISOR))
        await wait_until(pilot, lambda: role_of_agent() is Role.SUPERVISOR, "the role", DEADLINE)
        assert users.live_reloads >= 1

        queues = AdminQueuesScreen(client=session_of(app).client)
        await shown(pilot, queues)
        assert queues.queues == []
        async with DaemonClient(server, token=owner.token) as other:
            await other.create_queue(QueueSettings(name="Billing"))
        await wait_until(
            pilot, lambda: [q.name for q in queues.queues] == ["Billing"], "the queue", DEADLINE
        )
        # The users page is not shown: a change meanwhile is read once it is shown again.
        async with DaemonClient(server, token=owner.token) as other:
            await other.change_user(agent.id, UserUpdate(role=Role.AGENT))
        await pilot.pause()
        assert role_of_agent() is Role.SUPERVISOR
        app.pop_screen()
        await wait_until(pilot, lambda: role_of_agent() is Role.AGENT, "read on return", DEADLINE)


async def test_templates_follow_another_admins_sync(
    aiohttp_client: Any,
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    tmp_path: Path,
) -> None:
    world = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=29)
    try:
        admin, owner = world.tenant[Role.ADMIN], world.tenant[Role.OWNER]
        server = server_of(world.api)
        app = real_app(tmp_path, server, admin.token, admin.email)
        async with app.run_test(size=(160, 48)) as pilot:
            await signed_in(pilot)
            screen = AdminTemplatesScreen(client=session_of(app).client)
            await shown(pilot, screen)
            assert screen.templates == []
            async with DaemonClient(server, token=owner.token) as other:
                await other.sync_templates()
            await wait_until(pilot, lambda: bool(screen.templates), "the templates", DEADLINE)
            assert "hello_world" in {t.name for t in screen.templates}
    finally:
        await stop_simulated_world(world, world.api)
