"""End to end echo: a customer's message through the webhook, committed, routed to a flow that
answers, sent through the outbox, accepted by the simulator, and its sent/delivered/read
callbacks processed — next to a minimal echo bot written with pywa (on its FastAPI server, its
Graph API pointed at a simulator of its own) under the same load, in the same run.

Each side gets its own simulator process (``echo_side.py``: Meta plus the load generator) and
climbs the same rate ladder from a low rate upward, one side after the other (PyTake's daemon is
stopped before the bot starts). Echoes are matched to the message they answer, once each; every
phase ends with the side drained. See ``echo_side.py`` for what a phase is and what
"sustained" means, and bench/README.md for the figures. With ``--history N`` the tenant holds N
older messages (``history.py``) before the daemon starts. Final line:
``RESULT echo pytake_max_rate=… pywa_max_rate=… ratio=… pytake_cpu_ms_per_echo=… …``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from harness import (
    PG_STATS_SETTINGS,
    ROOT,
    Bench,
    bench_stack,
    free_port,
    postmaster_pid,
    print_statement_stats,
    reset_statement_stats,
    wait_ready,
)
from history import preload

PHONE_ID = "100000000000001"
WABA_ID = "200000000000001"
TOKEN = "sim-access-token"
SECRET = "sim-app-secret"
THROUGHPUT = 1000  # Meta's top tier, so neither side is held back by the number's limit

RATES = "10,20,40,60,80,100,150,200,300,400,600,800,1000"
QUICK_RATES = "10,40,80,150,300,600"

ECHO_FLOW = {
    "name": "echo",
    "description": "Answers every message with its own text.",
    "definition": {
        "nodes": [
            {"id": "start", "type": "trigger_universal"},
            {"id": "echo", "type": "msg_text", "text": "{{message.text}}"},
        ],
        "edges": [{"source": "start", "target": "echo"}],
    },
}


def run_side(
    args: argparse.Namespace,
    side: str,
    port: int,
    webhook_url: str,
    server_pid: int,
    pg_pid: int | None,
    dsn: str | None,
    more_pids: list[int] | None = None,
) -> dict[str, Any]:
    spec = {
        "side": side,
        "port": port,
        "webhook_url": webhook_url,
        "phone_number_id": PHONE_ID,
        "waba_id": WABA_ID,
        "access_token": TOKEN,
        "app_secret": SECRET,
        "rates": [float(r) for r in args.rates.split(",")],
        "seconds": args.seconds,
        "p99_bound_ms": args.p99_bound_ms,
        "drain": args.drain,
        "retries": args.retries,
        "refine": args.refine,
        "probe_rate": args.probe_rate,
        "budget": args.budget,
        "server_pid": server_pid,
        "postmaster_pid": pg_pid,
        "dsn": dsn,
        "more_server_pids": more_pids or [],
        "graph_latency": args.graph_latency_ms / 1000,
    }
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("echo_side.py")), json.dumps(spec)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
        cwd=ROOT,
        # The side keeps to its budget; this only catches a hung process.
        timeout=args.budget + args.drain + 120,
    )
    if out.returncode != 0:
        raise SystemExit(f"{side}: echo_side.py failed (exit {out.returncode})")
    report: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


def configure(bench: Bench, key: bytes, history: int) -> tuple[int | None, float]:
    """The number (and the history, when asked); the postmaster's pid for CPU accounting."""
    from pytake_daemon.db.pool import connect, set_tenant
    from pytake_daemon.protocol.whatsapp import NumberCreate
    from pytake_daemon.whatsapp.numbers import add_number
    from pytake_daemon.whatsapp.secretbox import SecretBox

    async def go() -> tuple[int | None, float]:
        conn = await connect(bench.admin_dsn)
        try:
            async with conn.transaction():
                await set_tenant(conn, bench.tenant.id)
                await add_number(
                    conn,
                    SecretBox([key]),
                    NumberCreate(
                        phone_number_id=PHONE_ID,
                        waba_id=WABA_ID,
                        access_token=TOKEN,
                        app_secret=SECRET,
                        verify_token="v",
                        throughput_mps=THROUGHPUT,
                    ),
                )
            loaded = 0.0
            if history:
                number_id: uuid.UUID = await conn.fetchval(
                    "SELECT id FROM whatsapp_numbers WHERE phone_number_id = $1", PHONE_ID
                )
                loaded = await preload(conn, bench.tenant.id, number_id, history)
            return await postmaster_pid(conn), loaded
        finally:
            await conn.close()

    return asyncio.run(go())


