"""The delivery claim and the consoles' lists stay bounded by their named indexes among many
delivered and dead rows (migrations 0033, 0046): each plan executed under EXPLAIN (ANALYZE,
BUFFERS), for the values at hand and the generic plan, with each state filter users send."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.outbound_webhooks import db
from tests.conftest import MakeTenant
from tests.plans import assert_bounded, explain
from tests.test_plans_queues import _as_owner, _body

DONE = 20_000
DEAD = 2_000
LANE = 300


async def _seed(admin_conn: Connection, tenant_id: uuid.UUID, now: datetime) -> uuid.UUID:
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant_id)
        endpoint: uuid.UUID = await admin_conn.fetchval(
            "INSERT INTO webhook_endpoints (tenant_id, url, event_types, secret_enc, created_at,"
            " updated_at) VALUES ($1, 'https://crm.example.com/h', '{rating.received}',"
            " '\\x00', $2, $2) RETURNING id",
            tenant_id,
            now,
        )
        # A day of history: delivered and dead rows, each its own conversation.
        await admin_conn.execute(
            """
            INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type,
                conversation_id, body, state, attempts, next_attempt_at, created_at, dead_at)
            SELECT $1, $2, gen_random_uuid(), 'rating.received', gen_random_uuid(), '{}',
                   CASE WHEN g <= $3::int THEN 'delivered' ELSE 'dead' END, 1,
                   $5::timestamptz - make_interval(secs => g),
                   $5::timestamptz - make_interval(secs => g),
                   CASE WHEN g <= $3::int THEN NULL ELSE $5::timestamptz END
              FROM generate_series(1, $3::int + $4::int) AS g
            """,
            tenant_id,
            endpoint,
            DONE,
            DEAD,
            now,
        )
        # One conversation's line behind a head that is being retried (held until its next
        # try, as mark_retry leaves it), ten rows that joined the line since, and ten due heads
        # of their own conversations.
        lane = uuid.uuid4()
        await admin_conn.execute(
            """
            INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type,
                conversation_id, body, next_attempt_at, created_at)
            SELECT $1, $2, gen_random_uuid(), 'rating.received',
                   CASE WHEN g <= $3::int THEN $4::uuid ELSE gen_random_uuid() END, '{}',
                   CASE WHEN g <= $3::int - 10 THEN $5::timestamptz + interval '10 minutes'
                        ELSE $5::timestamptz END,
                   $5::timestamptz
              FROM generate_series(1, $3::int + 10) AS g
            """,
            tenant_id,
            endpoint,
            LANE,
            lane,
            now,
        )
    await admin_conn.execute("ANALYZE webhook_deliveries")
    return endpoint


async def test_claim_and_lists_stay_bounded(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    now = datetime.now(UTC) + timedelta(days=400)  # every row of this test's is due by then
    endpoint = await _seed(admin_conn, tenant.id, now)

    sql = await _body(admin_conn, "claim_webhook_deliveries")
    for generic in (False, True):
        plan = await _as_owner(admin_conn, sql, now, 32, 40.0, [], generic=generic)
        assert_bounded(
            plan,
            uses={"webhook_deliveries_due_idx", "webhook_deliveries_lane_idx"},
            never_scans=("webhook_deliveries",),
            max_blocks=300,
        )
    tr = admin_conn.transaction()
    await tr.start()
    try:
        claimed = await db.claim(admin_conn, now, 32, 40.0, [])
    finally:
        await tr.rollback()
    # The ten due heads of their own conversations; the line's head is not due: only them.
    # (The claim is across tenants, and another test's pending delivery is due at this test's
    # "now" too: only this tenant's rows are counted.)
    assert len([r for r in claimed if r["tenant_id"] == tenant.id]) == 10

    # The consoles' lists: one endpoint or all, each state a user filters on (the dead letters
    # of every endpoint have their own statement).
    Uses = set[str | tuple[str, ...]]
    lists: list[tuple[str, str, list[object], Uses]] = [
        ("dead letters", db._DEAD_LETTERS, [50], {"webhook_deliveries_dead_idx"}),
    ]
    for one, state in [(True, s) for s in (None, "pending", "delivered", "dead")] + [
        (False, s) for s in (None, "pending", "delivered")
    ]:
        statement = db.deliveries_statement(
            endpoint_id=endpoint if one else None, state=state, limit=50
        )
        dead = one and state == "dead"
        wanted: Uses = {"webhook_deliveries_endpoint_dead_idx"} if dead else set()  # 0046
        lists.append((f"endpoint={one} state={state}", *statement, wanted))
    failures = []
    for generic in (False, True):
        for what, sql, args, uses in lists:
            async with app_conn.transaction():
                await set_tenant(app_conn, tenant.id)
                plan = await explain(app_conn, sql, *args, generic=generic)
            try:
                assert_bounded(plan, uses=uses, never_scans=("webhook_deliveries",), max_blocks=300)
            except AssertionError:
                failures.append(f"generic={generic} {what}: {plan.blocks} buffers")
    assert not failures, "\n".join(failures)
