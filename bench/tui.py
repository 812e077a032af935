"""The queue monitor under load, headless: 10,000 waiting items and a stream of queue events.

Two child processes get the same seeded event stream at ``--rate`` events/s (open loop, latency
counted from each event's scheduled time) and the same keypresses (``down``/``up`` every 100 ms):

- ``monitor``: the real app (``PyTakeApp`` on an in-memory tenant, the supervisor's ``f4``);
  an event's latency ends when the frame that shows it has been drawn;
- ``baseline``: a bare Textual app with two DataTables that applies each event the moment it
  arrives (``add_row``/``remove_row``/``update_cell``), measured the same way.

Each child reports its p50/p95/p99 event-to-frame and keypress-to-frame latencies, peak RSS and
CPU time per event; the final line is ``RESULT tui …`` with the monitor's ratios to the baseline.
Run: ``.venv/bin/python bench/tui.py [--waiting 10000] [--rate 200] [--seconds 10]``
(``--child monitor`` runs one child alone and prints its figures)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from harness import percentile  # puts the repository root on the path for the imports below
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from pytake_daemon.protocol import ServerEvent
from pytake_daemon.protocol.ai import (
    ConversationMoodOut,
    MessageAnalysisOut,
    MessageAnalyzed,
)
from pytake_daemon.protocol.queues import (
    ItemStatus,
    QueueItemChanged,
    QueueItemOut,
    Transition,
)
from pytake_tui.messages import EventReceived
from pytake_tui.screens.queue_monitor import Pending, QueueMonitorScreen
from tests.tui.queue_monitor_support import QueueWorld, envelope, queue_app

QUEUES = [uuid.UUID(int=0xA000 + n) for n in range(4)]
SIZE = (200, 50)
KEY_INTERVAL = 0.1
LABELS = ("negative", "neutral", "positive")


@dataclass
class Load:
    """The tenant at the start and the events that follow, the same for both children."""

    world: QueueWorld
    events: list[ServerEvent] = field(default_factory=list)


def build_load(waiting: int, count: int, seed: int) -> Load:
    rng = random.Random(seed)
    world = QueueWorld()
    for n, queue_id in enumerate(QUEUES):
        world.add_queue(queue_id, f"Queue {n + 1}")
    for n in range(4):
        world.add_agent(uuid.UUID(int=0xB000 + n), f"Agent {n + 1}", "online", 0, 10_000)
    numbers = iter(range(1, 1_000_000))
    line: list[QueueItemOut] = []
    for _ in range(waiting):
        n = next(numbers)
        line.append(
            world.add_item(
                n,
                rng.choice(QUEUES),
                f"Customer {n}",
                waited=timedelta(seconds=waiting - n + 60),
                sentiment=rng.choice((None, *LABELS)),
            )
        )
    load = Load(world)
    active: list[QueueItemOut] = []
    agents = list(world.agents)
    for _ in range(count):
        roll = rng.random()
        if roll < 0.45 or not line:  # a customer enters
            n = next(numbers)
            item = QueueWorld(now=world.now).add_item(
                n, rng.choice(QUEUES), f"Customer {n}", waited=timedelta(0)
            )
            line.append(item)
            load.events.append(QueueItemChanged(transition=Transition.ENTERED, item=item))
        elif roll < 0.8:  # one is served (mostly from the front of the line)
            item = line.pop(min(len(line) - 1, int(rng.expovariate(1 / 50))))
            taken = item.model_copy(
                update={
                    "status": ItemStatus.ASSIGNED,
                    "agent_id": rng.choice(agents),
                    "assigned_at": world.now,
                }
            )
            active.append(taken)
            load.events.append(QueueItemChanged(transition=Transition.ASSIGNED, item=taken))
        elif roll < 0.9 and active:  # an attendance ends
            done = active.pop(rng.randrange(len(active)))
            ended = done.model_copy(update={"status": ItemStatus.COMPLETED, "ended_at": world.now})
            load.events.append(QueueItemChanged(transition=Transition.COMPLETED, item=ended))
        else:  # the AI reads a waiting customer's message
            target = rng.choice(line)
            load.events.append(_analysed(target, rng.choice(LABELS), world))
    return load


def _analysed(item: QueueItemOut, label: str, world: QueueWorld) -> MessageAnalyzed:
    score = {"negative": -0.8, "neutral": 0.0, "positive": 0.7}[label]
    return MessageAnalyzed(
        analysis=MessageAnalysisOut(
            message_id=uuid.uuid4(),
            conversation_id=item.conversation_id,
            language="en",
            sentiment=score,
            sentiment_label=label,
            intent="unknown",
            intent_confidence=0.5,
            analyzed_at=world.now,
        ),
        mood=ConversationMoodOut(
            conversation_id=item.conversation_id,
            language="en",
            score=score,
            label=label,
            trend=0.0,
            messages=1,
        ),
    )


@dataclass
class Measure:
    expected: int
    events: list[float] = field(default_factory=list)
    keys: list[float] = field(default_factory=list)
    all_shown: asyncio.Event = field(default_factory=asyncio.Event)
    cpu_seconds: float = 0.0
    """The child's CPU time from the first event until the last was shown (or the timeout)."""

    def shown(self, latency: float) -> None:
        self.events.append(latency)
        if len(self.events) >= self.expected:
            self.all_shown.set()

    def summary(self, load_ms: float) -> dict[str, float]:
        events, keys = sorted(self.events), sorted(self.keys)
        result: dict[str, float] = {"load_ms": round(load_ms, 1), "events": len(events)}
        for name, values, quantiles in (("event", events, (50, 95, 99)), ("key", keys, (50, 95))):
            for q in quantiles:
                result[f"{name}_p{q}_ms"] = round(percentile(values, q / 100) * 1000, 2)
        result["cpu_ms_per_event"] = round(self.cpu_seconds * 1000 / max(1, self.expected), 3)
        result["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return result


def _cursor(app: App[Any]) -> object:
    """The focused table's cursor row (a key moves it)."""
    return getattr(app.focused, "cursor_row", None)


async def _after_refresh(app: App[Any]) -> None:
    """Resolves once the screen has been refreshed after this point."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def resolve() -> None:
        if not done.done():
            done.set_result(None)

    # Not ``done.set_result``: Textual runs inspect.signature on every callback, and for a
    # builtin that parses its text signature (≈0.3 ms, added to the app being measured).
    app.screen.call_after_refresh(resolve)
    await done


# --- the monitor ------------------------------------------------------------------------------


async def run_monitor(load: Load, rate: float) -> dict[str, float]:
    app = queue_app(Path(tempfile.mkdtemp(prefix="pytake-bench-tui-")), load.world)
    measure = Measure(expected=len(load.events))
    async with app.run_test(size=SIZE) as pilot:
        while app.client is None:
            await pilot.pause()
        began = time.perf_counter()
        await pilot.press("f4")
        screen = app.screen
        while not (
            isinstance(screen, QueueMonitorScreen)
            and screen.loaded
            and len(screen.board.waiting) == len(load.world.items)
        ):
            await asyncio.sleep(0.01)
            screen = app.screen
        await _after_refresh(app)
        load_ms = (time.perf_counter() - began) * 1000
        assert isinstance(screen, QueueMonitorScreen)
        due: dict[int, float] = {}

        def on_paint(batch: Pending) -> None:
            now = time.perf_counter()
            for _, event in batch:
                measure.shown(now - due[id(event)])

        screen.paint_listener = on_paint
        envelopes = [envelope(n + 2, event) for n, event in enumerate(load.events)]

        def post(n: int, event: ServerEvent) -> None:
            app.post_message(EventReceived(envelopes[n]))

        # The envelope's event is a validated copy: key the schedule by what the screen sees.
        events = [e.event for e in envelopes]
        start = time.perf_counter() + 0.05
        due.update({id(event): start + n / rate for n, event in enumerate(events)})
        await _drive_from(start, post, app, events, rate, measure)
    return measure.summary(load_ms)


async def _drive_from(
    start: float,
    post: Callable[[int, ServerEvent], None],
    app: App[Any],
    events: list[ServerEvent],
    rate: float,
    measure: Measure,
) -> None:
    async def feed() -> None:
        for n, event in enumerate(events):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            post(n, event)

    async def keys() -> None:
        end = start + len(events) / rate
        n = 0
        while time.perf_counter() < end:
            await asyncio.sleep(KEY_INTERVAL)
            before = _cursor(app)
            began = time.perf_counter()
            # Down ten, up ten; never against the top, where the cursor can't move.
            down = n % 20 < 10 or not before
            app.simulate_key("down" if down else "up")
            # Frames until one shows the cursor moved (the key waits in the app's queue first).
            await _after_refresh(app)
            while _cursor(app) == before and time.perf_counter() - began < 10:
                await _after_refresh(app)
            measure.keys.append(time.perf_counter() - began)
            n += 1

    cpu = time.process_time()
    await asyncio.gather(feed(), keys())
    with contextlib.suppress(TimeoutError):  # a run that can't keep up reports what it showed
        await asyncio.wait_for(measure.all_shown.wait(), timeout=30)
    measure.cpu_seconds = time.process_time() - cpu


# --- the baseline -----------------------------------------------------------------------------


class BareTables(App[None]):
    """Two DataTables fed one event at a time, nothing else."""

    def compose(self) -> ComposeResult:
        yield DataTable(id="waiting", cursor_type="row")
        yield DataTable(id="active", cursor_type="row")

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            for key in ("contact", "queue", "priority", "wait", "mood"):
                table.add_column(key, key=key, width=12)


def _cells(item: QueueItemOut) -> list[str]:
    return [
        item.contact_name or "",
        str(item.queue_id)[-4:],
        str(int(item.priority)),
        str(item.wait_seconds),
        item.sentiment or "",
    ]


async def run_baseline(load: Load, rate: float) -> dict[str, float]:
    app = BareTables()
    measure = Measure(expected=len(load.events))
    async with app.run_test(size=SIZE):
        began = time.perf_counter()
        waiting: DataTable[str] = app.query_one("#waiting", DataTable)
        active: DataTable[str] = app.query_one("#active", DataTable)
        by_conversation: dict[uuid.UUID, str] = {}
        for item in load.world.items.values():
            waiting.add_row(*_cells(item), key=str(item.id))
            by_conversation[item.conversation_id] = str(item.id)
        waiting.focus()
        await _after_refresh(app)
        load_ms = (time.perf_counter() - began) * 1000
        start = time.perf_counter() + 0.05

        def apply(n: int, event: ServerEvent) -> None:
            match event:
                case QueueItemChanged(item=item):
                    key = str(item.id)
                    for table in (waiting, active):
                        if key in table.rows:
                            table.remove_row(key)
                    if item.status is ItemStatus.WAITING:
                        waiting.add_row(*_cells(item), key=key)
                        by_conversation[item.conversation_id] = key
                    elif item.status is ItemStatus.ASSIGNED:
                        active.add_row(*_cells(item), key=key)
                case MessageAnalyzed(mood=mood):
                    key = by_conversation[mood.conversation_id]
                    if key in waiting.rows:
                        waiting.update_cell(key, "mood", mood.label)

            def shown() -> None:
                measure.shown(time.perf_counter() - (start + n / rate))

            app.screen.call_after_refresh(shown)

        await _drive_from(start, apply, app, load.events, rate, measure)
    return measure.summary(load_ms)


# --- the parent -------------------------------------------------------------------------------


def child(kind: str, args: argparse.Namespace) -> None:
    load = build_load(args.waiting, int(args.rate * args.seconds), args.seed)
    runner = run_monitor if kind == "monitor" else run_baseline
    result = asyncio.run(runner(load, args.rate))
    print("CHILD " + json.dumps(result), flush=True)


def spawn(kind: str, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    for name in ("waiting", "rate", "seconds", "seed"):
        command += [f"--{name}", str(getattr(args, name))]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("CHILD "))
    result: dict[str, float] = json.loads(line.removeprefix("CHILD "))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=("monitor", "baseline"))
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    baseline, monitor = spawn("baseline", args), spawn("monitor", args)
    print(f"{args.waiting} waiting items, {args.rate:g} events/s for {args.seconds:g} s")
    print(
        f"{'':10} {'load':>9} {'ev p50':>8} {'ev p95':>8} {'ev p99':>8} {'key p95':>8} {'RSS':>8}"
        f" {'CPU/event':>10}"
    )
    for name, r in (("baseline", baseline), ("monitor", monitor)):
        print(
            f"{name:10} {r['load_ms']:>7.0f}ms {r['event_p50_ms']:>6.1f}ms "
            f"{r['event_p95_ms']:>6.1f}ms {r['event_p99_ms']:>6.1f}ms {r['key_p95_ms']:>6.1f}ms "
            f"{r['rss_mb']:>6.1f}MB {r['cpu_ms_per_event']:>8.3f}ms"
        )

    def ratio(key: str) -> float:
        return round(monitor[key] / baseline[key], 2) if baseline[key] else float("nan")

    figures = ("event_p95_ms", "key_p95_ms", "rss_mb", "cpu_ms_per_event")
    print(
        f"RESULT tui waiting={args.waiting} rate={args.rate:g} "
        + " ".join(f"{key}={monitor[key]}" for key in figures)
        + " "
        + " ".join(f"baseline_{key}={baseline[key]}" for key in figures)
        + f" event_ratio={ratio('event_p95_ms')} key_ratio={ratio('key_p95_ms')} "
        f"rss_ratio={ratio('rss_mb')} cpu_ratio={ratio('cpu_ms_per_event')}"
    )


if __name__ == "__main__":
    main()
