"""A daemon whose secrets key can't decrypt a stored number is not ready and says which key
it has; with the old key listed after a new one (rotation) it is."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet
from pydantic import SecretStr

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import WEBHOOK_ROUTING
from pytake_daemon.whatsapp.secretbox import KEY_FILE, SecretBox
from tests.conftest import MakeTenant
from tests.support import daemon_env, free_port
from tests.test_cross_process import reaped, start_daemon, wait_exit
from tests.whatsapp.wa_support import add_number

ApiClient = TestClient[web.Request, web.Application]


def with_keys(settings: Settings, *keys: bytes) -> Settings:
    joined = ",".join(k.decode() for k in keys)
    wa = settings.whatsapp.model_copy(update={"secrets_key": SecretStr(joined)})
    return settings.model_copy(update={"whatsapp": wa})


def session_key(settings: Settings) -> bytes:
    # The session's apps have no key configured: they share the state dir's generated one.
    return (settings.state_dir / KEY_FILE).read_bytes().strip()


async def test_another_key_is_not_ready_and_rotation_is(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    api: ApiClient,
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    number = await add_number(api, await make_tenant())
    other = Fernet.generate_key()

    replica: ApiClient = await aiohttp_client(create_app(with_keys(settings, other), endpoints))
    resp = await replica.get("/readyz")
    assert resp.status == 503
    body = await resp.json()
    assert body["ready"] is False
    fingerprint = SecretBox([other]).fingerprints[0]
    assert f"its key fingerprint {fingerprint}, from whatsapp.secrets_key" in body["secrets_key"]
    assert "give every replica the same whatsapp.secrets_key" in body["secrets_key"]
    assert number.phone_number_id in replica.app[WEBHOOK_ROUTING].undecryptable

    rotated: ApiClient = await aiohttp_client(
        create_app(with_keys(settings, other, session_key(settings)), endpoints)
    )
    resp = await rotated.get("/readyz")
    body = await resp.json()
    assert body["secrets_key"] is None, body
    assert rotated.app[WEBHOOK_ROUTING].undecryptable == []


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket standing in for systemd (a short path: sun_path holds 108 bytes)."""
    with (
        tempfile.TemporaryDirectory(prefix="pytake-sd-") as directory,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock,
    ):
        path = os.path.join(directory, "notify")
        sock.bind(path)
        sock.setblocking(False)
        yield sock, path


async def test_the_daemon_withholds_ready_and_says_why(
    api: ApiClient,
    settings: Settings,
    make_tenant: MakeTenant,
    notify_socket: tuple[socket.socket, str],
    tmp_path: Path,
) -> None:
    await add_number(api, await make_tenant())
    sock, path = notify_socket
    env = daemon_env(settings, port=free_port())
    env.update(
        PYTAKE_WHATSAPP__SECRETS_KEY=Fernet.generate_key().decode(),
        NOTIFY_SOCKET=path,
        PYTAKE_LOGGING__LEVEL="warning",
    )
    loop = asyncio.get_running_loop()
    with reaped([start_daemon(env, tmp_path / "daemon.log")]) as (daemon,):
        datagrams: list[str] = []
        deadline = time.monotonic() + 60
        while not any(d.startswith("STATUS=not ready") for d in datagrams):
            assert daemon.proc.poll() is None, daemon.log()
            assert time.monotonic() < deadline, f"no 'not ready' status: {datagrams}"
            try:
                data = await asyncio.wait_for(loop.sock_recv(sock, 4096), timeout=1)
            except TimeoutError:
                continue
            datagrams.append(data.decode())
        assert not any("READY=1" in d for d in datagrams), datagrams
        assert "secrets key this daemon doesn't have" in datagrams[-1]
        async with aiohttp.ClientSession() as session, session.get(f"{daemon.url}/readyz") as r:
            assert r.status == 503
            assert "whatsapp.secrets_key" in (await r.json())["secrets_key"]
        daemon.signal(signal.SIGTERM)
        assert await wait_exit(daemon) == 0
        assert "daemon not ready: stored secrets can't be decrypted" in daemon.log()


def cli_env(settings: Settings, keys: str) -> dict[str, str | None]:
    """The session's servers and the given keys; no other PYTAKE_* from outside."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PYTAKE_")}
    env.update(daemon_env(settings, port=0))
    env["PYTAKE_WHATSAPP__SECRETS_KEY"] = keys
    return env


async def test_rekey_moves_every_secret_to_the_new_key(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    api: ApiClient,
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    admin_conn: Connection,
) -> None:
    from typer.testing import CliRunner

    from pytake_cli.main import app as cli

    tenant = await make_tenant()
    number = await add_number(api, tenant)
    new, old = Fernet.generate_key(), session_key(settings)
    env = cli_env(settings, f"{new.decode()},{old.decode()}")
    runner = CliRunner()
    try:
        shown = await asyncio.to_thread(
            runner.invoke, cli, ["secrets", "fingerprint", "--json"], env=env
        )
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.stdout)["fingerprints"] == [
            SecretBox([new]).fingerprints[0],
            SecretBox([old]).fingerprints[0],
        ]
        done = await asyncio.to_thread(
            runner.invoke, cli, ["secrets", "rekey", "--tenant", tenant.slug, "--json"], env=env
        )
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout)["numbers"] == 1

        # The new key alone now routes the number; the old one alone no longer can.
        only_new: ApiClient = await aiohttp_client(create_app(with_keys(settings, new), endpoints))
        assert await only_new.app[WEBHOOK_ROUTING].route(number.phone_number_id) is not None
        assert number.phone_number_id not in only_new.app[WEBHOOK_ROUTING].undecryptable
        await api.app[WEBHOOK_ROUTING].refresh()
        assert number.phone_number_id in api.app[WEBHOOK_ROUTING].undecryptable

        # Without the key that encrypted them: one line, nothing changed.
        other = cli_env(settings, Fernet.generate_key().decode())
        refused = await asyncio.to_thread(
            runner.invoke, cli, ["secrets", "rekey", "--tenant", tenant.slug], env=other
        )
        assert refused.exit_code == 1
        assert f"number {number.phone_number_id}'s secrets decrypt with none" in refused.output
        assert "Traceback" not in refused.output
    finally:
        # Under a key the rest of the session doesn't have: no live number may stay behind.
        await admin_conn.execute(
            "UPDATE whatsapp_numbers SET removed_at = now() WHERE tenant_id = $1", tenant.id
        )
