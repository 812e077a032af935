"""Two real ``pytake daemon`` processes on the session's PostgreSQL and Redis: an event published
by one reaches a WebSocket client of the other, and SIGTERM closes clients with 1001 and exits 0.

The process helpers here are also used by ``test_daemon_process.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSMsgType
from redis.asyncio import Redis

from pytake_daemon.config import Settings
from pytake_daemon.protocol import Hello, Role, UserChanged, parse_server_event
from tests.conftest import MakeTenant
from tests.support import daemon_env, free_port

REPO = Path(__file__).resolve().parent.parent
DAEMON_ARGV = [sys.executable, "-c", "from pytake_cli.main import run; run()", "daemon"]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
EVENT_TIMEOUT = 10.0


@dataclass
class Daemon:
    """A ``pytake daemon`` child process; its stdout and stderr go to ``log_path``."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"

    def log(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return text[-8000:]

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL if still running, and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(STOP_TIMEOUT)


def start_daemon(env: dict[str, str], log_path: Path) -> Daemon:
    port = int(env["PYTAKE_SERVER__PORT"])
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            DAEMON_ARGV,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
    return Daemon(proc, port, log_path)


@contextlib.contextmanager
def reaped(daemons: list[Daemon]) -> Iterator[list[Daemon]]:
    """Whatever happens, no daemon outlives the test (SIGKILL, then reap)."""
    try:
        yield daemons
    finally:
        for daemon in daemons:
            daemon.kill()


async def wait_until(
    predicate: Callable[[], bool], timeout: float = EVENT_TIMEOUT, what: str = "condition"
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def wait_ready(
    session: aiohttp.ClientSession, daemon: Daemon, timeout: float = START_TIMEOUT
) -> None:
    """Poll ``/readyz`` until 200; fail at once (with the log) if the process exits."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        code = daemon.proc.poll()
        assert code is None, f"daemon exited with {code} while starting:\n{daemon.log()}"
        with contextlib.suppress(aiohttp.ClientConnectionError, TimeoutError):
            async with session.get(f"{daemon.url}/readyz", timeout=aiohttp.ClientTimeout(2)) as r:
                if r.status == 200:
                    return
        assert asyncio.get_running_loop().time() < deadline, (
            f"daemon not ready in {timeout}s:\n{daemon.log()}"
        )
        await asyncio.sleep(0.05)


async def wait_exit(daemon: Daemon, timeout: float = STOP_TIMEOUT) -> int:
    await wait_until(
        lambda: daemon.proc.poll() is not None, timeout, what=f"daemon {daemon.proc.pid} to exit"
    )
    code = daemon.proc.returncode
    assert isinstance(code, int)
    return code


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_event_crosses_processes_and_sigterm_says_going_away(
    settings: Settings,
    make_tenant: MakeTenant,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    tenant = await make_tenant()
    agent, admin = tenant[Role.AGENT], tenant[Role.ADMIN]
    # A prefix of their own, so counting subscribers counts exactly these two daemons.
    prefix = f"pytake-xproc-{uuid.uuid4().hex[:8]}:"
    channel = f"{prefix}events"
    envs = []
    for _ in range(2):
        env = daemon_env(settings, port=free_port())
        env["PYTAKE_REDIS__KEY_PREFIX"] = prefix
        env["PYTAKE_SERVER__SHUTDOWN_TIMEOUT"] = "3"
        envs.append(env)

    assert settings.redis.url is not None
    redis = Redis.from_url(settings.redis.url.get_secret_value())
    try:
        with reaped([]) as daemons:
            for name, env in zip("ab", envs, strict=True):
                daemons.append(start_daemon(env, tmp_path / f"daemon-{name}.log"))
            a, b = daemons
            await asyncio.gather(wait_ready(session, a), wait_ready(session, b))

            async def subscribers() -> int:
                counts = dict(await redis.pubsub_numsub(channel))
                return int(counts.get(channel.encode(), 0))

            deadline = asyncio.get_running_loop().time() + EVENT_TIMEOUT
            while await subscribers() < 2:
                assert asyncio.get_running_loop().time() < deadline, "daemons never subscribed"
                await asyncio.sleep(0.02)

            async with session.ws_connect(a.ws_url, headers=agent.headers) as ws:
                msg = await ws.receive(timeout=EVENT_TIMEOUT)
                assert msg.type is WSMsgType.TEXT
                hello = parse_server_event(msg.data)
                assert isinstance(hello.event, Hello)

                email = f"xproc-{uuid.uuid4().hex[:8]}@{tenant.slug}.test"
                async with session.post(
                    f"{b.url}/api/v1/users",
                    json={"email": email, "name": "X", "role": "agent", "password": "long-enough"},
                    headers=admin.headers,
                ) as resp:
                    assert resp.status == 201, await resp.text()

                msg = await ws.receive(timeout=EVENT_TIMEOUT)
                assert msg.type is WSMsgType.TEXT, (msg, a.log(), b.log())
                envelope = parse_server_event(msg.data)
                assert envelope.tenant_id == tenant.id
                assert envelope.seq == hello.seq + 1
                assert isinstance(envelope.event, UserChanged)
                assert envelope.event.email == email

                a.signal(signal.SIGTERM)
                b.signal(signal.SIGTERM)
                msg = await ws.receive(timeout=STOP_TIMEOUT)
                assert msg.type is WSMsgType.CLOSE, (msg, a.log())
                assert msg.data == WSCloseCode.GOING_AWAY

            codes = await asyncio.gather(wait_exit(a), wait_exit(b))
            assert list(codes) == [0, 0], f"{a.log()}\n---\n{b.log()}"
            assert await subscribers() == 0
    finally:
        await redis.aclose()
