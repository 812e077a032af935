"""The acceptance writer records the sends that finish together in one commit, and a bad one
costs only itself (the real daemon's pool and bus; the sender is stopped so the rows wait)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import DB_POOL, EVENT_BUS, SENDER
from pytake_daemon.protocol import Role
from pytake_daemon.whatsapp.acceptance_writer import AcceptanceWriter
from tests.whatsapp.wa_support import SimulatedWorld, digits, stage_settled


async def queued_replies(world: SimulatedWorld, customers: int, each: int) -> list[dict[str, Any]]:
    """``each`` agent replies to each of ``customers`` customers, left in the outbox."""
    await world.api.app[SENDER].stop()
    agent = world.tenant[Role.AGENT].headers
    replies: list[dict[str, Any]] = []
    for _ in range(customers):
        customer = digits(12)
        await world.sim.wait_acked(await world.sim.customer(customer).send_text("oi"))
        await stage_settled(world.api, world.tenant.id)
        resp = await world.api.get("/api/v1/conversations", params={"q": customer}, headers=agent)
        [conversation] = (await resp.json())["items"]
        for n in range(each):
            resp = await world.api.post(
                f"/api/v1/conversations/{conversation['id']}/messages",
                json={"content": {"type": "text", "body": f"resposta {n}"}},
                headers=agent,
            )
            assert resp.status == 201, await resp.text()
            replies.append(dict(await resp.json()))
    return replies


async def record_all(
    writer: AcceptanceWriter,
    world: SimulatedWorld,
    replies: list[dict[str, Any]],
    wamids: list[str],
) -> list[bool | BaseException]:
    # Gathered: every record() joins the pending list before the writer's task runs again.
    return await asyncio.gather(
        *(
            writer.record(
                world.tenant.id, uuid.UUID(r["id"]), uuid.UUID(r["conversation_id"]), wamid
            )
            for r, wamid in zip(replies, wamids, strict=True)
        ),
        return_exceptions=True,
    )


async def state(admin_conn: Connection, reply: dict[str, Any]) -> tuple[str, str | None, bool]:
    row = await admin_conn.fetchrow(
        "SELECT m.status, m.wa_message_id,"
        " EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id) AS queued"
        " FROM messages m WHERE m.id = $1",
        uuid.UUID(reply["id"]),
    )
    assert row is not None
    return row["status"], row["wa_message_id"], row["queued"]


async def test_sends_that_finish_together_are_recorded_in_one_commit(
    simulated: SimulatedWorld, admin_conn: Connection
) -> None:
    replies = await queued_replies(simulated, customers=3, each=2)
    writer = AcceptanceWriter(simulated.api.app[DB_POOL], simulated.api.app[EVENT_BUS])
    writer.start()
    try:
        wamids = [f"wamid.batch.{uuid.uuid4().hex}" for _ in replies]
        outcomes = await record_all(writer, simulated, replies, wamids)
    finally:
        await writer.close()
    assert writer.batches == 1
    # Each conversation's two replies were both in the batch: nothing waits behind them.
    assert outcomes == [False] * len(replies)
    for reply, wamid in zip(replies, wamids, strict=True):
        assert await state(admin_conn, reply) == ("accepted", wamid, False)


async def test_a_bad_acceptance_costs_only_itself(
    simulated: SimulatedWorld, admin_conn: Connection
) -> None:
    replies = await queued_replies(simulated, customers=2, each=2)
    writer = AcceptanceWriter(simulated.api.app[DB_POOL], simulated.api.app[EVENT_BUS])
    writer.start()
    try:
        # The last reply claims the first one's wamid: the batch's statement violates the
        # wamid's uniqueness, so the batch is redone one acceptance at a time.
        wamids = [f"wamid.one.{uuid.uuid4().hex}" for _ in replies[:-1]]
        outcomes = await record_all(writer, simulated, replies, [*wamids, wamids[0]])
        # One at a time, a reply whose sibling is still queued has something behind it.
        assert outcomes[:-1] == [True, False, True]
        assert isinstance(outcomes[-1], asyncpg.UniqueViolationError)
        for reply, wamid in zip(replies, wamids, strict=False):
            assert await state(admin_conn, reply) == ("accepted", wamid, False)
        assert await state(admin_conn, replies[-1]) == ("pending", None, True)

        # Its sender retries with the wamid Meta really gave it.
        fresh = f"wamid.retry.{uuid.uuid4().hex}"
        [again] = await record_all(writer, simulated, replies[-1:], [fresh])
        assert again is False
        assert await state(admin_conn, replies[-1]) == ("accepted", fresh, False)
    finally:
        await writer.close()
