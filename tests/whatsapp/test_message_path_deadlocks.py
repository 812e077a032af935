"""The message path never deadlocks: customers who share conversations write at once through the
real webhook (the writer's two tasks commit overlapping batches), an echo flow answers each
message inside the fan-out's transaction, the simulator's status callbacks come back through the
writer while the sender records acceptances, and on top of that the fan-out is run again by
hand on overlapping, shuffled batches of the same messages. PostgreSQL's deadlock counter for
the test database must not move, and every message is answered exactly once."""

from __future__ import annotations

import asyncio
import random
import uuid

from pytake_daemon.db.pool import Connection
from pytake_daemon.jobs.job import Job
from pytake_daemon.keys import DB_POOL, INGEST_FANOUT
from pytake_daemon.protocol import Role
from pytake_daemon.whatsapp.ingest import INGEST_JOB
from tests.ai.test_deadlocks import deadlocks
from tests.flows.builders import chain
from tests.queues.support import eventually
from tests.whatsapp.wa_support import SimulatedWorld, digits

CUSTOMERS = 6
ROUNDS = 5


async def test_overlapping_batches_on_the_whole_path_never_deadlock(
    simulated: SimulatedWorld, admin_conn: Connection
) -> None:
    api, sim, tenant = simulated.api, simulated.sim, simulated.tenant
    admin = tenant[Role.ADMIN].headers
    document = chain({"id": "echo", "type": "msg_text", "text": "eco: {{message.text}}"})
    resp = await api.post("/api/v1/flows", json=document, headers=admin)
    assert resp.status == 201, await resp.text()
    flow_id = (await resp.json())["id"]
    resp = await api.post(f"/api/v1/flows/{flow_id}/publish", json={}, headers=admin)
    assert resp.status == 200, await resp.text()

    pool = api.app[DB_POOL]
    fanout = api.app[INGEST_FANOUT]
    customers = [sim.customer(digits(12), name=f"Cliente {i}") for i in range(CUSTOMERS)]
    rng = random.Random(16)
    before = await deadlocks(admin_conn, pool)
    texts: list[str] = []
    for round_ in range(ROUNDS):
        order = customers[:]
        rng.shuffle(order)
        sent = [f"r{round_} c{customers.index(c)}" for c in order]
        texts += sent
        await asyncio.gather(*(c.send_text(t) for c, t in zip(order, sent, strict=True)))
        # The fan-out again, by hand, on shuffled overlapping batches of what is stored so far:
        # the same conversations in different orders, beside the daemon's own passes.

        async def stored_so_far(count: int = len(texts)) -> list[uuid.UUID]:
            rows = await admin_conn.fetch(
                "SELECT id FROM messages WHERE tenant_id = $1 AND direction = 'in'", tenant.id
            )
            return [row["id"] for row in rows] if len(rows) == count else []

        stored = await eventually(stored_so_far, what="the round stored", timeout=20)
        batches = [rng.sample(stored, k=max(1, len(stored) // 2)) for _ in range(4)]
        await asyncio.gather(
            *(fanout(tenant.id, [Job(-1, tenant.id, INGEST_JOB, _payload(b), 0)]) for b in batches)
        )

    async def all_delivered() -> bool:
        rows = await admin_conn.fetch(
            """
            SELECT text FROM messages
             WHERE tenant_id = $1 AND direction = 'out' AND status = 'delivered'
            """,
            tenant.id,
        )
        return sorted(r["text"] for r in rows) == sorted(f"eco: {t}" for t in texts)

    # Every echo sent once, and its callbacks (sent, delivered) applied through the writer.
    await sim.wait_for(lambda: len(sim.outbound_messages()) >= len(texts), 20, "every echo")
    await eventually(all_delivered, what="every echo delivered", timeout=20)
    assert len(sim.outbound_messages()) == len(texts)
    assert await deadlocks(admin_conn, pool) == before


def _payload(messages: list[uuid.UUID]) -> dict[str, list[str]]:
    return {"messages": [str(m) for m in messages]}
