"""Flow engine benchmark: routing plus one step per inbound message, with 10,000 concurrent
active sessions, in process against a real PostgreSQL (embedded unless PYTAKE_TEST_* are set).

Every session waits in an ``ask``; each measured message answers it, which runs the answer's
step, a ``set_variable`` and the ``ask`` again (whose question is queued in the outbox). Three
figures per message, all measured in this run:

- ``total``: ``FlowRunner.process_message`` end to end (lock, route, load the session, run the
  engine, write steps/session/outbox, commit);
- ``baseline``: the same transaction shape with no engine or routing logic (the same
  statements, including a real ``queue_message``), i.e. what the database alone costs;
- ``engine``: the engine alone for the same step, in memory (no I/O).

``overhead = total - baseline`` is the flow engine's own time per message on the live path.

    .venv/bin/python bench/flows.py [--sessions 10000] [--messages 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from harness import bench_stack, percentile
from redis.asyncio import Redis

from pytake_daemon.attendance.reopen import reopen_batch
from pytake_daemon.config import FlowsSettings
from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.db.pool import Pool, connect, create_pool, set_tenant, tenant_transaction
from pytake_daemon.flows import db as flows_db
from pytake_daemon.flows import service, step_db
from pytake_daemon.flows.compiled import CompiledFlow, CompiledFlows
from pytake_daemon.flows.engine import Facts, FlowEngine, Inbound, SessionState
from pytake_daemon.flows.http_call import FlowHttp, HttpPolicy
from pytake_daemon.flows.routing import PublishedFlows
from pytake_daemon.flows.runner import FlowRunner
from pytake_daemon.flows.testing import RecordingEffects
from pytake_daemon.flows.transfer import RecordedTransfer
from pytake_daemon.jobs.runner import JobRunner
from pytake_daemon.protocol.flows import FlowDocument, FlowTestScript
from pytake_daemon.protocol.outgoing import SendMessageRequest, TextOut
from pytake_daemon.protocol.whatsapp import NumberCreate
from pytake_daemon.realtime.bus import EventBus
from pytake_daemon.realtime.hub import Hub
from pytake_daemon.whatsapp.numbers import add_number
from pytake_daemon.whatsapp.secretbox import SecretBox
from pytake_daemon.whatsapp.send_service import queue_message
from tests.support import with_user

FLOW = FlowDocument.model_validate(
    {
        "name": "bench",
        "definition": {
            "nodes": [
                {"id": "start", "type": "trigger_universal"},
                {"id": "q", "type": "ask", "question": "Mais alguma coisa?", "variable": "v"},
                {"id": "count", "type": "set_variable", "variable": "last", "value": "{{v}}"},
            ],
            "edges": [
                {"source": "start", "target": "q"},
                {"source": "q", "target": "count"},
                {"source": "count", "target": "q"},
            ],
        },
    }
)

_CONTACTS = """
INSERT INTO contacts (tenant_id, wa_id, profile_name)
SELECT $1, (551100000000 + g)::text, 'Cliente ' || g FROM generate_series(1, $2) g
"""
_CONVERSATIONS = """
INSERT INTO conversations (tenant_id, number_id, contact_id, last_inbound_at)
SELECT $1, $2, id, now() FROM contacts WHERE tenant_id = $1
"""
_SESSIONS = """
INSERT INTO flow_sessions (tenant_id, conversation_id, flow_id, flow_version, current_node,
                           waiting, wait_token, next_seq, expires_at)
SELECT $1, id, $2, 1, 'q', 'ask', 1, 3, now() + interval '1 day'
  FROM conversations WHERE tenant_id = $1
"""
_MESSAGES = """
INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text, status)
SELECT $1, c.id, 'in', 'text', '{"body": "resposta"}'::jsonb, 'resposta', 'received'
  FROM (SELECT id FROM conversations WHERE tenant_id = $1 ORDER BY random() LIMIT $2) c
RETURNING id, conversation_id
"""


async def baseline_once(
    pool: Pool, tenant_id: uuid.UUID, conversation_id: uuid.UUID, message_id: uuid.UUID, n: int
) -> None:
    """The live transaction's statements without the engine and the routing decisions."""
    async with tenant_transaction(pool, tenant_id) as conn:
        await flows_db.lock_conversation(conn, conversation_id)
        await conversations_db.get_conversation(conn, conversation_id)
        await conversations_db.get_messages(conn, [message_id])
        await flows_db.mark_processed(conn, message_id, None)
        session = await flows_db.active_session(conn, conversation_id)
        assert session is not None
        async with conn.transaction():
            queued = await queue_message(
                conn,
                conversation_id,
                SendMessageRequest(
                    content=TextOut(body="Mais alguma coisa?"), idempotency_key=f"base:{n}"
                ),
                sent_by=None,
                now=session["updated_at"],
            )
        step = {
            "seq": 10_000 + n,
            "node_id": "q",
            "node_type": "ask",
            "input": "resposta",
            "output": None,
            "variables": {"v": "resposta"},
            "branch": "next",
            "duration_ms": 0.01,
            "error": None,
            "at": "2030-01-01T00:00:00Z",
        }
        save = step_db.SessionSave(
            session["id"],
            new=None,
            steps=[step, {**step, "seq": 20_000 + n}, {**step, "seq": 30_000 + n}],
            current_node="q",
            waiting="ask",
            attempts=0,
            wait_token=session["wait_token"],
            next_seq=session["next_seq"],
            variables={"v": "resposta"},
            expires_at=session["expires_at"],
            end_reason=None,
        )
        await step_db.save_sessions(conn, [save])
        await conversations_db.get_messages(conn, [queued.message_id])
        await conversations_db.get_conversation(conn, conversation_id)