def publish_flow(app: str, headers: dict[str, str]) -> None:
    async def go() -> None:
        await wait_ready(f"{app}/readyz")
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.post(f"{app}/api/v1/flows", json=ECHO_FLOW) as resp:
                created = await resp.json()
                assert resp.status == 201, created
            async with session.post(f"{app}/api/v1/flows/{created['id']}/publish", json={}) as resp:
                assert resp.status == 200, await resp.text()

    asyncio.run(go())


def best_phase(report: dict[str, Any]) -> dict[str, Any] | None:
    """The last sustained ladder phase at the side's highest sustained rate."""
    rows = [
        p
        for p in report["phases"]
        if p["sustained"] and p["kind"] != "warm-up" and p["rate"] == report["max_rate"]
    ]
    return rows[-1] if rows else None


def at_rate(report: dict[str, Any], rate: float) -> dict[str, Any] | None:
    rows = [p for p in report["phases"] if p["kind"] != "warm-up" and p["rate"] == rate]
    return rows[-1] if rows else None


def per_echo(phase: dict[str, Any] | None, *keys: str) -> float:
    if phase is None or not phase["echoed"]:
        return math.nan
    cpu = float(sum(phase[k] for k in keys))
    return cpu * 1000 / int(phase["echoed"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default=None, help=f"the ladder, echoes/s (default {RATES})")
    parser.add_argument("--seconds", type=float, default=None, help="per rung (default 10)")
    parser.add_argument("--p99-bound-ms", type=float, default=1000.0)
    parser.add_argument("--drain", type=float, default=90.0, help="max s to drain after a rung")
    parser.add_argument("--retries", type=int, default=1, help="re-runs of a failed rung")
    parser.add_argument(
        "--refine",
        type=int,
        default=1,
        help="phases that halve the gap between the last rung passed and the first failed",
    )
    parser.add_argument("--probe-rate", type=float, default=100.0)
    parser.add_argument("--budget", type=float, default=300.0, help="s per side, at most")
    parser.add_argument("--history", type=int, default=0, help="messages preloaded")
    parser.add_argument(
        "--graph-latency-ms",
        type=float,
        default=0.0,
        help="how long each side's simulator takes to answer a send (Meta: a few hundred ms)",
    )
    parser.add_argument("--quick", action="store_true", help=f"ladder {QUICK_RATES}, 3 s rungs")
    parser.add_argument("--only", choices=("pytake", "pywa"), help="run one side")
    parser.add_argument("--daemon-log-level", default="warning", help="e.g. info, to diagnose")
    parser.add_argument(
        "--split", action="store_true", help="PyTake as a web and a jobs process (jobs niced)"
    )
    parser.add_argument("--jobs-nice", default="10", help="the jobs process's nice with --split")
    parser.add_argument(
        "--console",
        action="store_true",
        help="a supervisor's console open on PyTake's tenant (a WebSocket reading every event)",
    )
    parser.add_argument(
        "--pg-stats",
        type=int,
        default=0,
        metavar="N",
        help="load pg_stat_statements; print the N statements PyTake's side spent most on",
    )
    args = parser.parse_args()
    args.rates = args.rates or (QUICK_RATES if args.quick else RATES)
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    started = time.monotonic()

    key = Fernet.generate_key()
    reports: dict[str, dict[str, Any]] = {}
    loaded = 0.0
    with bench_stack("pte-", PG_STATS_SETTINGS if args.pg_stats else ()) as bench:
        pg_pid, loaded = configure(bench, key, args.history)
        if args.pg_stats:
            asyncio.run(reset_statement_stats(bench.admin_dsn))
        if pg_pid is None:
            print("PostgreSQL is not local: its CPU is not counted", file=sys.stderr)
        from pytake_daemon.protocol import Role

        if args.only != "pywa":
            sim_port, app_port = free_port(), free_port()
            env = {
                "PYTAKE_WHATSAPP__SECRETS_KEY": key.decode(),
                "PYTAKE_WHATSAPP__GRAPH_BASE_URL": f"http://127.0.0.1:{sim_port}",
                "PYTAKE_LOGGING__LEVEL": args.daemon_log_level,
            }
            role = {"PYTAKE_SERVER__ROLE": "web"} if args.split else {}
            daemon = bench.spawn_daemon(app_port, **env, **role)
            jobs = []
            if args.split:
                jobs_port = free_port()
                jobs.append(
                    bench.spawn_daemon(
                        jobs_port,
                        **env,
                        PYTAKE_SERVER__ROLE="jobs",
                        PYTAKE_SERVER__NICE=args.jobs_nice,
                    )
                )
                asyncio.run(wait_ready(f"http://127.0.0.1:{jobs_port}/readyz"))
            app = f"http://127.0.0.1:{app_port}"
            publish_flow(app, bench.tenant[Role.ADMIN].headers)
            consoles = []
            if args.console:
                # Its CPU is the console's, not PyTake's: it is not among the counted pids.
                consoles.append(
                    bench.spawn(
                        [
                            sys.executable,
                            str(Path(__file__).with_name("console_reader.py")),
                            f"ws://127.0.0.1:{app_port}/api/v1/ws",
                        ],
                        env={
                            **os.environ,
                            "PYTAKE_BENCH_TOKEN": bench.tenant[Role.SUPERVISOR].token,
                        },
                    )
                )
            reports["pytake"] = run_side(
                args,
                "pytake",
                sim_port,
                f"{app}/api/v1/whatsapp/webhook",
                daemon.pid,
                pg_pid,
                bench.admin_dsn,
                [j.pid for j in jobs],
            )
            for proc in (*consoles, daemon, *jobs):
                proc.terminate()
                proc.wait(timeout=60)
            if args.pg_stats:
                echoed = sum(p["echoed"] for p in reports["pytake"]["phases"])
                asyncio.run(print_statement_stats(bench.admin_dsn, echoed, "echo", args.pg_stats))

        if args.only != "pytake":
            sim_port, bot_port = free_port(), free_port()
            bot = bench.spawn(
                [
                    sys.executable,
                    str(Path(__file__).with_name("echo_pywa_bot.py")),
                    str(bot_port),
                    f"http://127.0.0.1:{sim_port}",
                    PHONE_ID,
                    TOKEN,
                    SECRET,
                ]
            )
            asyncio.run(wait_ready(f"http://127.0.0.1:{bot_port}/docs"))
            reports["pywa"] = run_side(
                args,
                "pywa",
                sim_port,
                f"http://127.0.0.1:{bot_port}/webhook",
                bot.pid,
                pg_pid,
                None,
            )
            bot.terminate()
            bot.wait(timeout=60)

    print()
    for side, report in reports.items():
        phases = report["phases"]
        duplicates = sum(p["duplicates"] for p in phases)
        strays = sum(p["strays"] for p in phases)
        print(
            f"{side}: sustained {report['max_rate']:.0f}/s; duplicates {duplicates}, "
            f"strays {strays} over {len(phases)} phases"
            + ("; time budget spent" if report["out_of_budget"] else "")
        )
    ours = reports.get("pytake", {}).get("max_rate", math.nan)
    theirs = reports.get("pywa", {}).get("max_rate", math.nan)
    ratio = ours / theirs if theirs else math.nan
    fields = [
        f"pytake_max_rate={ours:.0f}",
        f"pywa_max_rate={theirs:.0f}",
        f"ratio={ratio:.2f}",
    ]
    if "pytake" in reports:
        best = best_phase(reports["pytake"])
        probe = at_rate(reports["pytake"], args.probe_rate)
        idle = reports["pytake"]["idle_cpu_ms_per_s"]
        fields += [
            f"pytake_cpu_ms_per_echo={per_echo(best, 'server_cpu_s', 'pg_cpu_s'):.2f}",
            f"daemon_cpu_ms={per_echo(best, 'server_cpu_s'):.2f}",
            f"pg_cpu_ms={per_echo(best, 'pg_cpu_s'):.2f}",
            f"p99_ms_at_{args.probe_rate:.0f}={probe['p99_ms'] if probe else math.nan:.0f}",
            f"cpu_ms_per_echo_at_{args.probe_rate:.0f}="
            f"{per_echo(probe, 'server_cpu_s', 'pg_cpu_s'):.2f}",
            f"idle_cpu_ms_per_s={idle['server'] + idle['pg']:.0f}",
        ]
    if "pywa" in reports:
        best = best_phase(reports["pywa"])
        probe = at_rate(reports["pywa"], args.probe_rate)
        fields += [
            f"pywa_cpu_ms_per_echo={per_echo(best, 'server_cpu_s'):.2f}",
            f"pywa_p99_ms_at_{args.probe_rate:.0f}={probe['p99_ms'] if probe else math.nan:.0f}",
        ]
    fields += [
        f"history={args.history}",
        f"graph_latency_ms={args.graph_latency_ms:g}",
        f"history_load_s={loaded:.0f}",
        f"seconds_per_rate={args.seconds:g}",
        f"p99_bound_ms={args.p99_bound_ms:.0f}",
        f"wall_s={time.monotonic() - started:.0f}",
    ]
    if args.split:
        fields += ["split=1", f"jobs_nice={args.jobs_nice}"]
    print("RESULT echo " + " ".join(fields))


if __name__ == "__main__":
    main()
