"""``pytake demo --no-tui`` as a real process on a fresh state directory (embedded stack): it
starts the daemon and the simulator, seeds the demo tenant and prints its logins; a customer who
says "oi" is handed by the ready-made flow to a queue, simulated customers write on their own;
SIGINT stops everything (no process left); a second run reuses the same data and passwords."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pytake_cli import demo_seed
from pytake_cli.demo import supervisor_session
from pytake_daemon.protocol import LoginResponse, Me, Role
from pytake_daemon.protocol.agents import AgentList
from pytake_daemon.protocol.flows import FlowList
from pytake_daemon.protocol.queues import QueueItemList, QueueList
from pytake_daemon.protocol.whatsapp import NumberList
from pytake_tui.app import build_app
from pytake_tui.credentials import CredentialStore
from tests.support import free_port, short_tmpdir
from tests.test_daemon_process import embedded_env, kill_leftovers, processes_under

pytestmark = pytest.mark.timeout(420)

DEMO_ARGV = [sys.executable, "-c", "from pytake_cli.main import run; run()", "demo", "--no-tui"]
REPO = Path(__file__).resolve().parents[1]
BANNER = "PyTake demo is running"
START_TIMEOUT = 180.0
STOP_TIMEOUT = 60.0
ACCOUNT_LINE = re.compile(r"^\s+(owner|supervisor|agent)\s+(\S+@demo\.test)\s+(\S+)\s*$", re.M)


@dataclass
class Demo:
    proc: subprocess.Popen[bytes]
    output: Path
    server: str
    simulator: str

    def text(self) -> str:
        return self.output.read_text(errors="replace")


@pytest.fixture(scope="module")
def state_dir() -> Iterator[Path]:
    path = short_tmpdir("ptdemo-")
    try:
        yield path
    finally:
        kill_leftovers(path)
        shutil.rmtree(path, ignore_errors=True)


def start_demo(state_dir: Path, run: int) -> Demo:
    port, sim_port = free_port(), free_port()
    env = embedded_env(
        state_dir,
        PYTAKE_SERVER__PORT=str(port),
        PYTAKE_DEMO_SIMULATOR_PORT=str(sim_port),
        PYTAKE_DEMO_CHATTER="0.5",
    )
    output = state_dir / f"demo-{run}.out"
    with output.open("wb") as out:
        proc = subprocess.Popen(
            DEMO_ARGV, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            cwd=REPO,
        )  # fmt: skip
    return Demo(proc, output, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sim_port}")


async def until(probe: Any, what: str, timeout: float) -> Any:
    """Poll ``probe`` (sync or async) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = probe()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def wait_banner(demo: Demo) -> str:
    def ready() -> bool:
        assert demo.proc.poll() is None, f"pytake demo exited early:\n{demo.text()}"
        return BANNER in demo.text() and "join as an agent" in demo.text()

    await until(ready, "the demo's banner", START_TIMEOUT)
    return demo.text()


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(entry.path, "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {p for p, parent in parents.items() if parent in frontier}
        found |= children
        frontier = children
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def interrupt(demo: Demo, state_dir: Path) -> None:
    """SIGINT as a terminal's Ctrl-C would send it; a clean exit and no process left behind."""
    below = descendants(demo.proc.pid)
    assert len(below) >= 3, "daemon, simulator and the embedded servers should be running"
    demo.proc.send_signal(signal.SIGINT)
    await until(lambda: demo.proc.poll() is not None, "pytake demo to exit", STOP_TIMEOUT)
    assert demo.proc.returncode == 0, f"exit {demo.proc.returncode}:\n{demo.text()}"
    assert "stopped" in demo.text().splitlines()[-1]
    await until(lambda: not any(alive(p) for p in below), "the children to be gone", 10)
    assert processes_under(state_dir / "embedded") == []


async def login(session: aiohttp.ClientSession, demo: Demo, email: str, password: str) -> str:
    async with session.post(
        f"{demo.server}/api/v1/auth/login", json={"email": email, "password": password}
    ) as resp:
        assert resp.status == 200, await resp.text()
        return LoginResponse.model_validate(await resp.json()).token


async def get(session: aiohttp.ClientSession, demo: Demo, path: str, token: str) -> Any:
    async with session.get(
        f"{demo.server}{path}", headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def test_demo_runs_seeds_serves_stops_and_reuses_its_data(state_dir: Path) -> None:
    demo = start_demo(state_dir, 1)
    try:
        banner = await wait_banner(demo)
        printed = {email: secret for _, email, secret in ACCOUNT_LINE.findall(banner)}
        assert set(printed) == {
            "owner@demo.test",
            "supervisor@demo.test",
            "ana@demo.test",
            "ben@demo.test",
        }
        saved_file = state_dir / "demo-credentials"
        assert saved_file.stat().st_mode & 0o777 == 0o600
        saved = dict(line.split() for line in saved_file.read_text().splitlines())
        assert saved == printed  # the passwords were printed, once, and kept

        async with aiohttp.ClientSession() as session:
            token = await login(
                session, demo, "supervisor@demo.test", printed["supervisor@demo.test"]
            )
            queues = QueueList.model_validate(await get(session, demo, "/api/v1/queues", token))
            support = next(q.id for q in queues.items if q.name == "Support")
            agents = AgentList.model_validate(await get(session, demo, "/api/v1/agents", token))
            on_duty = {a.name for a in agents.items if a.status == "online"}
            assert on_duty == {"Ana Lima", "Ben Carter"}

            # A customer greets in Portuguese; the flow's buttons come back; "Urgent" is tapped.
            customer = "5511988887777"
            async with session.post(  # a customer whose phone Meta shows (the demo hides some)
                f"{demo.simulator}/_sim/customers",
                json={"wa_id": customer, "phone_visible": True, "profile_name": "Maria"},
            ) as resp:
                assert resp.status in (200, 201), await resp.text()
            async with session.post(
                f"{demo.simulator}/_sim/customers/{customer}/messages",
                json={"type": "text", "text": "Oi, preciso de ajuda", "profile_name": "Maria"},
            ) as resp:
                assert resp.status == 200, await resp.text()
            async with session.get(
                f"{demo.simulator}/_sim/messages", params={"to": customer, "wait": "20"}
            ) as resp:
                sent = (await resp.json())["data"]
            buttons = sent[0]["body"]["interactive"]["action"]["buttons"]
            urgent = next(b["reply"] for b in buttons if "Urgent" in b["reply"]["title"])
            async with session.post(
                f"{demo.simulator}/_sim/customers/{customer}/messages",
                json={"type": "interactive",
                      "interactive": {"type": "button_reply", "button_reply": urgent}},
            ) as resp:  # fmt: skip
                assert resp.status == 200, await resp.text()

            async def in_queue() -> Any:
                items = QueueItemList.model_validate(
                    await get(session, demo, f"/api/v1/queues/{support}/items", token)
                ).items
                return next((i for i in items if i.contact_wa_id == customer), None)

            item = await until(in_queue, "the customer in the Support queue", 30)
            assert item.priority == 2
            assert item.source == "flow"

            # A customer with a username and a hidden phone (2026 WhatsApp) is answered too:
            # through their BSUID, and listed by their username.
            async with session.post(
                f"{demo.simulator}/_sim/customers",
                json={"username": "maria.demo", "phone_visible": False, "profile_name": "Maria"},
            ) as resp:
                assert resp.status in (200, 201), await resp.text()
                bsuid = (await resp.json())["user_id"]
            async with session.post(
                f"{demo.simulator}/_sim/customers/{bsuid}/messages",
                json={"type": "text", "text": "oi"},
            ) as resp:
                assert resp.status == 200, await resp.text()
            async with session.get(
                f"{demo.simulator}/_sim/messages", params={"to": bsuid, "wait": "20"}
            ) as resp:
                answered = (await resp.json())["data"]
            assert answered, "the username customer got no answer"
            assert answered[0]["addressed_by"] == "user_id"
            assert answered[0]["body"]["recipient"] == bsuid
            assert "to" not in answered[0]["body"]
            listed = await get(session, demo, "/api/v1/conversations?q=maria.demo", token)
            [found] = listed["items"]
            assert (found["contact"]["username"], found["contact"]["wa_id"]) == (
                "maria.demo",
                None,
            )

            # Simulated customers write on their own (the chatter's numbers).
            async def chatter() -> bool:
                listed = await get(session, demo, "/api/v1/conversations", token)
                return any(
                    (c["contact"]["wa_id"] or "").startswith("1555010") or c["contact"]["username"]
                    for c in listed["items"]
                    if c["contact"]["username"] != "maria.demo"
                )

            await until(chatter, "a simulated customer's conversation", 60)

            # The console's way in: a supervisor session it resumes from the demo's own file.
            session_file = state_dir / "tui" / "credentials.json"
            credentials = demo_seed.Credentials(saved_file, saved)
            CredentialStore(session_file).save(await supervisor_session(demo.server, credentials))
            console = build_app(server=demo.server, credentials_path=session_file)
            resumed = console.credentials.load(console.server)
            assert resumed is not None
            me = Me.model_validate(await get(session, demo, "/api/v1/auth/me", resumed.token))
            assert (me.email, me.role) == ("supervisor@demo.test", Role.SUPERVISOR)
        await interrupt(demo, state_dir)

        # Again, on the same state: the same data and passwords, none printed.
        demo = start_demo(state_dir, 2)
        banner = await wait_banner(demo)
        shown = {email: secret for _, email, secret in ACCOUNT_LINE.findall(banner)}
        assert set(shown.values()) == {"(saved)"}
        assert not any(password in banner for password in saved.values())
        assert dict(line.split() for line in saved_file.read_text().splitlines()) == saved
        async with aiohttp.ClientSession() as session:
            token = await login(session, demo, "owner@demo.test", saved["owner@demo.test"])
            queues = QueueList.model_validate(await get(session, demo, "/api/v1/queues", token))
            assert sorted(q.name for q in queues.items) == ["Sales", "Support"]
            flows = FlowList.model_validate(await get(session, demo, "/api/v1/flows", token))
            assert [(f.name, f.published_version) for f in flows.items] == [("demo", 1)]
            numbers = NumberList.model_validate(
                await get(session, demo, "/api/v1/whatsapp/numbers", token)
            )
            assert len(numbers.items) == 1
        await interrupt(demo, state_dir)
    finally:
        if demo.proc.poll() is None:
            demo.proc.kill()
            demo.proc.wait()
