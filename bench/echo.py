"""End to end echo: a customer's message through the webhook, committed, routed to a flow that
answers, sent through the outbox, accepted by the simulator, and its sent/delivered/read
callbacks processed — next to a minimal echo bot written with pywa (on its FastAPI server, its
Graph API pointed at the same simulator) under the same load, in the same run.

Each system gets open-loop loads at rising rates (`--rates`) from `pytake simulate load` (a
separate process playing Meta). A rate counts as sustained when every message was echoed back
to the simulator by the time a short drain after the load ends (`--drain`): a system that falls
behind has echoes still queued then. pywa answers 200 before running its handler, so echoes are
counted, not acknowledgements. Final line: `RESULT echo pytake_max_rate=… pywa_max_rate=… …`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from harness import ROOT, bench_stack, free_port, wait_ready

PHONE_ID = "100000000000001"
WABA_ID = "200000000000001"
TOKEN = "sim-access-token"
SECRET = "sim-app-secret"
THROUGHPUT = 1000  # Meta's top tier, so neither side is held back by the number's limit

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

SIM_CONFIG = f"""
app_secret = "{SECRET}"
[[numbers]]
phone_number_id = "{PHONE_ID}"
waba_id = "{WABA_ID}"
access_token = "{TOKEN}"
throughput_mps = {THROUGHPUT}
[timing]
sent_delay = 0.05
delivered_delay = 0.1
read_delay = 0.2
read_probability = 1.0
[pair_rate_limit]
burst = 1000
interval = 6.0
[delivery]
concurrency = 128
"""


def load(
    sim_port: int, webhook: str, rate: float, seconds: float, drain: float, config: Path
) -> dict[str, Any]:
    customers = max(10, int(rate))
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pytake_cli.main import run; run()",
            "simulate",
            "load",
            "--port",
            str(sim_port),
            "--webhook-url",
            webhook,
            "--config",
            str(config),
            "--customers",
            str(customers),
            "--rate",
            str(rate),
            "--duration",
            str(seconds),
            "--drain-timeout",
            str(drain),
            "--expect-replies",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"simulate load failed: {out.stderr.strip()[-500:]}")
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def sweep(
    name: str,
    sim_port: int,
    webhook: str,
    rates: list[float],
    args: argparse.Namespace,
    config: Path,
) -> tuple[float, list[str]]:
    best = 0.0
    lines = []
    for rate in rates:
        report = load(sim_port, webhook, rate, args.seconds, args.drain, config)
        sent, echoed = report["sent"], report["outbound_received"]
        sustained = echoed >= sent and report["unacknowledged"] == 0
        lines.append(
            f"{name:7s} {rate:7.0f}/s offered  sent {sent:6d}  acked {report['acknowledged']:6d}  "
            f"echoed {echoed:6d}  ack p99 {report['ack_latency_ms']['p99'] or 0:7.1f} ms  "
            f"echo p50 {report['reply_latency_ms']['p50'] or 0:7.1f} ms "
            f"p99 {report['reply_latency_ms']['p99'] or 0:7.1f} ms  "
            f"{'sustained' if sustained else 'FELL BEHIND'}"
        )
        print(lines[-1], flush=True)
        if not sustained:
            break
        best = rate
    return best, lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="100,200,400,600,800,1000,1200")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--drain", type=float, default=5.0)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    from pytake_daemon.db.pool import connect, set_tenant
    from pytake_daemon.protocol import Role
    from pytake_daemon.protocol.whatsapp import NumberCreate
    from pytake_daemon.whatsapp.numbers import add_number
    from pytake_daemon.whatsapp.secretbox import SecretBox

    key = Fernet.generate_key()
    config = Path(tempfile.mkdtemp(prefix="pte-")) / "sim.toml"
    config.write_text(SIM_CONFIG)
    with bench_stack("pte-") as bench:

        async def configure() -> None:
            conn = await connect(bench.admin_dsn)
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
            await conn.close()

        asyncio.run(configure())
        sim_port, app_port, bot_port = free_port(), free_port(), free_port()
        bench.spawn_daemon(
            app_port,
            PYTAKE_WHATSAPP__SECRETS_KEY=key.decode(),
            PYTAKE_WHATSAPP__GRAPH_BASE_URL=f"http://127.0.0.1:{sim_port}",
            PYTAKE_WHATSAPP__SEND_WORKERS="64",
        )
        app = f"http://127.0.0.1:{app_port}"
        admin = bench.tenant[Role.ADMIN].headers

        async def publish_flow() -> None:
            await wait_ready(f"{app}/readyz")
            async with aiohttp.ClientSession(headers=admin) as session:
                async with session.post(f"{app}/api/v1/flows", json=ECHO_FLOW) as resp:
                    created = await resp.json()
                    assert resp.status == 201, created
                async with session.post(
                    f"{app}/api/v1/flows/{created['id']}/publish", json={}
                ) as resp:
                    assert resp.status == 200, await resp.text()

        asyncio.run(publish_flow())
        ours, our_lines = sweep(
            "pytake", sim_port, f"{app}/api/v1/whatsapp/webhook", rates, args, config
        )
        bench.spawn(
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
        theirs, their_lines = sweep(
            "pywa", sim_port, f"http://127.0.0.1:{bot_port}/webhook", rates, args, config
        )

    print()
    for line in our_lines + their_lines:
        print(line)
    ratio = ours / theirs if theirs else float("inf")
    print(
        f"RESULT echo pytake_max_rate={ours:.0f} pywa_max_rate={theirs:.0f} ratio={ratio:.2f} "
        f"seconds_per_rate={args.seconds:.0f} drain_s={args.drain:.0f}"
    )


if __name__ == "__main__":
    main()
