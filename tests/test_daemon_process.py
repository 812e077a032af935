"""``pytake daemon`` as a real process on the embedded stack (no database or Redis URLs): start,
``kill -9`` and restart on the same state directory, clean SIGTERM, and sd_notify datagrams."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from pytake_daemon.embedded._process import process_alive, process_argv, process_cwd
from pytake_daemon.protocol import Health, Readiness
from tests.support import free_port, short_tmpdir
from tests.test_cross_process import (
    START_TIMEOUT,
    Daemon,
    reaped,
    start_daemon,
    wait_exit,
    wait_ready,
)

pytestmark = pytest.mark.timeout(180)


def processes_under(root: Path) -> list[int]:
    """Live processes whose working directory or command line is inside ``root``."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        cwd = process_cwd(pid)
        argv = " ".join(process_argv(pid))
        inside = (cwd is not None and cwd.is_relative_to(root)) or str(root) in argv
        if inside and process_alive(pid):
            found.append(pid)
    return found


def kill_leftovers(root: Path) -> None:
    for pid in processes_under(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def state_dir() -> Iterator[Path]:
    """One state directory for the module: the embedded cluster is initialised only once."""
    path = short_tmpdir("ptd-")
    try:
        yield path
    finally:
        kill_leftovers(path)
        shutil.rmtree(path, ignore_errors=True)


def embedded_env(state_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTAKE_", "NOTIFY_", "WATCHDOG_"))
    }
    env.update(
        PYTAKE_STATE_DIR=str(state_dir),
        PYTAKE_SERVER__PORT=str(free_port()),
        PYTAKE_SERVER__SHUTDOWN_TIMEOUT="3",
        PYTAKE_LOGGING__LEVEL="info",
    )
    env.update(extra)
    return env


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def get_status(session: aiohttp.ClientSession, url: str) -> tuple[int, object]:
    async with session.get(url) as resp:
        return resp.status, await resp.json()


async def assert_serving(session: aiohttp.ClientSession, daemon: Daemon) -> None:
    status, body = await get_status(session, f"{daemon.url}/healthz")
    assert status == 200
    Health.model_validate(body)
    status, body = await get_status(session, f"{daemon.url}/readyz")
    assert status == 200, body
    ready = Readiness.model_validate(body)
    assert ready.ready
    assert ready.database
    assert ready.redis
    assert ready.migrations_current


async def test_kill_9_then_restart_on_same_state_then_clean_stop(
    state_dir: Path, session: aiohttp.ClientSession
) -> None:
    embedded = state_dir / "embedded"
    with reaped([]) as daemons:
        first = start_daemon(embedded_env(state_dir), state_dir / "daemon-1.log")
        daemons.append(first)
        await wait_ready(session, first)
        await assert_serving(session, first)
        assert processes_under(embedded), "the embedded servers should be running"

        first.proc.kill()
        assert await wait_exit(first) == -signal.SIGKILL

        # The killed owner's servers get their parent-death signal and wind down on their own;
        # the new daemon must cope with whatever state they are in.
        second = start_daemon(embedded_env(state_dir), state_dir / "daemon-2.log")
        daemons.append(second)
        await wait_ready(session, second)
        await assert_serving(session, second)

        second.signal(signal.SIGTERM)
        assert await wait_exit(second) == 0, second.log()

    # A clean stop takes the embedded servers down with it (pid files are removed on a clean
    # shutdown; anything left running in the state directory would be a leak).
    assert processes_under(embedded) == []
    assert not (embedded / "postgres" / "data" / "postmaster.pid").exists()
    assert not (embedded / "redis" / "redis.pid").exists()


async def recv_until(sock: socket.socket, wanted: str, received: list[str], timeout: float) -> str:
    """Receive datagrams (recording each) until one contains the field ``wanted``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        assert remaining > 0, f"no {wanted} datagram in {timeout}s; got {received}"
        data = await asyncio.wait_for(loop.sock_recv(sock, 4096), remaining)
        text = data.decode()
        received.append(text)
        if wanted in text.split("\n"):
            return text


async def test_systemd_notify_ready_watchdog_stopping(
    state_dir: Path, session: aiohttp.ClientSession
) -> None:
    directory = short_tmpdir("ptn-")
    path = directory / "notify"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(str(path))
            sock.setblocking(False)
            env = embedded_env(state_dir, NOTIFY_SOCKET=str(path), WATCHDOG_USEC="200000")
            received: list[str] = []
            with reaped([]) as daemons:
                daemon = start_daemon(env, state_dir / "daemon-notify.log")
                daemons.append(daemon)
                ready = await recv_until(sock, "READY=1", received, START_TIMEOUT)
                assert any(line.startswith("STATUS=serving on") for line in ready.split("\n"))
                # READY=1 comes after the site is listening: no polling needed here.
                status, _ = await get_status(session, f"{daemon.url}/healthz")
                assert status == 200
                await recv_until(sock, "WATCHDOG=1", received, 5.0)
                await recv_until(sock, "WATCHDOG=1", received, 5.0)

                daemon.signal(signal.SIGTERM)
                await recv_until(sock, "STOPPING=1", received, 20.0)
                assert await wait_exit(daemon) == 0, daemon.log()
            fields = [line for text in received for line in text.split("\n")]
            assert fields.index("READY=1") < fields.index("STOPPING=1")
            assert fields.count("READY=1") == 1
            assert "STATUS=starting backing services" in fields[: fields.index("READY=1")]
    finally:
        shutil.rmtree(directory, ignore_errors=True)
