"""Replicas on one machine: how webhook throughput grows from one daemon to two behind the same
PostgreSQL and Redis, and how many WebSocket clients one daemon serves with every event on time
(docs/scaling.md's two figures that were design only).

Both phases run in one process tree on one machine, in the same run:

- throughput: two ``pytake daemon`` processes with the same settings and secrets key. A closed
  loop of ``--concurrency`` clients sends signed webhooks (bench/ingest.py's) to one replica,
  then, after the work behind them drained, the same number of clients split between both
  replicas. ``ratio`` is two replicas' acknowledged/s over one's (2.0 would be linear; on a
  machine whose cores the one replica already used, it can't be);
- WebSocket clients: ``K`` consoles (the admin's session) on one replica for each ``K`` of
  ``--clients``; ``--ws-messages`` customer messages are sent at ``--ws-rate``/s and each
  client records when each message's ``message_received`` event reached it. A step passes when
  no client was dropped and at least 99 % of (client, message) pairs arrived within
  ``--bound`` seconds of the webhook's acknowledgement; ``ws_clients`` is the largest step
  that passed.

Every acknowledged webhook must be stored once at the end, or the run is void.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from dataclasses import dataclass, field

import aiohttp
from harness import (
    add_webhook_number,
    bench_stack,
    free_port,
    percentile,
    stored_messages,
    wait_drained,
    wait_ready,
)
from ingest import PATH, PHONE_ID, SECRET, WABA_ID, Result, _post, notification

from pytake_daemon.protocol import MessageReceived, Role, parse_server_event

ON_TIME_SHARE = 0.99


async def split_saturation(
    urls: list[str], bodies: list[tuple[bytes, str]], concurrency: int
) -> Result:
    """bench/ingest.py's closed loop, its clients spread over ``urls`` (client i → i mod n)."""
    latencies: list[float] = []
    acked = 0
    queue = iter(bodies)

    async def worker(session: aiohttp.ClientSession, url: str) -> None:
        nonlocal acked
        for raw, sig in queue:
            started = time.perf_counter()
            if await _post(session, url, raw, sig):
                acked += 1
                latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(
            *(worker(session, urls[i % len(urls)] + PATH) for i in range(concurrency))
        )
        elapsed = time.perf_counter() - started
    return Result(len(bodies), acked, elapsed, latencies)