async def engine_only(flow: CompiledFlow, rounds: int) -> list[float]:
    effects = RecordingEffects(FlowTestScript.model_validate({"steps": [{"say": "x"}]}), None)
    facts = Facts("c", "open", "Ana", "5511", True, datetime.now(UTC))
    out = []
    for _ in range(rounds):
        state = SessionState(current_node="q", waiting="ask", wait_token=1, next_seq=3)
        started = time.perf_counter()
        await FlowEngine(flow, state, facts, effects).receive(Inbound("resposta"))
        out.append((time.perf_counter() - started) * 1000)
        effects.transcript.clear()
    return out


def stats(name: str, values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    median = statistics.median(ordered)
    p99 = percentile(ordered, 0.99)
    print(f"{name:>9}: median {median:.3f} ms  p99 {p99:.3f} ms  (n={len(values)})")
    return {"median": median, "p99": p99}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=2_000)
    args = parser.parse_args()

    with bench_stack("ptf-") as bench:
        tenant_id = bench.tenant.id

        async def run() -> dict[str, dict[str, float]]:
            admin = await connect(bench.admin_dsn)
            async with admin.transaction():
                await set_tenant(admin, tenant_id)
                number = await add_number(
                    admin,
                    SecretBox([Fernet.generate_key()]),
                    NumberCreate(
                        phone_number_id="1065403522429",
                        waba_id="1022901293403",
                        access_token="EAAGbench",
                        app_secret="s" * 16,
                        verify_token="v",
                    ),
                )
                await admin.execute(_CONTACTS, tenant_id, args.sessions)
                await admin.execute(_CONVERSATIONS, tenant_id, number.id)
                flow = await service.create_flow(admin, FLOW)
                await service.publish(admin, flow.id, 1)
                await admin.execute(_SESSIONS, tenant_id, flow.id)
                measured = await admin.fetch(_MESSAGES, tenant_id, args.messages)
                base = await admin.fetch(_MESSAGES, tenant_id, args.messages)
            await admin.execute("ANALYZE")
            await admin.close()
            print(f"{args.sessions} active sessions waiting in an ask; {len(measured)} messages")

            pool = await create_pool(with_user(bench.admin_dsn, "pytake_app"), max_size=4)
            redis = Redis.from_url(bench.redis_url)
            bus = EventBus(pool, redis, Hub(queue_size=16), channel="bench", subscriber=redis)
            runner = FlowRunner(
                pool,
                JobRunner(pool),
                bus,
                settings=FlowsSettings(),
                published=PublishedFlows(CompiledFlows()),
                http=FlowHttp(HttpPolicy([]), default_timeout=1, max_response_bytes=1024),
                transfer=RecordedTransfer(),
                reopen=reopen_batch,
                on_sent=lambda: None,
            )
            warm = 50
            totals: list[float] = []
            baselines: list[float] = []
            # Interleaved, so both see the same cache and machine state.
            for n, (live, bare) in enumerate(zip(measured, base, strict=True)):
                started = time.perf_counter()
                outcome = await runner.process_message(
                    tenant_id, live["conversation_id"], live["id"]
                )
                elapsed = (time.perf_counter() - started) * 1000
                assert outcome == "continued", outcome
                started = time.perf_counter()
                await baseline_once(pool, tenant_id, bare["conversation_id"], bare["id"], n)
                bare_elapsed = (time.perf_counter() - started) * 1000
                if n >= warm:
                    totals.append(elapsed)
                    baselines.append(bare_elapsed)
            compiled = CompiledFlow(flow.id, 1, FLOW.definition)
            engine = await engine_only(compiled, len(totals))
            async with tenant_transaction(pool, tenant_id) as conn:
                active = await conn.fetchval(
                    "SELECT count(*) FROM flow_sessions WHERE status = 'active'"
                )
            assert active == args.sessions, active
            await redis.aclose()
            await pool.close()
            print()
            return {
                "total": stats("total", totals),
                "baseline": stats("baseline", baselines),
                "engine": stats("engine", engine),
            }

        figures = asyncio.run(run())
    overhead = figures["total"]["median"] - figures["baseline"]["median"]
    print(f" overhead: {overhead:.3f} ms per message (total - baseline, medians)")
    print(
        f"RESULT flows sessions={args.sessions} messages={args.messages} "
        f"total_median_ms={figures['total']['median']:.3f} "
        f"total_p99_ms={figures['total']['p99']:.3f} "
        f"baseline_median_ms={figures['baseline']['median']:.3f} "
        f"baseline_p99_ms={figures['baseline']['p99']:.3f} "
        f"overhead_median_ms={overhead:.3f} "
        f"engine_median_ms={figures['engine']['median']:.3f} "
        f"engine_p99_ms={figures['engine']['p99']:.3f}"
    )


if __name__ == "__main__":
    main()
