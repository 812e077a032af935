"""The connectivity checks against the real servers: a demo-like setup (the simulator as Meta,
the webhook reachable at server.public_url) passes through the admin API; with the simulator
stopped, ``pytake doctor`` exits 1 naming the number whose Graph API check failed."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from typer.testing import CliRunner, Result

from pytake_cli.main import app as cli
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.keys import DB_POOL, GRAPH, REDIS, SECRET_BOX, SETTINGS
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.system import CheckStatus
from pytake_daemon.system.checks import Targets, run_checks
from tests.conftest import MakeTenant
from tests.support import daemon_env, free_port
from tests.whatsapp.wa_support import SimulatedWorld, simulated_world, stop_simulated_world

ApiClient = TestClient[web.Request, web.Application]


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[SimulatedWorld]:
    # The app listens on a port chosen here, so server.public_url can name it: the webhook
    # check then runs Meta's handshake through the real app.
    port = free_port()
    server = settings.server.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    configured = settings.model_copy(update={"server": server})

    async def on_port(app: web.Application) -> ApiClient:
        client: ApiClient = await aiohttp_client(app, server_kwargs={"port": port})
        return client

    base = await simulated_world(on_port, configured, endpoints, await make_tenant(), seed=21)
    try:
        yield base
    finally:
        await stop_simulated_world(base, base.api)


# The app under test logs its requests (the webhook check's handshake) in this same process,
# into the stdout CliRunner captures: the command's own output is everything else.
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


def own_output(result: Result) -> str:
    return "\n".join(line for line in result.stdout.splitlines() if not _LOG_LINE.match(line))


def by_name(checks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in checks}


@pytest.fixture
async def smtp_port(tmp_path: Path) -> AsyncIterator[int]:
    """A real SMTP server (aiosmtpd) keeping what it receives in a Maildir."""
    port = free_port()
    maildir = tmp_path / "maildir"
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:  # ready once it accepts a connection, polled with a deadline
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                assert time.monotonic() < deadline, "aiosmtpd did not start"
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            break
        # (What arrives there is the notifications' mail to the tenant's users, not the check's:
        # it connects, logs in and quits.)
        yield port
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 10)


async def test_a_demo_like_setup_passes_and_a_stopped_meta_names_the_number(
    world: SimulatedWorld, settings: Settings, smtp_port: int
) -> None:
    number = world.sim.default_number
    admin = world.tenant[Role.ADMIN].headers
    resp = await world.api.put(
        "/api/v1/notifications/smtp",
        json={"host": "127.0.0.1", "port": smtp_port, "security": "none",
              "from_address": "support@example.com"},
        headers=admin,
    )  # fmt: skip
    assert resp.status == 200, await resp.text()
    resp = await world.api.get("/api/v1/system/checks", headers=world.tenant[Role.AGENT].headers)
    assert resp.status == 403
    resp = await world.api.get("/api/v1/system/checks", headers=world.tenant[Role.ADMIN].headers)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    checks = by_name(body["checks"])
    failed = [c for c in body["checks"] if c["status"] == "failed"]
    assert body["ok"] is True, failed
    for name in (
        "database", "redis", "clock", "secrets key", f"graph api {number.phone_number_id}",
        f"templates {number.waba_id}", "webhook", "backup storage", "smtp", "outbound http",
        "disk",
    ):  # fmt: skip
        assert checks[name]["status"] == "passed", checks[name]
    # Only this tenant's numbers: row-level security keeps the others' out of its checks.
    assert [n for n in checks if n.startswith("graph api")] == [
        f"graph api {number.phone_number_id}"
    ]
    assert checks["smtp"]["detail"] == (
        f"connected to 127.0.0.1:{smtp_port} (tenant {world.tenant.slug}) without sending"
    )
    assert "echoes Meta's verify-token handshake" in checks["webhook"]["detail"]

    # pytake doctor, in-process (typer's CliRunner on a worker thread: it runs its own event
    # loop), with the same configuration the daemon has: every check passes, then the
    # simulator stops and the Graph API check fails naming the number.
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PYTAKE_")}
    env.update(daemon_env(settings, port=0))
    env.update(
        PYTAKE_WHATSAPP__GRAPH_BASE_URL=world.sim.base_url,
        PYTAKE_SERVER__PUBLIC_URL=world.api.app[SETTINGS].server.public_url,
    )
    doctor = ["doctor", "--tenant", world.tenant.slug]
    passing = await asyncio.to_thread(CliRunner().invoke, cli, [*doctor, "--json"], env=env)
    assert passing.exit_code == 0, passing.output
    statuses = {c["name"]: c["status"] for c in json.loads(own_output(passing))["checks"]}
    assert set(statuses.values()) == {"passed"}, statuses

    await world.sim.stop()
    failing = await asyncio.to_thread(CliRunner().invoke, cli, doctor, env=env)
    assert failing.exit_code == 1, failing.output
    output = own_output(failing)
    lines = [line for line in output.splitlines() if line.startswith("FAILED")]
    assert len(lines) == 2, output  # the number, and its account's templates
    assert f"graph api {number.phone_number_id}" in lines[0]
    assert f"number {number.phone_number_id} (tenant {world.tenant.slug})" in lines[0]
    assert output.rstrip().endswith("2 failed, 0 skipped")
    assert "Traceback" not in failing.output


async def test_clock_skew_and_a_full_disk_fail_in_one_sentence(api: ApiClient) -> None:
    app = api.app
    async with aiohttp.ClientSession() as http:
        result = await run_checks(
            Targets(
                settings=app[SETTINGS],
                pool=app[DB_POOL],
                redis=app[REDIS],
                graph=app[GRAPH],
                http=http,
                box=app[SECRET_BOX],
                numbers=[],
                smtp=None,
                clock=lambda: datetime.now(UTC) - timedelta(minutes=10),
                min_free_bytes=2**62,
            )
        )
    checks = {c.name: c for c in result.checks}
    assert result.ok is False
    assert checks["clock"].status is CheckStatus.FAILED
    assert "ahead of this machine's" in checks["clock"].detail
    assert checks["disk"].status is CheckStatus.FAILED
    assert "free for the state dir" in checks["disk"].detail
    assert checks["graph api"].status is CheckStatus.SKIPPED
    assert checks["database"].status is CheckStatus.PASSED


def test_servers_away_are_failed_checks_not_a_traceback(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PYTAKE_")}
    env.update(
        PYTAKE_DATABASE__URL=f"postgresql://pytake_app:x@127.0.0.1:{closed}/pytake",
        PYTAKE_DATABASE__ADMIN_URL=f"postgresql://pytake:x@127.0.0.1:{closed}/pytake",
        PYTAKE_REDIS__URL=f"redis://127.0.0.1:{closed}/0",
        PYTAKE_STATE_DIR=str(tmp_path),
        PYTAKE_WHATSAPP__GRAPH_BASE_URL=f"http://127.0.0.1:{closed}",
    )
    result = CliRunner().invoke(cli, ["doctor", "--json"], env=env)
    assert result.exit_code == 1, result.output
    checks = by_name(json.loads(own_output(result))["checks"])
    assert checks["database"]["status"] == "failed"
    assert checks["database"]["detail"].startswith(
        "PostgreSQL can't be reached with database.url: "
    )
    assert checks["redis"]["status"] == "failed"
    assert checks["graph api"]["status"] == "skipped"
    assert "could not be read" in checks["graph api"]["detail"]
    assert checks["backup storage"]["status"] == "passed"
    assert "Traceback" not in result.output
