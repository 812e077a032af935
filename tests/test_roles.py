"""Process roles (server.role, pytake_daemon/roles.py): a ``web`` process and a ``jobs`` process
on one database (of their own) and the session's Redis.

- a customer's webhook acknowledged by ``web`` is worked off by ``jobs``: stored once, stepped
  through the flow once, the flow's reply sent through the simulator once, and the message's
  event reaches a console connected to ``web`` (published by ``jobs``, fanned out by Redis);
- each ``/readyz`` names its own role and only its role's loops, and ``jobs`` serves no API;
- a bad role is one line naming the setting, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, connect
from pytake_daemon.protocol import Role
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import Servers, _own_database
from tests.private_stack import until, until_async
from tests.replicas.support import (
    TIMEOUT,
    Replicas,
    assert_each_once,
    console,
    publish_echo_flow,
    saw,
    settled,
    world,
)
from tests.support import TenantData, create_tenant, daemon_env, free_port, make_settings
from tests.test_cross_process import DAEMON_ARGV, REPO

pytestmark = [pytest.mark.timeout(180), pytest.mark.xdist_group("roles")]

MESSAGES = 40


@dataclass
class Split:
    replicas: Replicas
    """``web`` at index 0, ``jobs`` at 1."""
    settings: Settings


@pytest.fixture(scope="module")
def split(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Split]:
    """``web`` (index 0) and ``jobs`` (index 1, niced as documented), started once."""
    root = tmp_path_factory.mktemp("roles")
    with _own_database(servers, "pytake_roles") as endpoints:
        settings = make_settings(
            endpoints, prefix=f"pytake-roles-{uuid.uuid4().hex[:8]}:", state_dir=root / "state"
        )
        (root / "state").mkdir()
        load_secret_box(settings)  # the key file exists before the two start
        replicas = Replicas.configure(settings, root)
        replicas.envs[0]["PYTAKE_SERVER__ROLE"] = "web"
        replicas.envs[1]["PYTAKE_SERVER__ROLE"] = "jobs"
        replicas.envs[1]["PYTAKE_SERVER__NICE"] = "10"
        try:
            replicas.start()
            yield Split(replicas, settings)
        finally:
            replicas.stop()


@pytest.fixture
async def conn(split: Split) -> AsyncIterator[Connection]:
    admin = split.settings.database.admin_url
    assert admin is not None
    connection = await connect(admin.get_secret_value())
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def _readyz(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(f"{url}/readyz") as resp:
        body: dict[str, Any] = await resp.json()
        assert resp.status == 200, body
        return body


async def test_each_readyz_names_only_the_loops_of_its_role(
    split: Split, session: aiohttp.ClientSession
) -> None:
    web, jobs = split.replicas.daemons
    web_ready = await _readyz(session, web.url)
    jobs_ready = await _readyz(session, jobs.url)
    assert (web_ready["role"], jobs_ready["role"]) == ("web", "jobs")
    on_web = {loop["name"] for loop in web_ready["loops"]}
    on_jobs = {loop["name"] for loop in jobs_ready["loops"]}

    # Acknowledgements, consoles and what listens to this process's own events.
    assert {
        "webhook-writer",
        "event-publisher",
        "event-subscriber",
        "wakeup-publisher",
        "presence-refresher",
        "notification-fanout",
    } <= on_web
    # Whatever claims or sends.
    assert {
        "jobs-ingest",
        "jobs-flow_timer",
        "jobs-ai_analysis",
        "outbox-sender",
        "acceptance-writer",
        "queue-sweeper",
        "notification-mailer",
        "report-rollup",
        "wakeup-subscriber",
        "event-publisher",
    } <= on_jobs
    claimers = ("jobs-", "outbox-", "queue-", "acceptance-", "report-", "gamification-")
    assert [name for name in on_web if name.startswith(claimers)] == []
    assert "notification-mailer" not in on_web
    assert on_jobs.isdisjoint(
        {"webhook-writer", "event-subscriber", "presence-refresher", "wakeup-publisher"}
    )

    # The jobs process answers its probes, nothing else: no webhook, no API, no WebSocket.
    for path in ("/api/v1/whatsapp/webhook", "/api/v1/me", "/api/v1/ws"):
        async with session.get(f"{jobs.url}{path}") as resp:
            assert resp.status == 404, path
    async with session.get(f"{jobs.url}/healthz") as resp:
        assert resp.status == 200


async def test_webhook_acknowledged_by_web_is_answered_by_jobs(
    split: Split,
    conn: Connection,
    password_hash: str,
    session: aiohttp.ClientSession,
) -> None:
    web, _jobs = split.replicas.daemons
    settings = split.settings
    tenant: TenantData = await create_tenant(conn, password_hash)
    # The simulator delivers to web only: every acknowledgement is web's.
    async with world(split.replicas, tenant, settings, upstreams=[web.url]) as w:
        await publish_echo_flow(web.url, tenant)
        async with console(session, web, tenant[Role.ADMIN].headers) as on_web:
            await w.customers_write(MESSAGES, rate=40.0, customers=8)
            await w.sim.wait_settled(timeout=TIMEOUT)
            assert w.acked() == MESSAGES
            # Replies exist only if the jobs process fanned out, stepped the flow and sent
            # (web runs no claimer and no sender: the readyz test above).
            await until(lambda: len(w.replies()) >= MESSAGES, TIMEOUT, "every reply")
            await until(saw(on_web, set(w.sent)), TIMEOUT, "web's console to see every message")
            assert sorted(on_web.received) == sorted(w.sent)
            await until_async(lambda: settled(conn, tenant.id), TIMEOUT, "work to drain")
        await assert_each_once(conn, w)
    assert all(d.proc.poll() is None for d in split.replicas.daemons), split.replicas.logs()


def _daemon(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DAEMON_ARGV, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_bad_role_is_one_line_naming_the_setting(split: Split, how: str) -> None:
    env = daemon_env(split.settings, port=free_port())
    if how == "flag":
        done = _daemon(env, "--role", "worker")
    else:
        env["PYTAKE_SERVER__ROLE"] = "worker"
        done = _daemon(env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "server.role" in lines[0]
    assert "'web'" in lines[0]
    assert "'jobs'" in lines[0]


def test_a_split_role_needs_configured_servers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTAKE_")}
    env.update(PYTAKE_STATE_DIR=str(tmp_path), PYTAKE_SERVER__ROLE="jobs")
    done = _daemon(env)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "database.url and redis.url" in lines[0]
