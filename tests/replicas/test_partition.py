"""A replica partitioned from Redis by a network namespace (issue 20, part 6).

A third daemon process runs in a network namespace of the test's own (netns.py), its Redis
reached over a veth link the test cuts; PostgreSQL stays reachable (its UNIX socket). The
simulator's webhooks all go to that replica. While the link is down its packets to Redis are
dropped silently (connections hang, connects time out), unlike test_faults.py's stopped Redis,
which refuses at once:

- it keeps acknowledging webhooks, each one stored (durably: read back from PostgreSQL) before
  the partition heals;
- ``/readyz`` answers 503 naming Redis, and only Redis, as what is missing;
- once the link is back it is ready again and its events reach a console on the other replica
  through Redis' fan-out;
- nothing acknowledged was lost, stored twice or answered twice.

The namespaced replica connects straight to PostgreSQL's socket: PgBouncer listens on the host's
loopback, which a namespace has its own of.
"""

from __future__ import annotations

import aiohttp
import pytest

from pytake_daemon.config import Settings
from pytake_daemon.embedded import EmbeddedStack
from pytake_daemon.protocol import Readiness, Role
from tests.conftest import APP_ROLE
from tests.private_stack import until, until_async
from tests.replicas.netns import Forwarder, Namespace, made_namespace, namespaces_usable
from tests.replicas.support import (
    TIMEOUT,
    Console,
    Replicas,
    World,
    admin_connection,
    assert_each_once,
    console,
    publish_echo_flow,
    saw,
    settled,
    work_left,
    world,
)
from tests.support import TenantData, free_port, with_user
from tests.test_cross_process import START_TIMEOUT, Daemon, reaped

pytestmark = [pytest.mark.timeout(240), pytest.mark.xdist_group("replicas")]

# Long enough for the replica's pooled Redis connections to meet their 5 s socket timeout and
# its reconnects their 2 s connect timeout (app.py) while webhooks keep coming.
DURING = 40


async def readiness(session: aiohttp.ClientSession, daemon: Daemon) -> tuple[int, Readiness | None]:
    try:
        async with session.get(f"{daemon.url}/readyz", timeout=aiohttp.ClientTimeout(8)) as r:
            return r.status, Readiness.model_validate(await r.json())
    except (aiohttp.ClientError, TimeoutError):
        return 0, None


def partitioned_env(
    replicas: Replicas, settings: Settings, ns: Namespace, redis_port: int, graph_port: int
) -> dict[str, str]:
    assert settings.database.admin_url is not None
    env = dict(replicas.envs[0])
    env.update(
        PYTAKE_SERVER__PORT=str(free_port()),
        PYTAKE_DATABASE__URL=with_user(settings.database.admin_url.get_secret_value(), APP_ROLE),
        PYTAKE_REDIS__URL=f"redis://{ns.redis.host_ip}:{redis_port}/0",
        PYTAKE_WHATSAPP__GRAPH_BASE_URL=f"http://{ns.http.host_ip}:{graph_port}",
    )
    # Straight to PostgreSQL: asyncpg's statement cache is fine there.
    env.pop("PYTAKE_DATABASE__STATEMENT_CACHE_SIZE", None)
    return env


async def test_replica_partitioned_from_redis_keeps_acknowledging(
    replicas: Replicas,
    replica_settings: Settings,
    stack: EmbeddedStack,
    tenant: TenantData,
    session: aiohttp.ClientSession,
) -> None:
    why_not = namespaces_usable()
    if why_not is not None:
        pytest.skip(why_not)
    assert stack.redis is not None
    a = replicas.daemons[0]
    headers = tenant[Role.ADMIN].headers
    with made_namespace() as ns:
        redis_link = Forwarder(str(stack.redis.socket_path))
        graph_link = Forwarder(("127.0.0.1", replicas.sim_port))
        redis_port = await redis_link.start(ns.redis.host_ip)
        graph_port = await graph_link.start(ns.http.host_ip)
        env = partitioned_env(replicas, replica_settings, ns, redis_port, graph_port)
        c = ns.spawn_daemon(env, stack.root / "replica-netns.log")
        try:
            with reaped([c]):
                await until_async(
                    lambda: _ready(session, c), START_TIMEOUT, "the namespaced replica"
                )
                async with world(replicas, tenant, replica_settings, upstreams=[c.url]) as w:
                    await publish_echo_flow(c.url, tenant)
                    async with console(session, a, headers) as on_a:
                        await _partition_and_heal(session, replica_settings, ns, c, w, on_a)
                    async with admin_connection(replica_settings) as conn:
                        try:
                            await until_async(
                                lambda: settled(conn, tenant.id), TIMEOUT, "work to drain"
                            )
                        except AssertionError as exc:
                            left = (await work_left(conn, tenant.id))[:8]
                            raise AssertionError(f"{exc}: {left}\n{c.log()}") from None
                        await until(lambda: len(w.replies()) >= len(w.sent), TIMEOUT, "replies")
                        await assert_each_once(conn, w)
        finally:
            await graph_link.stop()
            await redis_link.stop()


async def _ready(session: aiohttp.ClientSession, daemon: Daemon) -> bool:
    assert daemon.proc.poll() is None, f"the replica exited:\n{daemon.log()}"
    return (await readiness(session, daemon))[0] == 200


async def _partition_and_heal(
    session: aiohttp.ClientSession,
    settings: Settings,
    ns: Namespace,
    c: Daemon,
    w: World,
    on_a: Console,
) -> None:
    # Before: what the namespaced replica takes reaches the other replica's console.
    await w.customers_write(10, rate=50.0, customers=5, tag="before")
    await until(saw(on_a, w.wamids("before")), TIMEOUT, "fan-out before the partition")

    ns.cut_redis()

    async def says_redis_is_missing() -> bool:
        status, ready = await readiness(session, c)
        return status == 503 and ready is not None and not ready.redis

    await until_async(says_redis_is_missing, TIMEOUT, "/readyz to name Redis")
    status, ready = await readiness(session, c)
    assert status == 503
    assert ready is not None
    # What is degraded, and only that: the database, the schema and the loops are fine.
    assert (ready.redis, ready.database, ready.migrations_current) == (False, True, True)
    assert ready.secrets_key is None

    # Webhooks keep being acknowledged, and each acknowledged one is in PostgreSQL already.
    await w.customers_write(DURING, rate=2.0, customers=10, tag="during")
    during = w.wamids("during")
    await w.sim.wait_settled(timeout=TIMEOUT)
    assert during <= {m for m in w.sent if w.sim.inbound_message(m).acked}
    assert w.balancer.count(503) == 0
    assert w.balancer.count(500) == 0
    assert (await readiness(session, c))[0] == 503, "healed by itself while cut?"
    async with admin_connection(settings) as conn:
        stored = await conn.fetchval(
            "SELECT count(DISTINCT wa_message_id) FROM messages"
            " WHERE tenant_id = $1 AND wa_message_id = ANY($2::text[])",
            w.tenant.id,
            list(during),
        )
    assert stored == len(during)

    ns.heal_redis()
    await until_async(lambda: _ready(session, c), TIMEOUT, "ready again after the partition")

    # Fan-out again: the partitioned replica's events reach the other replica's console.
    await w.customers_write(10, rate=50.0, customers=5, tag="after")
    await until(saw(on_a, w.wamids("after")), TIMEOUT, "fan-out after the partition")
