"""WebSocket event order with two replicas: two ``pytake daemon`` processes on one PostgreSQL and
one Redis, one WebSocket client (the tenant's admin, who may see every event) on each, and
customer messages arriving through a round-robin webhook proxy in front of both replicas.

Each tenant's events are numbered (``seq``) in the transaction that causes them and reach a
replica's clients either directly (its own commits) or through Redis (the other replica's); the
per-tenant ordering point (``pytake_daemon/realtime/ordering.py``) should hand them to clients in
order. This script counts, per client, what a real client would see:

- ``events``: envelopes received after the Hello;
- ``out_of_order``: an envelope whose seq is lower than one already received (not seen before);
- ``duplicates``: a seq received twice;
- ``stale``: a seq not above the Hello's (old news, dropped by clients);
- ``resyncs_needed``: envelopes whose seq skips ahead of the highest so far + 1 — a client can't
  know the missing ones will still come, so it resyncs through the REST API on each — plus one
  if the server closed the connection (it reconnects and resyncs);
- ``dropped``: the server closed the connection (1013 "too slow": its queue of frames for that
  client overflowed); everything after it then counts as one gap;
- ``gaps`` / ``missing``: ranges of numbers (and how many numbers) between the Hello and the
  tenant's final seq that never arrived at all.

The clients run in processes of their own (``--listen``), so the load generator's work never
delays their reads.

The load: ``--messages`` customer text messages from ``--customers`` customers, open loop at
``--rate`` per second, sent by one simulator (Meta) whose webhooks go through the proxy,
alternately to each replica; a published echo flow (``trigger_universal`` → ``msg_text``, as in
``echo.py``) answers each one, both replicas send through the same simulator, and its
sent/delivered/read callbacks go through the proxy too. So the stream holds message received,
message sent and status events from both replicas at once. After the last message the script
waits until the daemons' queues are drained (``harness.wait_drained``), every webhook was
acknowledged and both clients have everything up to the tenant's final seq (or were quiet for
``--quiet`` seconds), then prints one line per client and
``RESULT order replicas=2 messages=N events=E out_of_order=K gaps=G resyncs_needed=R …``
(counts summed over both clients).

Run: ``.venv/bin/python bench/order.py [--messages 1800] [--rate 150] [--customers 100]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from aiohttp import WSMsgType, web
from cryptography.fernet import Fernet
from echo import PHONE_ID, SECRET, TOKEN, WABA_ID, configure, publish_flow
from echo_side import bench_simulator_config
from harness import Bench, bench_stack, free_port, wait_drained, wait_ready

from pytake_daemon.db.pool import Connection, connect, set_tenant
from pytake_daemon.protocol import Hello, Role, parse_server_event
from pytake_simulator import Simulator
from pytake_simulator.customer_messages import CustomerMessage

CUSTOMER_PREFIX = "1999"  # + 7 digits


@dataclass
class Client:
    """One WebSocket connection's view of the tenant's event stream."""

    name: str
    hello_seq: int = -1
    seqs: list[int] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    closed: str | None = None
    details: list[str] = field(default_factory=list)

    def report(self, final_seq: int) -> dict[str, int]:
        seen: set[int] = set()
        first_at: dict[int, float] = {}  # seq -> when it (or the first number above it) came
        highest = self.hello_seq
        out_of_order = duplicates = stale = resyncs = 0
        for seq, at in zip(self.seqs, self.arrived, strict=True):
            if seq <= self.hello_seq:
                stale += 1
            elif seq in seen:
                duplicates += 1
            elif seq < highest:
                out_of_order += 1
                late_ms = (at - first_at[highest]) * 1000
                self.details.append(f"{seq} after {highest} ({late_ms:.0f} ms later)")
            elif seq > highest + 1:
                resyncs += 1
                self.details.append(f"skip {highest} -> {seq}")
            seen.add(seq)
            first_at.setdefault(seq, at)
            highest = max(highest, seq)
        gaps = missing = 0
        in_gap = False
        for seq in range(self.hello_seq + 1, final_seq + 1):
            if seq not in seen:
                missing += 1
                gaps += not in_gap
                in_gap = True
            else:
                in_gap = False
        dropped = int(self.closed is not None)  # the server closed it (1013: too slow)
        return {
            "events": len(self.seqs),
            "out_of_order": out_of_order,
            "duplicates": duplicates,
            "stale": stale,
            "resyncs_needed": resyncs + dropped,
            "dropped": dropped,
            "gaps": gaps,
            "missing": missing,
        }


async def listen(url: str, token: str) -> None:
    """The client process (``--listen URL``, the token in ``ORDER_TOKEN``): its own event loop,
    so the load generator's work never delays its reads. Prints ``hello SEQ``, then a status line
    every 0.2 s, and everything it received as JSON once its stdin closes."""
    loop = asyncio.get_running_loop()
    client = Client("listener")
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    headers = {"Authorization": f"Bearer {token}"}

    async def receive(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            env = parse_server_event(msg.data)
            client.seqs.append(env.seq)
            client.arrived.append(loop.time())
            client.kinds[env.event.type] += 1
        client.closed = f"closed {ws.close_code}"

    async def status() -> None:
        while True:
            await asyncio.sleep(0.2)
            distinct = len({s for s in client.seqs if s > client.hello_seq})
            age = loop.time() - (client.arrived[-1] if client.arrived else 0.0)
            print(f"status {distinct} {age:.3f}", flush=True)

    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.ws_connect(url, heartbeat=20) as ws,
    ):
        first = await ws.receive(timeout=30)
        assert first.type is WSMsgType.TEXT, first
        hello = parse_server_event(first.data)
        assert isinstance(hello.event, Hello), hello
        client.hello_seq = hello.seq
        print(f"hello {hello.seq}", flush=True)
        tasks = [asyncio.create_task(receive(ws)), asyncio.create_task(status())]
        await stdin.read()  # until the parent closes our stdin
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    # Not dataclasses.asdict: it rebuilds a Counter from (key, count) pairs, counting the pairs.
    fields = {**vars(client), "kinds": dict(client.kinds)}
    print("done " + json.dumps(fields), flush=True)


class Listener:
    """The parent's handle on one client process."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc
        self.hello_seq = -1
        self.distinct = 0
        self.quiet_for = 0.0
        self.result: Client | None = None
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, name: str, url: str, token: str) -> Listener:
        env = {**os.environ, "ORDER_TOKEN": token}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--listen",
            url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            limit=1 << 26,
        )
        self = cls(name, proc)
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        if not line.startswith("hello "):
            raise SystemExit(f"{name}: the client didn't get a Hello ({line!r})")
        self.hello_seq = int(line.split()[1])
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := (await self.proc.stdout.readline()).decode():
            kind, _, rest = line.partition(" ")
            if kind == "status":
                distinct, age = rest.split()
                self.distinct, self.quiet_for = int(distinct), float(age)
            elif kind == "done":
                raw = json.loads(rest)
                raw["kinds"] = Counter(raw["kinds"])
                self.result = Client(**raw)

    async def finish(self) -> Client:
        assert self.proc.stdin is not None
        assert self._reader is not None
        self.proc.stdin.close()
        await asyncio.wait_for(self._reader, 60)
        await self.proc.wait()
        if self.result is None:
            raise SystemExit(f"{self.name}: the client process reported nothing")
        self.result.name = self.name
        return self.result


