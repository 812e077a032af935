"""The ordering point when another replica's numbers stop coming (its Redis away): every held
event waits one hold at most, however many gaps follow one another. Before, each gap cost a
hold in turn, so under load with Redis stopped a replica's own consoles fell further behind
with every batch the other replica numbered (found by test_faults.py's Redis test)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pytake_daemon.protocol import EventEnvelope, TokenRevoked
from pytake_daemon.realtime.ordering import TenantOrdering
from tests.private_stack import until

TENANT = uuid.uuid4()
HOLD = 0.05


def offer(ordering: TenantOrdering, seq: int) -> None:
    envelope = EventEnvelope(
        seq=seq, tenant_id=TENANT, at=datetime.now(UTC), event=TokenRevoked(token_id=uuid.uuid4())
    )
    ordering.offer(envelope, envelope.model_dump_json())


async def test_consecutive_gaps_cost_one_hold_not_one_each() -> None:
    got: list[int] = []
    ordering = TenantOrdering(lambda env, _frame: got.append(env.seq), hold=HOLD)
    ordering.open(TENANT)
    ordering.started_at(TENANT, 0)
    # This replica's own numbers; every other one (the other replica's) never comes.
    for seq in (1, 3, 5, 7, 9):
        offer(ordering, seq)
    assert got == [1]
    # The first give-up releases everything that has waited its hold, not just up to the
    # next gap: one hold for the lot.
    await until(lambda: len(got) > 1, 5.0, "the hold to run out")
    assert got == [1, 3, 5, 7, 9]


async def test_an_event_arriving_later_still_gets_its_full_hold() -> None:
    got: list[int] = []
    ordering = TenantOrdering(lambda env, _frame: got.append(env.seq), hold=HOLD)
    ordering.open(TENANT)
    ordering.started_at(TENANT, 0)
    offer(ordering, 2)  # 1 missing
    await until(lambda: got == [2], 5.0, "the first hold")
    offer(ordering, 4)  # 3 missing: a hold of its own, from its arrival
    assert got == [2]
    offer(ordering, 3)  # it came within the hold
    assert got == [2, 3, 4]
    # The late one still reaches the hub (clients drop it as stale).
    offer(ordering, 1)
    assert got == [2, 3, 4, 1]
