"""Random sequences of arrivals, agent status changes, closes, transfers, reassignments and
timeouts against the real database; the invariants are checked after every step:

- never two active items (so never two assignments) for one conversation;
- never more assigned items than an agent's capacity, and the agent's count is exact;
- ``conversations.assigned_user_id`` is the agent of the conversation's assigned item;
- automatic distribution serves a queue's items by priority, then waiting time;
- after distribution no item waits while an eligible agent has room.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from pytake_daemon.attendance import (
    agent_status,
    distribution,
    endings,
    entry,
    items_db,
    moves,
    queues_db,
)
from pytake_daemon.attendance.views import settings_values
from pytake_daemon.config import Settings
from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Pool, connect, create_pool, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.agents import AgentStatus, AgentStatusUpdate
from pytake_daemon.protocol.queues import Policy, QueueSettings, TimeoutAction
from pytake_daemon.whatsapp.secretbox import SecretBox, load_secret_box
from tests.queues.conftest import settle
from tests.queues.support import conversations
from tests.support import create_tenant

CONVERSATIONS = 10
FALLBACKS = [a.value for a in TimeoutAction]
STATUSES = [s.value for s in AgentStatus]


class Machine(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    pool: Pool
    admin_dsn: str
    box: SecretBox
    tenants: list[uuid.UUID]

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    @initialize(capacities=st.lists(st.integers(0, 3), min_size=4, max_size=4))
    def setup(self, capacities: list[int]) -> None:
        self.run(self._setup(capacities))

    async def _setup(self, capacities: list[int]) -> None:
        admin = await connect(self.admin_dsn)
        try:
            tenant = await create_tenant(admin, "not-a-real-hash")
            self.tenant = tenant.id
            self.tenants.append(tenant.id)
            self.conversations = await conversations(
                admin, tenant.id, self.box, CONVERSATIONS, window=False
            )
        finally:
            await admin.close()
        self.agents = [tenant[r].id for r in Role]
        async with tenant_transaction(self.pool, self.tenant) as conn:
            self.queues = []
            for n, policy in enumerate(Policy):
                body = QueueSettings(name=f"q{n}", policy=policy)
                queue_id = await queues_db.insert_queue(conn, settings_values(body))
                assert queue_id is not None
                self.queues.append(queue_id)
            for agent, capacity in zip(self.agents, capacities, strict=True):
                await agent_status.change_status(
                    conn,
                    agent,
                    AgentStatusUpdate(status=AgentStatus.ONLINE, capacity=capacity),
                    by_user=agent,
                    by_role=Role.OWNER,
                    now=datetime.now(UTC),
                    effects=Effects(),
                )
            # Timeouts that move an item go to the other queue.
            for here, there in ((0, 1), (1, 0)):
                body = QueueSettings(
                    name=f"q{here}",
                    policy=list(Policy)[here],
                    timeout_action=TimeoutAction.MOVE,
                    timeout_queue_id=self.queues[there],
                )
                await queues_db.update_queue(conn, self.queues[here], settings_values(body))
        self.assigned_now: dict[uuid.UUID, list[tuple[int, datetime]]] = {}
        self.waiting_before: dict[uuid.UUID, list[tuple[int, datetime]]] = {}

    # --- the trigger every rule fires: distribution ------------------------------------------

    async def _distribute(self) -> None:
        """What the distributors do after a commit: every queue until nothing moves."""
        async with tenant_transaction(self.pool, self.tenant) as conn:
            self.waiting_before = {
                q: [(r["priority"], r["entered_at"]) for r in await self._waiting(conn, q)]
                for q in self.queues
            }
        self.assigned_now = {q: [] for q in self.queues}
        moved = True
        while moved:
            moved = False
            for queue_id in self.queues:
                async with tenant_transaction(self.pool, self.tenant) as conn:
                    before = {r["id"] for r in await self._waiting(conn, queue_id)}
                    count = await distribution.distribute(
                        conn, queue_id, now=datetime.now(UTC), effects=Effects(), batch=2
                    )
                    if count:
                        moved = True
                        rows = await items_db.get_items(conn, list(before))
                        self.assigned_now[queue_id] += [
                            (r["priority"], r["entered_at"])
                            for r in rows
                            if r["status"] == "assigned"
                        ]

    async def _waiting(self, conn: Any, queue_id: uuid.UUID) -> list[Any]:
        return await items_db.list_items(conn, queue_id, ["waiting"], 1000)

    # --- rules -------------------------------------------------------------------------------

    @rule(
        n=st.integers(0, CONVERSATIONS - 1),
        queue=st.integers(0, 1),
        priority=st.integers(0, 2),
        fallback=st.sampled_from(FALLBACKS),
    )
    def arrive(self, n: int, queue: int, priority: int, fallback: str) -> None:
        async def go() -> None:
            async with tenant_transaction(self.pool, self.tenant) as conn:
                await entry.enqueue(
                    conn,
                    conversation_id=self.conversations[n],
                    queue_id=self.queues[queue],
                    priority=priority,
                    wait_timeout_minutes=1,
                    fallback_action=fallback,
                    source="test",
                )
            await self._distribute()

        self.run(go())

    @rule(agent=st.integers(0, 3), status=st.sampled_from(STATUSES))
    def agent_status(self, agent: int, status: str) -> None:
        async def go() -> None:
            async with tenant_transaction(self.pool, self.tenant) as conn:
                await agent_status.change_status(
                    conn,
                    self.agents[agent],
                    AgentStatusUpdate(status=AgentStatus(status)),
                    by_user=self.agents[agent],
                    by_role=Role.AGENT,
                    now=datetime.now(UTC),
                    effects=Effects(),
                )
            await self._distribute()

        self.run(go())

    @rule(n=st.integers(0, CONVERSATIONS - 1))
    def close(self, n: int) -> None:
        async def go() -> None:
            async with tenant_transaction(self.pool, self.tenant) as conn:
                now = datetime.now(UTC)
                await endings.conversation_closed(
                    conn, self.conversations[n], actor_id=None, now=now, effects=Effects()
                )
                await conversations_db.set_status(conn, self.conversations[n], "resolved")
            await self._distribute()

        self.run(go())

    @rule(n=st.integers(0, CONVERSATIONS - 1), agent=st.integers(0, 3), transfer=st.booleans())
    def supervisor_moves(self, n: int, agent: int, transfer: bool) -> None:
        async def move(conn: Any) -> None:
            item = await items_db.lock_active_item_of(conn, self.conversations[n])
            if item is None:
                return
            now = datetime.now(UTC)
            if transfer:
                other = next(q for q in self.queues if q != item["queue_id"])
                await moves.transfer(
                    conn,
                    item["queue_id"],
                    item["id"],
                    other,
                    actor_id=None,
                    now=now,
                    effects=Effects(),
                )
                return
            target = await conn.fetchrow(
                "SELECT active_count, capacity FROM agents WHERE id = $1", self.agents[agent]
            )
            if target["active_count"] >= target["capacity"]:
                return  # the API answers 409 (tested there)
            await moves.assign_manually(
                conn,
                item["queue_id"],
                item["id"],
                self.agents[agent],
                actor_id=None,
                now=now,
                effects=Effects(),
            )

        async def go() -> None:
            async with tenant_transaction(self.pool, self.tenant) as conn:
                await move(conn)
            await self._distribute()

        self.run(go())

    @rule()
    def time_passes(self) -> None:
        async def go() -> None:
            later = datetime.now(UTC) + timedelta(hours=2)
            for queue_id in self.queues:
                async with tenant_transaction(self.pool, self.tenant) as conn:
                    await endings.expire_overdue(conn, queue_id, now=later, effects=Effects())
            await self._distribute()

        self.run(go())

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def database_invariants(self) -> None:
        if not hasattr(self, "tenant"):
            return
        self.run(self._check())

    async def _check(self) -> None:
        async with tenant_transaction(self.pool, self.tenant) as conn:
            doubles = await conn.fetchval(
                "SELECT count(*) FROM (SELECT conversation_id FROM queue_items"
                " WHERE status IN ('waiting', 'assigned') GROUP BY 1 HAVING count(*) > 1) d"
            )
            assert doubles == 0
            agents = await conn.fetch(
                "SELECT a.id, a.status, a.capacity, a.active_count,"
                " (SELECT count(*) FROM queue_items i WHERE i.agent_id = a.id"
                "   AND i.status = 'assigned') AS real FROM agents a"
            )
            for a in agents:
                assert a["active_count"] == a["real"] <= a["capacity"], dict(a)
            mismatched = await conn.fetchval(
                "SELECT count(*) FROM conversations c LEFT JOIN queue_items i"
                " ON i.conversation_id = c.id AND i.status = 'assigned'"
                " WHERE c.assigned_user_id IS DISTINCT FROM i.agent_id"
            )
            assert mismatched == 0
            room = any(
                a["status"] == "online" and a["active_count"] < a["capacity"] for a in agents
            )
            waiting = await conn.fetchval(
                "SELECT count(*) FROM queue_items WHERE status = 'waiting'"
            )
            items = await conn.fetch(
                "SELECT queue_id, status, agent_id, priority FROM queue_items"
                " WHERE status IN ('waiting', 'assigned')"
            )
            assert not (room and waiting), (
                "an item waits while an eligible agent has room",
                [dict(a) for a in agents],
                [dict(i) for i in items],
            )
        for queue_id, served in self.assigned_now.items():
            if not served:
                continue
            still = [w for w in self.waiting_before.get(queue_id, []) if w not in served]
            worst_served = min((p, -e.timestamp()) for p, e in served)
            for p, e in still:
                assert (p, -e.timestamp()) <= worst_served, "a later item was served first"


def test_queue_invariants_hold_for_random_sequences(
    endpoints: Endpoints, settings: Settings
) -> None:
    assert endpoints.admin_dsn is not None
    loop = asyncio.new_event_loop()
    pool = loop.run_until_complete(
        create_pool(endpoints.app_dsn.get_secret_value(), min_size=1, max_size=2, command_timeout=5)
    )
    Machine.loop = loop
    Machine.pool = pool
    Machine.admin_dsn = endpoints.admin_dsn.get_secret_value()
    Machine.tenants = []
    # The installation's key: every app that starts decrypts all live numbers' secrets.
    Machine.box = load_secret_box(settings)
    try:
        run_state_machine_as_test(
            Machine,
            settings=hypothesis_settings(
                max_examples=40,
                stateful_step_count=25,
                deadline=None,
                database=None,
            ),
        )
    finally:
        loop.run_until_complete(_settle(Machine.admin_dsn, Machine.tenants))
        loop.run_until_complete(pool.close())
        loop.close()


async def _settle(admin_dsn: str, tenants: list[uuid.UUID]) -> None:
    admin = await connect(admin_dsn)
    try:
        await settle(admin, tenants)
    finally:
        await admin.close()