async def start_proxy(targets: list[str]) -> tuple[web.AppRunner, int, Counter[int]]:
    """A round-robin load balancer for the webhook: each POST goes to the next replica."""
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    turn = 0
    sent: Counter[int] = Counter()

    async def forward(request: web.Request) -> web.Response:
        nonlocal turn
        index = turn % len(targets)
        turn += 1
        sent[index] += 1
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "x-hub-signature-256", "x-hub-signature")
        }
        try:
            async with session.post(targets[index], data=body, headers=headers) as resp:
                return web.Response(status=resp.status, body=await resp.read())
        except (aiohttp.ClientError, TimeoutError):
            return web.Response(status=502)

    async def close_session(_: web.Application) -> None:
        await session.close()

    app = web.Application()
    app.router.add_post("/webhook", forward)
    app.on_cleanup.append(close_session)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port, sent


def simulator(port: int, webhook_url: str) -> Simulator:
    return Simulator(
        bench_simulator_config(
            port=port,
            webhook_url=webhook_url,
            app_secret=SECRET,
            phone_number_id=PHONE_ID,
            waba_id=WABA_ID,
            token=TOKEN,
        )
    )


async def final_seq(conn: Connection, bench: Bench) -> int:
    async with conn.transaction():
        await set_tenant(conn, bench.tenant.id)
        seq: int | None = await conn.fetchval("SELECT current_event_seq()")
    return seq or 0


