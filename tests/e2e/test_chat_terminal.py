"""End to end through a real terminal: a real daemon process and the WhatsApp simulator, an
agent in ``pytake tui`` inside tmux. A customer writes, the agent opens the conversation and
replies by typing, the simulator receives the reply, and the screen shows it delivered and read.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from pytake_daemon.config import Settings
from pytake_daemon.protocol import Role
from pytake_simulator.config import NumberConfig, SimulatorConfig
from pytake_simulator.simulator import Simulator
from tests.conftest import MakeTenant
from tests.support import PASSWORD, daemon_env, free_port
from tests.whatsapp.wa_support import WEBHOOK, digits

from .test_terminal import READY_TIMEOUT, TMUX, Terminal


async def eventually(
    check: Callable[[], bool], what: str, show: Callable[[], str], timeout: float = 20.0
) -> None:
    """Poll the screen with a deadline, yielding to the simulator running in this loop."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the screen was:\n{show()}")
        await asyncio.sleep(0.1)


async def _ready(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def log_in(term: Terminal, url: str, tmp_path: Path, email: str, password: str) -> None:
    """Start ``pytake tui`` in the terminal and log in as a person types, each step once the
    screen shows the previous one took effect; returns on the chat, connected."""
    screen = term.screen
    term.start(
        [sys.executable, "-c", "'from pytake_cli.main import run; run()'", "tui", "--server", url],
        {
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "TERM": "xterm-256color",
            "TZ": "UTC",
            "PATH": os.environ.get("PATH", ""),
            # The words the test reads are English whatever the machine's locale.
            "PYTAKE_LANG": "en",
        },
    )
    await eventually(lambda: "Log in to PyTake" in screen(), "the login form", screen)
    term.type(email)
    await eventually(lambda: email in screen(), "the e-mail", screen)
    email_row = term.cursor_row()
    term.keys("Tab")
    # The password once the cursor is in its field, as a person looks before typing it.
    await eventually(lambda: term.cursor_row() != email_row, "the password field", screen)
    term.type(password)
    await eventually(lambda: "•" * 8 in screen(), "the masked password", screen)
    term.keys("Enter")
    await eventually(lambda: "Pick a conversation" in screen(), "the chat console", screen)
    await eventually(lambda: "connected" in screen().splitlines()[0], "the stream", screen)


@asynccontextmanager
async def serving(settings: Settings, tmp_path: Path, sim: Simulator) -> AsyncIterator[str]:
    """The simulator (in this process) and a daemon process using it as the Graph API, with
    webhooks from the one to the other; yields the daemon's URL."""
    graph_url = await sim.start("127.0.0.1", 0)
    await sim.start_runtime()
    port = free_port()
    env = daemon_env(settings, port=port)
    env["PYTAKE_REDIS__KEY_PREFIX"] = f"pytake-e2e-{uuid.uuid4().hex[:8]}:"
    env["PYTAKE_WHATSAPP__GRAPH_BASE_URL"] = graph_url
    log_path = tmp_path / "daemon.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pytake_cli.main import run; run()", "daemon"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
        while not await _ready(url):
            # A daemon that exited says why in its log; waiting out the deadline would not.
            log_tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
            assert proc.poll() is None, f"the daemon exited:\n{log_tail}"
            assert asyncio.get_running_loop().time() < deadline, (
                f"the daemon never got ready:\n{log_tail}"
            )
            await asyncio.sleep(0.1)
        sim.webhook_url = f"{url}{WEBHOOK}"
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, 15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        await sim.stop()


@pytest.fixture
async def world(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[str, Simulator, NumberConfig]]:
    """A number of the test's own, registered by the test."""
    number = NumberConfig(
        phone_number_id=digits(15), waba_id=digits(15), access_token="EAAG" + secrets.token_hex(8)
    )
    sim = Simulator(
        SimulatorConfig.fast(
            numbers=[number], app_secret=secrets.token_hex(16), webhook_url=None, seed=11
        )
    )
    async with serving(settings, tmp_path, sim) as url:
        yield url, sim, number


@pytest.mark.skipif(TMUX is None, reason="tmux is required: scripts/bootstrap.sh installs it")
async def test_agent_replies_in_a_real_terminal_and_sees_it_read(
    world: tuple[str, Simulator, NumberConfig], make_tenant: MakeTenant, tmp_path: Path
) -> None:
    url, sim, number = world
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    async with aiohttp.ClientSession() as http:
        body = {
            "phone_number_id": number.phone_number_id,
            "waba_id": number.waba_id,
            "access_token": number.access_token,
            "app_secret": sim.config.app_secret,
            "verify_token": sim.config.verify_token,
        }
        async with http.post(
            f"{url}/api/v1/whatsapp/numbers", json=body, headers=tenant[Role.ADMIN].headers
        ) as response:
            assert response.status == 201, await response.text()

    term = Terminal(tmp_path)
    screen = term.screen
    try:
        await log_in(term, url, tmp_path, agent.email, PASSWORD)

        customer = digits(12)
        wamid = await sim.customer(customer, name="Ana Souza").send_text("Oi, meu pedido?")
        await sim.wait_acked(wamid)
        await eventually(lambda: "Ana Souza" in screen(), "the new conversation", screen)
        # News shows in the list (✱, the unread badge); a toast is the notification center's,
        # for conversations of the agent's or in her queues (this one is in neither).
        await eventually(lambda: "Ana Souza ✱" in screen() and "●1" in screen(), "news", screen)
        await eventually(
            lambda: (
                term.tmux("display", "-p", "-t", "e2e", "#{pane_title}").strip() == "PyTake (1)"
            ),
            "the unread count in the window title",
            screen,
        )

        term.keys("Enter")  # the list has focus and Ana is its first row
        await eventually(lambda: "window open" in screen(), "the open thread", screen)
        assert "Oi, meu pedido?" in screen()
        term.type("It ships today!")
        await eventually(lambda: "It ships today!" in screen(), "the draft", screen)
        term.keys("Enter")

        [sent] = await sim.wait_for_outbound(to=customer, timeout=20)
        assert sent.body["text"]["body"] == "It ships today!"
        await sim.wait_for_status(sent.id, "delivered", timeout=20)
        await eventually(lambda: "✓✓ delivered" in screen(), "the delivered ticks", screen)
        sim.customer_read(customer)
        await eventually(lambda: "✓✓ read" in screen(), "the read ticks", screen)
        term.keys("C-q")
    finally:
        term.close()
