"""One side of ``bench/echo.py``, in its own process: a simulator (Meta) of its own on loopback,
the load generator inside it, and the rate ladder for one echo server (PyTake's daemon or the
pywa bot). ``echo.py`` starts it with a JSON spec as its only argument; phase lines go to stderr
as they finish, and one JSON report to stdout at the end.

For each rung of the ladder, one phase:

1. ``rate * seconds`` customer messages, open loop (message *i* is due at ``start + i / rate``
   whatever happened before), spread over ``max(10, rate)`` customers, each text unique
   (``where is my order <side>.<phase>.<i>?``);
2. echoes are matched to the message they answer by that text, once each: a second echo of the
   same text is a duplicate, an echo of an earlier phase's text arriving now is late (counted
   here, never in the earlier phase's figures); latency runs from the message's scheduled time
   to the simulator's acceptance of the echo (no coordinated omission);
3. the phase waits for every echo (or, for a server that dropped some, until nothing that could
   still become one is left: no echo for ``quiet`` seconds, every webhook acknowledged, nothing
   due in the daemon's queues), then for the side to drain: every webhook (messages and the
   sent/delivered/read callbacks of every echo) acknowledged and, when a database is given, the
   daemon's work queues with nothing due (``harness.backlog``) — at most ``drain`` seconds after
   the last message was due;
4. CPU (utime + stime from /proc) of the echo server's process tree, of the PostgreSQL cluster
   (postmaster and all its children, reaped ones included) and of this process (simulator and
   load generator) is sampled before step 1 and after step 3.

A rung is **sustained** when every webhook was acknowledged, at least 99 % of its messages were
echoed within ``p99_bound_ms`` of their scheduled time (the p99 echo latency, counting a missing
echo as infinitely late, is within the bound) and the side drained within ``drain`` seconds. A
rung that isn't, but where every message was echoed in the end (a stall, not a loss), is run
again (``retries``) after the side has drained; the ladder stops at the first rung that fails
every attempt, and after a stall (not a loss) ``refine`` phases halve the gap between it and the
highest rung passed (the sustained rate is the highest rate passed, ladder or refinement). If it
stopped below ``probe_rate``, one more phase at ``probe_rate`` is run (not part of the ladder)
so that its latency can be reported.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from harness import backlog, cpu_seconds, deferred, wait_drained

from pytake_daemon.db.pool import Connection, connect
from pytake_simulator import Simulator
from pytake_simulator.config import SimulatorConfig
from pytake_simulator.customer_messages import CustomerMessage

CUSTOMER_PREFIX = "1999"  # + 7 digits: the simulator's load range, never a history contact


@dataclass
class Spec:
    side: str
    port: int
    webhook_url: str
    phone_number_id: str
    waba_id: str
    access_token: str
    app_secret: str
    rates: list[float]
    seconds: float
    p99_bound_ms: float
    drain: float
    retries: int
    refine: int
    probe_rate: float
    budget: float
    server_pid: int
    postmaster_pid: int | None = None
    more_server_pids: list[int] = field(default_factory=list)  # a split daemon's jobs process
    dsn: str | None = None
    warmup_rate: float = 5.0
    warmup_seconds: float = 2.0
    idle_seconds: float = 3.0
    quiet: float = 10.0
    graph_latency: float = 0.0
    """Seconds each send waits for the simulator's answer (``timing.send_latency``)."""


