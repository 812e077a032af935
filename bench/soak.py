"""Soak: ``--minutes`` (default 30) of mixed traffic against one daemon process, its memory and
latency sampled each minute, to see that neither creeps up.

The traffic, all at once for the whole run:

* customers' messages, open loop at ``--rate`` per second (message *i* is due at
  ``start + i / rate`` whatever happened before) over ``--customers`` customers, through the
  simulator (Meta, in this process) to the daemon's webhook; an echo flow answers each through the
  outbox, and the simulator's sent/delivered/read callbacks come back through the webhook;
* a console's reads, every ``--console-every`` seconds as a supervisor: the conversation list,
  the stats, the newest conversation's messages and the queue dashboard;
* one WebSocket client, counting the events it is sent.

Each minute one row: echoes completed in that minute and their latency (from the message's due
time to the simulator's acceptance of the echo, so no coordinated omission), the console reads'
p99, WebSocket events, failures, and the daemon's RSS (its process tree, by psutil) at the
minute's end. The first minute is the warm-up: RSS growth is measured from its end to the end
of the last one. After the last minute the load stops and the run waits up to ``--drain`` s for
the echoes still due (``drain_echoes``, their worst latency ``drain_max_ms``: not in the last
minute's p99); any missing then are ``lost``. Final line:
``RESULT soak minutes=… rss_growth_pct=… p99_first_ms=… p99_last_ms=… …`` (first and last
are the first and last minutes' echo p99).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from dataclasses import dataclass, field

import aiohttp
import psutil
from cryptography.fernet import Fernet
from echo import PHONE_ID, SECRET, TOKEN, WABA_ID, configure, publish_flow
from echo_side import bench_simulator_config, nearest_rank
from harness import bench_stack, cpu_seconds, free_port

from pytake_daemon.protocol import Role
from pytake_simulator import Simulator
from pytake_simulator.customer_messages import CustomerMessage

CUSTOMER_PREFIX = "1998"  # + 7 digits: never a history or echo-bench contact
MIB = 1024 * 1024


@dataclass
class Minute:
    index: int
    sent: int = 0
    echoes: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    stats_reads: list[float] = field(default_factory=list)
    """The inbox stats alone (every console's header reads them as events arrive)."""
    read_failures: int = 0
    ws_events: int = 0
    rss_bytes: int = 0
    daemon_cpu_s: float = 0.0

    def row(self) -> str:
        echoes = sorted(self.echoes)
        reads = sorted(self.reads)
        stats = sorted(self.stats_reads)
        return (
            f"minute {self.index:3d}  sent {self.sent:5d}  echoed {len(echoes):5d}  "
            f"echo p50 {nearest_rank(echoes, 0.5):7.1f} ms  "
            f"p99 {nearest_rank(echoes, 0.99):7.1f} ms  "
            f"console p50 {nearest_rank(reads, 0.5):5.1f} p99 {nearest_rank(reads, 0.99):6.1f} ms "
            f"(stats p50 {nearest_rank(stats, 0.5):5.1f}; {len(reads)} reads, "
            f"{self.read_failures} failed)  ws events {self.ws_events:5d}  "
            f"daemon cpu {self.daemon_cpu_s / 60 * 100:4.1f} %  rss {self.rss_bytes / MIB:7.1f} MiB"
        )


def tree_rss(pid: int) -> int:
    """Resident memory of a process and its descendants (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


class Soak:
    def __init__(
        self, args: argparse.Namespace, sim: Simulator, app: str, headers: dict[str, str], pid: int
    ) -> None:
        self.args = args
        self.sim = sim
        self.app = app
        self.headers = headers
        self.pid = pid
        self.minutes: list[Minute] = []
        """The minutes done."""
        self.minute = Minute(1)
        """Where this minute's figures go; after the last, the drain's (index 0)."""
        # Text of every message not yet echoed -> (its due time, its customer).
        self.expected: dict[str, tuple[float, str]] = {}
        self.cursor = len(sim.store.outbound_log)
        self.duplicates = 0
        self.strays = 0
        self.stop = asyncio.Event()

    async def customers(self) -> None:
        rate = self.args.rate
        start = time.monotonic() + 0.05
        i = 0
        while not self.stop.is_set():
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # the open-loop schedule itself
                if self.stop.is_set():
                    return
            customer = f"{CUSTOMER_PREFIX}{i % self.args.customers:07d}"
            text = f"soak order {i}?"
            self.expected[text] = (due, customer)  # known before sent: an echo can't beat it
            request = CustomerMessage.model_validate(
                {"type": "text", "text": {"body": text}, "phone_number_id": PHONE_ID}
            )
            self.sim.customer_send(customer, request)
            self.minute.sent += 1
            i += 1

    def scan(self) -> None:
        """Match the echoes that arrived since the last scan to the messages they answer."""
        log = self.sim.store.outbound_log
        while self.cursor < len(log):
            out = log[self.cursor]
            self.cursor += 1
            text_obj = out.body.get("text")
            text = text_obj.get("body") if isinstance(text_obj, dict) else None
            pending = self.expected.pop(text, None) if isinstance(text, str) else None
            if pending is None:
                if isinstance(text, str) and text.startswith("soak order "):
                    self.duplicates += 1
                else:
                    self.strays += 1
                continue
            due, customer = pending
            if out.to != customer:
                self.strays += 1
                continue
            self.minute.echoes.append((out.received_at - due) * 1000)

    async def matcher(self) -> None:
        while True:
            self.scan()
            await asyncio.sleep(0.05)

    async def console(self, session: aiohttp.ClientSession) -> None:
        """A supervisor's console: the reads its screens make, every few seconds."""
        api = f"{self.app}/api/v1"
        newest: str | None = None
        while True:
            paths = ["/conversations?limit=50", "/conversations/stats", "/queues/dashboard"]
            if newest is not None:  # the newest conversation's messages, once one exists
                paths.insert(2, f"/conversations/{newest}/messages?limit=50")
            for path in paths:
                started = time.monotonic()
                try:
                    async with session.get(api + path, headers=self.headers) as resp:
                        body = await resp.json()
                        ok = resp.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok, body = False, None
                if not ok:
                    self.minute.read_failures += 1
                    continue
                took_ms = (time.monotonic() - started) * 1000
                self.minute.reads.append(took_ms)
                if path == "/conversations/stats":
                    self.minute.stats_reads.append(took_ms)
                if path.startswith("/conversations?") and body["items"]:
                    newest = body["items"][0]["id"]
            await asyncio.sleep(self.args.console_every)

    async def websocket(self, session: aiohttp.ClientSession) -> None:
        """One console's event stream; reconnects if the daemon closes it."""
        url = f"{self.app}/api/v1/ws".replace("http", "ws", 1)
        while True:
            try:
                async with session.ws_connect(url, headers=self.headers, heartbeat=20) as ws:
                    async for message in ws:
                        if message.type is aiohttp.WSMsgType.TEXT:
                            self.minute.ws_events += 1
            except (aiohttp.ClientError, TimeoutError):
                self.minute.read_failures += 1
            await asyncio.sleep(1)

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            tasks = [
                asyncio.create_task(self.customers()),
                asyncio.create_task(self.matcher()),
                asyncio.create_task(self.console(session)),
                asyncio.create_task(self.websocket(session)),
            ]
            cpu_before = cpu_seconds(self.pid)
            started = time.monotonic()
            for index in range(1, self.args.minutes + 1):
                await asyncio.sleep(max(0.0, started + 60 * index - time.monotonic()))
                self.scan()
                done = self.minute
                self.minutes.append(done)
                self.minute = Minute(index + 1 if index < self.args.minutes else 0)
                done.rss_bytes = tree_rss(self.pid)
                cpu_now = cpu_seconds(self.pid)
                done.daemon_cpu_s, cpu_before = cpu_now - cpu_before, cpu_now
                print(done.row(), flush=True)
            self.stop.set()
            deadline = time.monotonic() + self.args.drain
            while self.expected and time.monotonic() < deadline:
                self.scan()
                await asyncio.sleep(0.1)
            self.scan()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def result(self) -> str:
        first, last = self.minutes[0], self.minutes[-1]
        growth = (
            (last.rss_bytes - first.rss_bytes) / first.rss_bytes * 100
            if first.rss_bytes
            else math.nan
        )
        drain = self.minute
        everything = [*self.minutes, drain]
        sent = sum(m.sent for m in everything)
        echoed = sum(len(m.echoes) for m in everything)
        reads = sorted(r for m in everything for r in m.reads)
        fields = [
            f"minutes={self.args.minutes}",
            f"rss_growth_pct={growth:.1f}",
            f"p99_first_ms={nearest_rank(sorted(first.echoes), 0.99):.1f}",
            f"p99_last_ms={nearest_rank(sorted(last.echoes), 0.99):.1f}",
            f"rss_first_mib={first.rss_bytes / MIB:.1f}",
            f"rss_last_mib={last.rss_bytes / MIB:.1f}",
            f"rate={self.args.rate:g}",
            f"sent={sent}",
            f"echoed={echoed}",
            f"drain_echoes={len(drain.echoes)}",
            f"drain_max_ms={max(drain.echoes, default=0.0):.1f}",
            f"lost={len(self.expected)}",
            f"duplicates={self.duplicates}",
            f"strays={self.strays}",
            f"console_p99_ms={nearest_rank(reads, 0.99):.1f}",
            # A p50 moves with what a read costs, a p99 of ~120 reads a minute with the noise:
            # the first and last minute's medians say whether reads creep up.
            f"console_p50_first_ms={nearest_rank(sorted(first.reads), 0.5):.1f}",
            f"console_p50_last_ms={nearest_rank(sorted(last.reads), 0.5):.1f}",
            f"stats_p50_first_ms={nearest_rank(sorted(first.stats_reads), 0.5):.1f}",
            f"stats_p50_last_ms={nearest_rank(sorted(last.stats_reads), 0.5):.1f}",
            f"console_failures={sum(m.read_failures for m in everything)}",
            f"ws_events={sum(m.ws_events for m in everything)}",
        ]
        return "RESULT soak " + " ".join(fields)


async def soak(
    args: argparse.Namespace, sim_port: int, app: str, pid: int, headers: dict[str, str]
) -> str:
    config = bench_simulator_config(
        port=sim_port,
        webhook_url=f"{app}/api/v1/whatsapp/webhook",
        app_secret=SECRET,
        phone_number_id=PHONE_ID,
        waba_id=WABA_ID,
        token=TOKEN,
    )
    sim = Simulator(config)
    await sim.start()
    try:
        run = Soak(args, sim, app, headers, pid)
        await run.run()
        return run.result()
    finally:
        await sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=30, help="minutes of load (default 30)")
    parser.add_argument("--rate", type=float, default=10.0, help="customer messages per second")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--console-every", type=float, default=2.0, help="s between reads")
    parser.add_argument("--drain", type=float, default=60.0, help="s to wait for late echoes")
    args = parser.parse_args()
    if args.minutes < 1:
        parser.error("--minutes must be at least 1")

    key = Fernet.generate_key()
    with bench_stack("pts-") as bench:
        configure(bench, key, 0)
        sim_port, app_port = free_port(), free_port()
        daemon = bench.spawn_daemon(
            app_port,
            PYTAKE_WHATSAPP__SECRETS_KEY=key.decode(),
            PYTAKE_WHATSAPP__GRAPH_BASE_URL=f"http://127.0.0.1:{sim_port}",
        )
        app = f"http://127.0.0.1:{app_port}"
        publish_flow(app, bench.tenant[Role.ADMIN].headers)
        result = asyncio.run(
            soak(args, sim_port, app, daemon.pid, bench.tenant[Role.SUPERVISOR].headers)
        )
        # Before the teardown: a daemon slow to stop (30 s under a backlog, 2026-12-05) made
        # bench_stack raise, and a 30-minute run's result line was lost.
        print(result, flush=True)


if __name__ == "__main__":
    main()