async def run(args: argparse.Namespace, bench: Bench, apps: list[str], sim_port: int) -> int:
    loop = asyncio.get_running_loop()
    runner, proxy_port, per_replica = await start_proxy(
        [f"{app}/api/v1/whatsapp/webhook" for app in apps]
    )
    sim = simulator(sim_port, f"http://127.0.0.1:{proxy_port}/webhook")
    await sim.start()
    db = await connect(bench.admin_dsn)
    token = bench.tenant[Role.ADMIN].token
    listeners: list[Listener] = []
    try:
        for i, app in enumerate(apps):
            ws_url = app.replace("http://", "ws://") + "/api/v1/ws"
            listeners.append(await Listener.start(f"replica{i + 1}", ws_url, token))
        print(
            "clients connected: "
            + ", ".join(f"{c.name} hello seq {c.hello_seq}" for c in listeners),
            file=sys.stderr,
        )
        started = loop.time()
        ids: list[str] = []
        max_lag = 0.0
        for i in range(args.messages):
            due = started + i / args.rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            max_lag = max(max_lag, loop.time() - due)
            customer = f"{CUSTOMER_PREFIX}{i % args.customers:07d}"
            request = CustomerMessage.model_validate(
                {
                    "type": "text",
                    "text": {"body": f"where is my order {i}?"},
                    "phone_number_id": PHONE_ID,
                }
            )
            ids.append(sim.customer_send(customer, request))
        sent_s = loop.time() - started
        print(
            f"sent {len(ids)} messages in {sent_s:.1f} s (max lag {max_lag * 1000:.0f} ms)",
            file=sys.stderr,
        )
        # Drained: every webhook acknowledged, nothing due in the queues, and then both clients
        # hold everything up to the tenant's final seq, or nothing came for --quiet seconds.
        deadline = loop.time() + args.drain
        drained_after: float | None = None
        while loop.time() < deadline:
            if sim.delivery.pending() == 0:
                took = await wait_drained(db, max(0.0, deadline - loop.time()))
                if took is not None and sim.delivery.pending() == 0:
                    drained_after = loop.time() - started - sent_s
                    break
            await asyncio.sleep(0.1)
        last = await final_seq(db, bench)
        while loop.time() < deadline:
            last = await final_seq(db, bench)
            await asyncio.sleep(0.3)  # a fresh status line from each client
            complete = all(c.distinct >= last - c.hello_seq for c in listeners)
            quiet = all(c.quiet_for > args.quiet for c in listeners)
            if complete or quiet:
                break
        acked = sum(1 for m in ids if sim.store.inbound[m].acked_at is not None)
        echoes = len(sim.store.outbound_log)
        print(
            f"acked {acked}/{len(ids)}, echoes sent {echoes}, webhook POSTs per replica "
            f"{[per_replica[i] for i in range(len(apps))]}, "
            + (
                f"drained {drained_after:.1f} s after the last message"
                if drained_after is not None
                else f"NOT drained within {args.drain:.0f} s"
            )
            + f", final seq {last}",
            file=sys.stderr,
        )
        clients = [await listener.finish() for listener in listeners]
        totals: Counter[str] = Counter()
        for client in clients:
            rep = client.report(last)
            totals.update(rep)
            expected = last - client.hello_seq
            print(
                f"{client.name}: hello {client.hello_seq}  expected {expected}  "
                + "  ".join(f"{k} {v}" for k, v in rep.items())
                + f"  {client.closed or 'open'}  kinds {dict(client.kinds.most_common())}",
                file=sys.stderr,
            )
            if client.details:
                shown = client.details[:10]
                more = f" (+{len(client.details) - 10} more)" if len(client.details) > 10 else ""
                print(f"  {client.name}: " + "; ".join(shown) + more, file=sys.stderr)
        fields = [
            f"replicas={len(apps)}",
            f"messages={args.messages}",
            f"events={totals['events']}",
            f"out_of_order={totals['out_of_order']}",
            f"gaps={totals['gaps']}",
            f"resyncs_needed={totals['resyncs_needed']}",
            f"missing={totals['missing']}",
            f"duplicates={totals['duplicates']}",
            f"clients_dropped={totals['dropped']}",
            f"stale={totals['stale']}",
            f"final_seq={last}",
            f"acked={acked}",
            f"echoes={echoes}",
            f"rate={args.rate:g}",
            f"drained={'yes' if drained_after is not None else 'no'}",
        ]
        print("RESULT order " + " ".join(fields))
        return 0 if acked == len(ids) and drained_after is not None else 1
    finally:
        for listener in listeners:
            if listener.proc.returncode is None:
                listener.proc.kill()
                await listener.proc.wait()
        await db.close()
        await sim.stop()
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1800)
    parser.add_argument("--rate", type=float, default=150.0, help="messages/s, open loop")
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--drain", type=float, default=90.0, help="max s to drain at the end")
    parser.add_argument("--quiet", type=float, default=3.0, help="s without frames = done")
    parser.add_argument("--daemon-log-level", default="warning")
    parser.add_argument("--listen", metavar="URL", help=argparse.SUPPRESS)  # a client process
    args = parser.parse_args()
    if args.listen:
        asyncio.run(listen(args.listen, os.environ["ORDER_TOKEN"]))
        return
    wall = time.monotonic()
    key = Fernet.generate_key()
    with bench_stack("pto-") as bench:
        configure(bench, key, 0)
        sim_port = free_port()
        apps: list[str] = []
        for replica in (1, 2):
            port = free_port()
            bench.spawn_daemon(
                port,
                PYTAKE_STATE_DIR=str(bench.root / f"state{replica}"),
                PYTAKE_WHATSAPP__SECRETS_KEY=key.decode(),
                PYTAKE_WHATSAPP__GRAPH_BASE_URL=f"http://127.0.0.1:{sim_port}",
                PYTAKE_WHATSAPP__SEND_WORKERS="64",
                PYTAKE_LOGGING__LEVEL=args.daemon_log_level,
            )
            apps.append(f"http://127.0.0.1:{port}")
        for app in apps:
            asyncio.run(wait_ready(f"{app}/readyz"))
        for proc in bench.procs:
            if proc.poll() is not None:
                raise SystemExit(f"a replica exited at start (exit {proc.returncode})")
        publish_flow(apps[0], bench.tenant[Role.ADMIN].headers)
        code = asyncio.run(run(args, bench, apps, sim_port))
    print(f"wall {time.monotonic() - wall:.0f} s", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