@dataclass
class Console:
    """One WebSocket client: when each customer message (by its order number) reached it."""

    expected: int
    everything: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once every message sent in the step has reached it."""
    arrived: dict[int, float] = field(default_factory=dict)

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            event = parse_server_event(msg.data).event
            if isinstance(event, MessageReceived):
                number = event.message.text.rsplit("#", 1)[-1]
                if number.isdigit():
                    self.arrived.setdefault(int(number), time.perf_counter())
                    if len(self.arrived) >= self.expected:
                        self.everything.set()


@dataclass
class Step:
    clients: int
    on_time: float
    """Share of (client, message) pairs delivered within the bound."""
    dropped: int
    p99_s: float
    acked: int

    def passed(self) -> bool:
        return self.dropped == 0 and self.on_time >= ON_TIME_SHARE


async def ws_step(
    url: str,
    headers: dict[str, str],
    clients: int,
    bodies: list[tuple[bytes, str]],
    first: int,
    rate: float,
    bound: float,
) -> Step:
    ws_url = url.replace("http://", "ws://") + "/api/v1/ws"
    consoles = [Console(len(bodies)) for _ in range(clients)]
    acked_at: dict[int, float] = {}
    connector = aiohttp.TCPConnector(limit=clients + 64)
    async with aiohttp.ClientSession(connector=connector) as session:
        sockets = [await session.ws_connect(ws_url, headers=headers) for _ in range(clients)]
        for ws in sockets:
            await ws.receive(timeout=30)  # the Hello
        readers = [asyncio.create_task(c.read(ws)) for c, ws in zip(consoles, sockets, strict=True)]

        async def send(number: int, raw: bytes, sig: str, due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))  # the offered schedule
            if await _post(session, url + PATH, raw, sig):
                acked_at[number] = time.perf_counter()

        start = time.perf_counter()
        await asyncio.gather(
            *(send(first + i, raw, sig, start + i / rate) for i, (raw, sig) in enumerate(bodies))
        )
        # Bounded: what has not arrived one bound after the last acknowledgement is late.
        deadline = max(acked_at.values(), default=time.perf_counter()) + bound
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(c.everything.wait() for c in consoles)),
                max(0.0, deadline - time.perf_counter()),
            )
        # A reader that ended before the bench closed its socket: the server cut it off.
        dropped = sum(1 for reader in readers if reader.done())
        for ws in sockets:
            await ws.close()
        for reader in readers:
            reader.cancel()
    delays = sorted(
        c.arrived[n] - acked_at[n] for c in consoles for n in acked_at if n in c.arrived
    )
    pairs = clients * len(acked_at)
    on_time = sum(1 for d in delays if d <= bound) / pairs if pairs else 0.0
    p99 = percentile(delays, 0.99) if delays else float("nan")
    return Step(clients, on_time, dropped, p99, len(acked_at))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000, help="per throughput phase")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--clients", default="50,100,200,400,800", help="WebSocket steps")
    parser.add_argument("--ws-messages", type=int, default=200, help="per WebSocket step")
    parser.add_argument("--ws-rate", type=float, default=20.0, help="messages/s")
    parser.add_argument("--bound", type=float, default=2.0, help="seconds, event on time")
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument(
        "--quick", action="store_true", help="a check that it runs, not a measurement"
    )
    args = parser.parse_args()
    if args.quick:
        args.requests, args.concurrency, args.clients, args.ws_messages = 200, 8, "2,4", 10
    steps = [int(k) for k in args.clients.split(",")]

    from cryptography.fernet import Fernet

    from pytake_daemon.db.pool import connect

    key = Fernet.generate_key()
    with bench_stack("ptrp-") as bench:
        asyncio.run(
            add_webhook_number(
                bench, key, phone_number_id=PHONE_ID, waba_id=WABA_ID, app_secret=SECRET
            )
        )
        ports = [free_port(), free_port()]
        for port in ports:
            # One key for both: a replica refuses to be ready with secrets it can't decrypt.
            bench.spawn_daemon(port, PYTAKE_WHATSAPP__SECRETS_KEY=key.decode())
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        bodies = [notification(i) for i in range(2 * args.requests + 200)]
        ws_bodies = [notification(len(bodies) + i) for i in range(args.ws_messages * len(steps))]
        headers = bench.tenant[Role.ADMIN].headers

        async def measure() -> tuple[Result, Result, Result, list[Step]]:
            db = await connect(bench.admin_dsn)
            try:
                for url in urls:
                    await wait_ready(f"{url}/readyz")

                async def drained(after: str) -> None:
                    took = await wait_drained(db, args.drain_timeout)
                    said = "NOT within the timeout" if took is None else f"{took:.1f} s"
                    print(f"drained after {after}: {said}", file=sys.stderr, flush=True)

                warm = await split_saturation(urls, bodies[:200], 8)  # both replicas
                await drained("warm-up")
                one = await split_saturation(
                    urls[:1], bodies[200 : 200 + args.requests], args.concurrency
                )
                await drained("one replica")
                two = await split_saturation(urls, bodies[200 + args.requests :], args.concurrency)
                await drained("two replicas")
                results = []
                for n, clients in enumerate(steps):
                    chunk = ws_bodies[n * args.ws_messages : (n + 1) * args.ws_messages]
                    first = len(bodies) + n * args.ws_messages
                    step = await ws_step(
                        urls[0], headers, clients, chunk, first, args.ws_rate, args.bound
                    )
                    results.append(step)
                    print(
                        f"{clients:5d} clients: {step.on_time * 100:6.2f} % on time, "
                        f"p99 {step.p99_s * 1000:8.1f} ms, {step.dropped} dropped",
                        flush=True,
                    )
                    await drained(f"{clients} clients")
                    if not step.passed():
                        break
                return warm, one, two, results
            finally:
                await db.close()

        warm, one, two, ws_steps = asyncio.run(measure())

        in_db = asyncio.run(stored_messages(bench.admin_dsn))

    print(one.line("one replica"))
    print(two.line("two replicas"))
    acked = warm.acked + one.acked + two.acked + sum(s.acked for s in ws_steps)
    print(f"stored {in_db} messages for {acked} acknowledged webhooks")
    if in_db != acked:
        raise SystemExit("stored count differs from acknowledged count: run void")
    served = max((s.clients for s in ws_steps if s.passed()), default=0)
    fields = [
        f"one_rps={one.rps:.0f}",
        f"two_rps={two.rps:.0f}",
        f"ratio={two.rps / one.rps:.2f}",
        f"ws_clients={served}",
        f"ws_bound_s={args.bound:g}",
        f"ws_rate={args.ws_rate:g}",
        f"requests={args.requests}",
        f"concurrency={args.concurrency}",
    ]
    print("RESULT replicas " + " ".join(fields))


if __name__ == "__main__":
    main()