@dataclass
class Phase:
    kind: str  # "warm-up", "ladder", "retry", "refine" or "probe"
    rate: float
    sent: int = 0
    acked: int = 0
    echoed: int = 0
    in_bound: int = 0
    duplicates: int = 0
    late: int = 0  # echoes of an earlier phase's messages that arrived during this one
    strays: int = 0  # echoes matching no message of this run
    max_lag_ms: float = 0.0
    p50_ms: float = math.inf
    p99_ms: float = math.inf
    max_ms: float = math.inf
    drain_s: float | None = None  # from the last message's due time to drained
    deferred_jobs: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # Graph API errors, by code
    server_cpu_s: float = 0.0
    pg_cpu_s: float = 0.0
    sim_cpu_s: float = 0.0
    sustained: bool = False
    latencies: list[float] = field(default_factory=list, repr=False)

    def cpu_ms_per_echo(self, seconds: float) -> float:
        return seconds * 1000 / self.echoed if self.echoed else math.nan

    def line(self, side: str) -> str:
        verdict = "sustained" if self.sustained else "FELL BEHIND"
        if self.kind in ("warm-up", "probe"):
            verdict = self.kind
        drain = "never" if self.drain_s is None else f"{self.drain_s:5.1f} s"
        return (
            f"{side:6s} {self.rate:5.0f}/s  sent {self.sent:5d}  acked {self.acked:5d}  "
            f"echoed {self.echoed:5d} ({self.in_bound} in bound)  dup {self.duplicates}  "
            f"late {self.late}  stray {self.strays}  echo p50 {self.p50_ms:7.1f} ms  "
            f"p99 {self.p99_ms:7.1f} ms  max {self.max_ms:7.1f} ms  drained {drain}  "
            f"cpu ms/echo: server {self.cpu_ms_per_echo(self.server_cpu_s):5.2f}  "
            f"pg {self.cpu_ms_per_echo(self.pg_cpu_s):5.2f}  "
            f"sim {self.cpu_ms_per_echo(self.sim_cpu_s):5.2f}  {verdict}"
            + (f"  Graph API errors {self.rejected}" if self.rejected else "")
            + (f"  {self.deferred_jobs} queued rows deferred" if self.deferred_jobs else "")
        )


def stalled(phase: Phase) -> bool:
    """The side drained and echoed every message in the end: late, not lost."""
    return phase.drain_s is not None and phase.echoed >= phase.sent


