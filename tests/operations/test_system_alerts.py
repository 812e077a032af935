"""The System screen's figures as notifications (pytake_daemon/system/alerts.py) against the
real app, PostgreSQL and Redis: a figure past its threshold tells the tenant's admins once per
crossing (not once per reading, with hysteresis on the way down), nobody else; two replicas
reading the same shared figure tell them once.

The suite's apps don't sample by themselves (``metrics.alert_seconds = 0`` in tests/support.py:
the loaded machine's real CPU would notify everyone mid-test); these tests take a real reading,
set the figure under test, and pass their own clock and host name, so their level rows are
their own. The notifications go to the test's tenant only (``tenants=``): the loop tells every
tenant, and other tests count their own tenants' notifications.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import DB_POOL, EVENT_BUS
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.notifications import NotificationPage
from pytake_daemon.protocol.system_figures import ALERT_THRESHOLDS, RedisFigures, SystemFigures
from pytake_daemon.system.alerts import Crossing, Level, record, single_readings, tell_admins
from pytake_daemon.system.figures_routes import read_figures
from tests.conftest import MakeTenant
from tests.support import TenantData

ApiClient = TestClient[web.Request, web.Application]
T0 = datetime(2030, 5, 6, 14, 0, tzinfo=UTC)  # a pinned clock: each reading a minute apart


def calm(reading: SystemFigures, *, cpu: float) -> SystemFigures:
    """A real reading with every alerting figure below its line but the host's CPU at ``cpu``
    (the suite's shared servers may really be busy: those figures are left out)."""
    host = reading.host.model_copy(
        update={"cpu_percent": cpu, "memory_percent": 40.0, "disk_percent": 40.0}
    )
    daemon = reading.daemon.model_copy(
        update={"rss_bytes": 100 * 1024**2, "jobs": [], "outbox_queued": None,
                "outbox_overdue_seconds": None, "db_pool_in_use": 0}
    )  # fmt: skip
    return reading.model_copy(update={"host": host, "daemon": daemon, "postgres": None})


async def titles(api: ApiClient, tenant: TenantData, role: Role) -> list[tuple[str, str]]:
    resp = await api.get("/api/v1/notifications?category=system", headers=tenant[role].headers)
    assert resp.status == 200, await resp.text()
    page = NotificationPage.model_validate(await resp.json())
    return [(n.severity.value, n.title) for n in reversed(page.items)]


async def test_a_real_reading_yields_every_single_reading_figure(api: ApiClient) -> None:
    reading = await read_figures(api.app)
    keys = {key for key, _ in single_readings(reading)}
    # Real PostgreSQL and Redis answered: their figures are in; the host's CPU only from the
    # process's second reading (psutil compares two).
    assert {"host.memory", "host.disk", "pg.connections", "pg.longest", "redis.ping"} <= keys
    assert keys <= set(ALERT_THRESHOLDS)


async def test_a_crossing_notifies_the_admins_once(
    api: ApiClient, make_tenant: MakeTenant, app_conn: Connection
) -> None:
    tenant = await make_tenant()
    app = api.app
    real = (await read_figures(app)).model_copy(update={"redis": None})
    host = f"test-host-{uuid.uuid4().hex[:8]}"
    minute = iter(range(100))

    async def reading(cpu: float) -> list[Crossing]:
        now = T0 + timedelta(minutes=next(minute))
        figures = calm(real, cpu=cpu)
        crossings = await record(app_conn, figures, host=host, process=f"{host}:1", now=now)
        await tell_admins(app[DB_POOL], app[EVENT_BUS], crossings, now, tenants=[tenant.id])
        return crossings

    assert await reading(20.0) == []  # first seen, at ok: nothing to tell
    hot = await reading(95.0)
    assert hot == [Crossing("host.cpu", host, 95.0, Level.OK, Level.ERROR)]
    expected = [("urgent", f"Host CPU at 95.0 % on {host}")]
    for role in (Role.OWNER, Role.ADMIN):
        assert await titles(api, tenant, role) == expected
    for role in (Role.SUPERVISOR, Role.AGENT):
        assert await titles(api, tenant, role) == []

    # Still past the line, then inside the hysteresis band (≥ 90 % of 90): no new crossing.
    assert await reading(97.0) == []
    assert await reading(85.0) == []
    # Down to warn: a crossing, told to no one (still past a line).
    assert [c.after for c in await reading(75.0)] == [Level.WARN]
    assert await titles(api, tenant, Role.ADMIN) == expected
    # Back to normal: one info.
    assert [c.after for c in await reading(30.0)] == [Level.OK]
    assert await titles(api, tenant, Role.ADMIN) == [
        *expected,
        ("info", f"Host CPU back to normal on {host}"),
    ]
    # A second crossing is a second notification.
    await reading(80.0)
    assert (await titles(api, tenant, Role.ADMIN))[-1] == (
        "warning",
        f"Host CPU at 80.0 % on {host}",
    )


async def test_two_replicas_reading_one_shared_figure_tell_once(
    api: ApiClient, make_tenant: MakeTenant, app_conn: Connection, admin_conn: Connection
) -> None:
    """Redis' ping is the same server for every replica: one row, one crossing, one notice."""
    tenant = await make_tenant()
    app = api.app
    real = await read_figures(app)
    other = await app[DB_POOL].acquire()
    try:

        async def replica(
            conn: Connection, name: str, ping: float, now: datetime
        ) -> list[Crossing]:
            figures = calm(real, cpu=10.0).model_copy(
                update={"redis": RedisFigures(used_memory_bytes=1, clients=1, ping_ms=ping)}
            )
            return await record(conn, figures, host=name, process=f"{name}:1", now=now)

        slow = await asyncio.gather(
            replica(app_conn, "replica-a", 80.0, T0), replica(other, "replica-b", 80.0, T0)
        )
        told = [c for crossings in slow for c in crossings if c.key == "redis.ping"]
        assert told == [Crossing("redis.ping", "", 80.0, Level.OK, Level.ERROR)]
        await tell_admins(app[DB_POOL], app[EVENT_BUS], told, T0, tenants=[tenant.id])
        assert await titles(api, tenant, Role.ADMIN) == [("urgent", "Redis ping at 80.0 ms")]
    finally:
        await app[DB_POOL].release(other)
        # The shared row back to ok for whoever reads Redis' ping next.
        await admin_conn.execute(
            "UPDATE system_alert_levels SET level = 'ok' WHERE figure = 'redis.ping'"
        )


async def test_each_admin_reads_the_alert_in_their_own_language(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    """The admin who chose Portuguese reads the title and body in Portuguese, decimal comma
    included; the owner, who chose nothing in a tenant without a profile, reads English."""
    tenant = await make_tenant()
    chosen = await api.put(
        "/api/v1/auth/me", json={"language": "pt_BR"}, headers=tenant[Role.ADMIN].headers
    )
    assert chosen.status == 200, await chosen.text()
    app = api.app
    hot = Crossing("host.cpu", "host-a", 95.5, Level.OK, Level.ERROR)
    await tell_admins(app[DB_POOL], app[EVENT_BUS], [hot], T0, tenants=[tenant.id])
    said: dict[Role, list[tuple[str, str]]] = {}
    for role in (Role.ADMIN, Role.OWNER):
        resp = await api.get("/api/v1/notifications?category=system", headers=tenant[role].headers)
        page = NotificationPage.model_validate(await resp.json())
        said[role] = [(n.title, n.body) for n in page.items]
    assert said[Role.ADMIN] == [
        (
            "CPU do servidor: 95,5 % em host-a",
            "Passou do limite de erro de 90,0 %. Administração → Sistema mostra ao vivo.",
        )
    ]
    assert said[Role.OWNER] == [
        (
            "Host CPU at 95.5 % on host-a",
            "Past its error threshold of 90.0 %. Admin → System shows it live.",
        )
    ]
