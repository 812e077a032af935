"""Out of hours, wait timeouts and their fallbacks, hourly aggregation under its advisory lock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pytake_daemon.attendance import aggregation, distribution, endings, entry, items_db, queues_db
from pytake_daemon.attendance.views import settings_values
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, Pool, create_pool, set_tenant, tenant_transaction
from pytake_daemon.effects import Effects
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.queues import QueueSettings
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.queues.support import conversations

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
async def pool(endpoints: Endpoints) -> AsyncIterator[Pool]:
    pool = await create_pool(endpoints.app_dsn.get_secret_value(), min_size=1, max_size=3)
    yield pool
    await pool.close()


async def _queue(conn: Connection, **fields: Any) -> uuid.UUID:
    queue_id = await queues_db.insert_queue(
        conn, settings_values(QueueSettings(name=f"q-{uuid.uuid4().hex[:6]}", **fields))
    )
    assert queue_id is not None
    return queue_id


async def _texts(conn: Connection, conversation_id: uuid.UUID) -> list[str]:
    """What the customer is sent, in sending order (messages queued in one transaction share
    their created_at; the outbox's sequence orders them)."""
    rows = await conn.fetch(
        "SELECT m.text FROM messages m JOIN outbox o ON o.message_id = m.id"
        " WHERE m.conversation_id = $1 ORDER BY o.seq",
        conversation_id,
    )
    return [r["text"] for r in rows]


async def _online(conn: Connection, agent_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO agents (tenant_id, id, status, capacity) VALUES (current_tenant_id(), $1,"
        " 'online', 5)",
        agent_id,
    )


async def test_out_of_hours_waits_or_diverts(
    pool: Pool, make_tenant: MakeTenant, admin_conn: Connection, settings: Settings
) -> None:
    tenant = await make_tenant()
    waits, diverted = await conversations(admin_conn, tenant.id, load_secret_box(settings), 2)
    now = datetime.now(UTC)
    tomorrow = WEEKDAYS[(now.weekday() + 1) % 7]
    closed_today = {tomorrow: [("00:00", "24:00")]}  # in UTC: open only tomorrow
    async with tenant_transaction(pool, tenant.id) as conn:
        await _online(conn, tenant[Role.AGENT].id)
        day = await _queue(conn)
        night = await _queue(
            conn,
            business_hours=closed_today,
            out_of_hours_message="Closed! Back tomorrow.",
            max_wait_minutes=30,
            timeout_action="abandon",
        )
        result = await entry.enqueue(conn, conversation_id=waits, queue_id=night, now=now)
        assert result.outcome == "entered"
        assert await _texts(conn, waits) == ["Closed! Back tomorrow."]
        assert result.item_id is not None
        (item,) = await items_db.get_items(conn, [result.item_id])
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        # The wait clock starts at the opening, not during the night.
        assert item["wait_deadline"] == midnight + timedelta(minutes=30)
        effects = Effects()
        assert await distribution.distribute(conn, night, now=now, effects=effects) == 0
        assert (
            await distribution.distribute(
                conn, night, now=midnight + timedelta(hours=1), effects=effects
            )
            == 1
        )

        await queues_db.update_queue(
            conn,
            night,
            settings_values(
                QueueSettings(
                    name="night",
                    business_hours=closed_today,
                    out_of_hours_action="divert",
                    out_of_hours_queue_id=day,
                )
            ),
        )
        result = await entry.enqueue(conn, conversation_id=diverted, queue_id=night, now=now)
        assert (result.outcome, result.queue_id) == ("entered", day)


@pytest.mark.parametrize("fallback", ["abandon", "move", "return_to_bot", "keep_waiting"])
async def test_wait_timeout_fallbacks(
    pool: Pool,
    make_tenant: MakeTenant,
    admin_conn: Connection,
    settings: Settings,
    fallback: str,
) -> None:
    tenant = await make_tenant()
    (conversation_id,) = await conversations(admin_conn, tenant.id, load_secret_box(settings), 1)
    now = datetime.now(UTC)
    async with tenant_transaction(pool, tenant.id) as conn:
        spare = await _queue(conn)
        queue_id = await _queue(
            conn,
            timeout_message="Sorry, too long.",
            timeout_action="move",
            timeout_queue_id=spare,
        )
        result = await entry.enqueue(
            conn,
            conversation_id=conversation_id,
            queue_id=queue_id,
            wait_timeout_minutes=5,
            fallback_action=fallback,
            now=now,
        )
        assert result.item_id is not None
        effects = Effects()
        early = await endings.expire_overdue(conn, queue_id, now=now, effects=effects)
        assert early == 0
        later = now + timedelta(minutes=6)
        expired = await endings.expire_overdue(conn, queue_id, now=later, effects=effects)
        (item,) = await items_db.get_items(conn, [result.item_id])
        status = await conn.fetchval(
            "SELECT status FROM conversations WHERE id = $1", conversation_id
        )
        texts = await _texts(conn, conversation_id)
        active = await items_db.lock_active_item_of(conn, conversation_id)
    if fallback == "keep_waiting":  # no deadline at all: it never times out
        assert expired == 0
        assert item["status"] == "waiting"
        assert item["wait_deadline"] is None
        return
    assert expired == 1
    assert item["status"] == "timed_out"
    if fallback == "move":
        assert active is not None
        assert (active["queue_id"], active["status"]) == (spare, "waiting")
        assert active["entered_at"] == item["entered_at"]  # keeps its place in time
    else:
        assert active is None
        assert texts[-1] == "Sorry, too long."
        assert status == ("resolved" if fallback == "abandon" else "open")


async def test_hourly_aggregation_runs_once_under_its_lock(
    pool: Pool, make_tenant: MakeTenant, admin_conn: Connection, settings: Settings
) -> None:
    tenant = await make_tenant()
    served, left = await conversations(admin_conn, tenant.id, load_secret_box(settings), 2)
    hour = aggregation.hour_of(datetime.now(UTC)) - timedelta(hours=3)
    at = [hour + timedelta(minutes=m) for m in (0, 10, 20, 30, 40)]
    async with tenant_transaction(pool, tenant.id) as conn:
        await _online(conn, tenant[Role.AGENT].id)
        queue_id = await _queue(conn)
        await entry.enqueue(conn, conversation_id=served, queue_id=queue_id, now=at[0])
        await entry.enqueue(conn, conversation_id=left, queue_id=queue_id, now=at[1])
        await endings.conversation_closed(conn, left, actor_id=None, now=at[2], effects=Effects())
        assert await distribution.distribute(conn, queue_id, now=at[2], effects=Effects()) == 1
        await endings.conversation_closed(conn, served, actor_id=None, now=at[4], effects=Effects())

    # Another process holds the lock: this one skips.
    async with admin_conn.transaction():
        await admin_conn.execute("SELECT pg_advisory_xact_lock($1)", aggregation.AGGREGATION_LOCK)
        assert await aggregation.aggregate_hour(pool, hour) is None
    done = await aggregation.aggregate_hour(pool, hour)
    assert done is not None
    assert tenant.id in done
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        row = await admin_conn.fetchrow(
            "SELECT * FROM queue_metrics WHERE tenant_id = $1 AND queue_id = $2 AND hour = $3",
            tenant.id,
            queue_id,
            hour,
        )
    assert row is not None
    assert (row["entries"], row["assigned"], row["exits"], row["abandoned"]) == (2, 1, 2, 1)
    assert row["avg_wait_seconds"] == pytest.approx(20 * 60)
    assert row["avg_handle_seconds"] == pytest.approx(20 * 60)
    assert row["abandonment_rate"] == pytest.approx(0.5)
    # Running again for the same hour writes the same figures (a lagging replica).
    assert await aggregation.aggregate_hour(pool, hour) is not None
    again = await admin_conn.fetchrow(
        "SELECT entries, exits FROM queue_metrics WHERE tenant_id = $1 AND queue_id = $2"
        " AND hour = $3",
        tenant.id,
        queue_id,
        hour,
    )
    assert again is not None
    assert (again["entries"], again["exits"]) == (2, 2)


async def test_no_place_is_told_while_another_pass_holds_a_free_agent(
    pool: Pool, make_tenant: MakeTenant, admin_conn: Connection, settings: Settings
) -> None:
    # An agent coming online (one transaction) while a customer enters (another): the
    # customer's pass finds the agent held, and must neither assign nor say "you are number
    # 1" to someone the next pass assigns at once (CI caught the race in a conversation test).
    tenant = await make_tenant()
    (waiting,) = await conversations(admin_conn, tenant.id, load_secret_box(settings), 1)
    agent_id = tenant[Role.AGENT].id
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # any time: neither has hours
    async with tenant_transaction(pool, tenant.id) as conn:
        await _online(conn, agent_id)
        queue_id = await _queue(conn)
        entered = await entry.enqueue(conn, conversation_id=waiting, queue_id=queue_id, now=now)
        assert entered.outcome == "entered"
    async with tenant_transaction(pool, tenant.id) as holder:
        await holder.execute("SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", agent_id)
        effects = Effects()
        async with tenant_transaction(pool, tenant.id) as conn:
            assert await distribution.distribute(conn, queue_id, now=now, effects=effects) == 0
        assert effects.distribute == {queue_id}  # asked again once the holder commits
        assert effects.events == []
    async with tenant_transaction(pool, tenant.id) as conn:
        assert await _texts(conn, waiting) == []
        assert await distribution.distribute(conn, queue_id, now=now, effects=Effects()) == 1
        assert await _texts(conn, waiting) == []

    # Nobody with room at all: the same pass tells the place at once.
    (alone,) = await conversations(admin_conn, tenant.id, load_secret_box(settings), 1)
    async with tenant_transaction(pool, tenant.id) as conn:
        await conn.execute("UPDATE agents SET status = 'offline' WHERE id = $1", agent_id)
        await entry.enqueue(conn, conversation_id=alone, queue_id=queue_id, now=now)
        effects = Effects()
        assert await distribution.distribute(conn, queue_id, now=now, effects=effects) == 0
        assert effects.distribute == set()
        (welcome,) = await _texts(conn, alone)
        assert "you are number 1" in welcome


async def test_a_pass_that_leaves_its_agent_room_tells_no_place_and_asks_for_the_next(
    pool: Pool, make_tenant: MakeTenant, admin_conn: Connection, settings: Settings
) -> None:
    # A distribution pass assigns what it claimed; a customer who entered after its claim was
    # told "number 1" by it and assigned by the next pass a moment later (seen under load in
    # tests/queues/test_conversation_life.py). While an agent it holds has room, it tells
    # nobody and asks for the next pass, which assigns the newcomer without a place.
    tenant = await make_tenant()
    box = load_secret_box(settings)
    first, later, last = await conversations(admin_conn, tenant.id, box, 3)
    agent_id = tenant[Role.AGENT].id
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    async with tenant_transaction(pool, tenant.id) as conn:
        await _online(conn, agent_id)  # capacity 5
        queue_id = await _queue(conn)
        await entry.enqueue(conn, conversation_id=first, queue_id=queue_id, now=now)
    effects = Effects()
    async with tenant_transaction(pool, tenant.id) as conn:
        assert await distribution.distribute(conn, queue_id, now=now, effects=effects) == 1
    assert effects.distribute == {queue_id}
    async with tenant_transaction(pool, tenant.id) as conn:
        await entry.enqueue(conn, conversation_id=later, queue_id=queue_id, now=now)
        assert await distribution.distribute(conn, queue_id, now=now, effects=Effects()) == 1
        assert await _texts(conn, first) == []
        assert await _texts(conn, later) == []
        # A pass that fills its agent asks for nothing more.
        await conn.execute("UPDATE agents SET capacity = 3 WHERE id = $1", agent_id)
        await entry.enqueue(conn, conversation_id=last, queue_id=queue_id, now=now)
        effects = Effects()
        assert await distribution.distribute(conn, queue_id, now=now, effects=effects) == 1
        assert effects.distribute == set()
        assert await _texts(conn, last) == []


async def test_agents_off_their_hours_at_the_front_of_the_line_starve_nobody(
    pool: Pool, make_tenant: MakeTenant, admin_conn: Connection, settings: Settings
) -> None:
    # Round robin serves whoever was assigned least recently first, and an agent left online
    # outside their working hours is never assigned, so they stay at the front. The pass locked
    # as many agents as it had items, found them all off hours, and assigned nobody, while an
    # agent in their hours waited behind them (and the pass, seeing that agent free, asked for
    # the next one, which did the same).
    tenant = await make_tenant()
    box = load_secret_box(settings)
    (customer,) = await conversations(admin_conn, tenant.id, box, 1)
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday, 15:00 UTC
    nights = {"wed": [["22:00", "23:00"]]}
    off_hours = [tenant[role].id for role in (Role.OWNER, Role.ADMIN, Role.SUPERVISOR)]
    on_duty = tenant[Role.AGENT].id
    async with tenant_transaction(pool, tenant.id) as conn:
        for agent_id in off_hours:
            await _online(conn, agent_id)
            await conn.execute(
                "UPDATE agents SET working_hours = $2, timezone = 'UTC' WHERE id = $1",
                agent_id,
                nights,
            )
        await _online(conn, on_duty)
        await conn.execute(
            "UPDATE agents SET last_assigned_at = $2 WHERE id = $1", on_duty, now - timedelta(1)
        )
        queue_id = await _queue(conn, policy="round_robin")
        await entry.enqueue(conn, conversation_id=customer, queue_id=queue_id, now=now)
    async with tenant_transaction(pool, tenant.id) as conn:
        assert await distribution.distribute(conn, queue_id, now=now, effects=Effects()) == 1
        agent = await conn.fetchval(
            "SELECT agent_id FROM queue_items WHERE conversation_id = $1", customer
        )
    assert agent == on_duty