def nearest_rank(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return math.inf
    return sorted_values[max(1, math.ceil(fraction * len(sorted_values))) - 1]


class Side:
    def __init__(self, spec: Spec, sim: Simulator, db: Connection | None) -> None:
        self.spec = spec
        self.sim = sim
        self.db = db
        self.cursor = len(sim.store.outbound_log)
        # Text of every message not yet echoed -> (its phase, its due time, its customer).
        self.expected: dict[str, tuple[Phase, float, str]] = {}
        self.answered: dict[str, Phase] = {}
        self.phases: list[Phase] = []
        self.current: Phase | None = None

    def cpu(self) -> tuple[float, float, float]:
        pg = self.spec.postmaster_pid
        return (
            sum(cpu_seconds(p) for p in (self.spec.server_pid, *self.spec.more_server_pids)),
            cpu_seconds(pg) if pg else 0.0,
            cpu_seconds(os.getpid()),
        )

    def scan(self) -> None:
        """Match the echoes that arrived since the last scan to the messages they answer."""
        log = self.sim.store.outbound_log
        current = self.current
        assert current is not None
        while self.cursor < len(log):
            out = log[self.cursor]
            self.cursor += 1
            text_obj = out.body.get("text")
            text = text_obj.get("body") if isinstance(text_obj, dict) else None
            if not isinstance(text, str):
                current.strays += 1
                continue
            pending = self.expected.pop(text, None)
            if pending is None:
                if text in self.answered:
                    self.answered[text].duplicates += 1
                else:
                    current.strays += 1
                continue
            phase, due, customer = pending
            self.answered[text] = phase
            if out.to != customer:
                current.strays += 1  # an echo to the wrong customer is no echo
                continue
            if phase is not current:
                current.late += 1
                continue
            phase.echoed += 1
            phase.latencies.append((out.received_at - due) * 1000)

    def waiting(self, phase: Phase) -> int:
        return phase.sent - phase.echoed

    async def run_phase(self, kind: str, rate: float, seconds: float) -> Phase:
        spec = self.spec
        loop = asyncio.get_running_loop()
        phase = Phase(kind, rate)
        self.current = phase
        serial = len(self.phases)
        self.phases.append(phase)
        n = max(1, round(rate * seconds))
        customers = max(10, int(rate))
        ids: list[str] = []
        before = self.cpu()
        rejected_before = dict(self.sim.store.rejections)
        start = loop.time() + 0.05
        for i in range(n):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # the open-loop schedule itself
            phase.max_lag_ms = max(phase.max_lag_ms, (loop.time() - due) * 1000)
            customer = f"{CUSTOMER_PREFIX}{i % customers:07d}"
            text = f"where is my order {spec.side}.{serial}.{i}?"
            # Registered before it is sent: an echo can't arrive before its message is known.
            self.expected[text] = (phase, due, customer)
            request = CustomerMessage.model_validate(
                {
                    "type": "text",
                    "text": {"body": text},
                    "phone_number_id": spec.phone_number_id,
                }
            )
            ids.append(self.sim.customer_send(customer, request))
            phase.sent += 1
        last_due = start + (n - 1) / rate
        deadline = last_due + spec.drain
        # Every echo, or the deadline, or (a server that dropped messages) nothing left anywhere
        # that could still become an echo: no echo for ``quiet`` seconds, every webhook
        # acknowledged and nothing due in the daemon's queues.
        seen, progress = phase.echoed, loop.time()
        while True:
            self.scan()
            now = loop.time()
            if phase.echoed != seen:
                seen, progress = phase.echoed, now
            if not self.waiting(phase) or now > deadline:
                break
            if now > last_due and now - progress > spec.quiet and await self.settled():
                break
            await asyncio.sleep(0.02)
        # Drained: the echoes' status callbacks are due within the simulator's read delay.
        await asyncio.sleep(0.3)
        drained = await self.drain(deadline)
        self.scan()
        if drained:
            phase.drain_s = loop.time() - last_due
        after = self.cpu()
        phase.server_cpu_s, phase.pg_cpu_s, phase.sim_cpu_s = (
            b - a for a, b in zip(before, after, strict=True)
        )
        phase.rejected = {
            str(code): count - rejected_before.get(code, 0)
            for code, count in self.sim.store.rejections.items()
            if count > rejected_before.get(code, 0)
        }
        inbound = self.sim.store.inbound
        phase.acked = sum(1 for m in ids if inbound[m].acked_at is not None)
        lat = sorted(phase.latencies)
        # Missing echoes count as infinitely late.
        everything = lat + [math.inf] * (phase.sent - len(lat))
        phase.in_bound = sum(1 for v in lat if v <= spec.p99_bound_ms)
        phase.p50_ms = nearest_rank(everything, 0.50)
        phase.p99_ms = nearest_rank(everything, 0.99)
        phase.max_ms = everything[-1] if everything else math.inf
        phase.sustained = (
            phase.acked == phase.sent and phase.p99_ms <= spec.p99_bound_ms and drained
        )
        if self.db is not None:
            phase.deferred_jobs = sum((await deferred(self.db)).values())
        print(phase.line(spec.side), file=sys.stderr, flush=True)
        return phase

    async def settled(self) -> bool:
        if self.sim.delivery.pending():
            return False
        return self.db is None or not any((await backlog(self.db)).values())

    async def drain(self, deadline: float) -> bool:
        """Every webhook acknowledged and (with a database) nothing due in the work queues."""
        loop = asyncio.get_running_loop()
        while True:
            remaining = deadline - loop.time()
            if self.sim.delivery.pending() == 0:
                if self.db is None:
                    return True
                took = await wait_drained(self.db, max(remaining, 0.0))
                if took is None:
                    return False
                # Processing the queues may have caused more callbacks (or echoes).
                if self.sim.delivery.pending() == 0:
                    return True
            if remaining <= 0:
                return False
            await asyncio.sleep(0.05)

    async def idle(self, seconds: float) -> dict[str, float]:
        """CPU used per second with no load at all (timers, pollers, autovacuum): the floor
        under every phase's figures, which weighs most at the lowest rates."""
        before = self.cpu()
        await asyncio.sleep(seconds)
        after = self.cpu()
        idle = {
            name: (b - a) * 1000 / seconds
            for name, a, b in zip(("server", "pg", "sim"), before, after, strict=True)
        }
        print(
            f"{self.spec.side:6s} idle: cpu ms/s server {idle['server']:.1f}  "
            f"pg {idle['pg']:.1f}  sim {idle['sim']:.1f}",
            file=sys.stderr,
            flush=True,
        )
        return idle

    async def attempts(self, kind: str, rate: float, started: float) -> Phase | None:
        """One rung, run again (``retries``) after a stall; None once the budget is spent."""
        spec = self.spec
        loop = asyncio.get_running_loop()
        last: Phase | None = None
        for attempt in range(1 + spec.retries):
            if loop.time() - started + spec.seconds + 5 > spec.budget:
                return None
            last = await self.run_phase("retry" if attempt else kind, rate, spec.seconds)
            # A retry is for a stall on a shared machine (everything echoed, some late), not
            # for a server that lost messages or never drained.
            if last.sustained or not stalled(last):
                break
        return last

    async def refine(
        self, best: float, stopped_at: float, last: Phase, started: float
    ) -> tuple[float, float, Phase, bool]:
        """Halve the gap between the highest rung passed and the first one failed, ``refine``
        times: the top of the ladder is a third apart, too coarse to compare two runs by."""
        for _ in range(self.spec.refine):
            middle = float(round((best + stopped_at) / 2))
            if middle in (best, stopped_at):
                break
            phase = await self.attempts("refine", middle, started)
            if phase is None:
                return best, stopped_at, last, True
            last = phase
            if last.sustained:
                best = middle
            else:
                stopped_at = middle
                if not stalled(last):
                    break
        return best, stopped_at, last, False

    async def ladder(self) -> dict[str, Any]:
        spec = self.spec
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self.run_phase("warm-up", spec.warmup_rate, spec.warmup_seconds)
        idle = await self.idle(spec.idle_seconds)
        best = 0.0
        stopped_at: float | None = None
        out_of_budget = False
        last: Phase | None = None
        for rate in spec.rates:
            phase = await self.attempts("ladder", rate, started)
            if phase is None:
                out_of_budget = True
                break
            last = phase
            if not last.sustained:
                stopped_at = rate
                break
            best = rate
        # Like a retry, a refinement follows a stall (drained, everything echoed in the end),
        # never a loss: a server that dropped messages may not be itself for the next phase.
        if stopped_at is not None and best and last is not None and stalled(last):
            best, stopped_at, last, out_of_budget = await self.refine(
                best, stopped_at, last, started
            )
        if out_of_budget:
            print(f"{spec.side}: time budget of {spec.budget:.0f} s spent", file=sys.stderr)
        probe_ran = spec.probe_rate in [p.rate for p in self.phases if p.kind != "warm-up"]
        if (
            not probe_ran
            and spec.probe_rate
            and stopped_at is not None
            and stopped_at < spec.probe_rate
            and last is not None
            and last.drain_s is not None
            and loop.time() - started + spec.seconds + 5 <= spec.budget
        ):
            await self.run_phase("probe", spec.probe_rate, spec.seconds)
        phases = []
        for p in self.phases:
            row = asdict(p)
            del row["latencies"]
            phases.append(row)
        return {
            "idle_cpu_ms_per_s": idle,
            "side": spec.side,
            "max_rate": best,
            "out_of_budget": out_of_budget,
            "phases": phases,
        }


def bench_simulator_config(
    *,
    port: int,
    webhook_url: str,
    app_secret: str,
    phone_number_id: str,
    waba_id: str,
    token: str,
    send_latency: float = 0.0,
) -> SimulatorConfig:
    """Meta as the benchmarks want it: one number at Meta's top tier (1,000 messages/s, so no
    side is held back by its limit), statuses within 0.2 s, every message read; each send
    answered after ``send_latency`` (``--graph-latency-ms``; at once by default)."""
    return SimulatorConfig.model_validate(
        {
            "host": "127.0.0.1",
            "port": port,
            "webhook_url": webhook_url,
            "app_secret": app_secret,
            "numbers": [
                {
                    "phone_number_id": phone_number_id,
                    "waba_id": waba_id,
                    "access_token": token,
                    "throughput_mps": 1000,
                }
            ],
            "timing": {
                "sent_delay": 0.05,
                "delivered_delay": 0.1,
                "read_delay": 0.2,
                "read_probability": 1.0,
                "send_latency": send_latency,
            },
            "pair_rate_limit": {"burst": 1000, "interval": 6.0},
            "delivery": {"concurrency": 128},
        }
    )


async def run(spec: Spec) -> dict[str, Any]:
    config = bench_simulator_config(
        port=spec.port,
        webhook_url=spec.webhook_url,
        app_secret=spec.app_secret,
        phone_number_id=spec.phone_number_id,
        waba_id=spec.waba_id,
        token=spec.access_token,
        send_latency=spec.graph_latency,
    )
    sim = Simulator(config)
    await sim.start()
    db = await connect(spec.dsn) if spec.dsn else None
    try:
        return await Side(spec, sim, db).ladder()
    finally:
        if db is not None:
            await db.close()
        await sim.stop()


def main() -> None:
    spec = Spec(**json.loads(sys.argv[1]))
    report = asyncio.run(run(spec))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
