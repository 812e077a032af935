"""The cross-tenant claims (``claim_jobs``, ``claim_outbox_sends``) stay bounded on queue tables
that churn: thousands of rows queued, leased and deleted and not yet vacuumed, a few dozen live
ones, statistics fresh (ANALYZE), as the daemon calls them (its role, through the SECURITY
DEFINER function); the function's own statement is explained as its owner runs it, for the
index it uses."""

from __future__ import annotations

import re
import uuid

from pytake_daemon.db.pool import Connection
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.whatsapp import outbox_db
from tests.conftest import MakeTenant
from tests.plans import Plan, assert_bounded, explain

CHURN = 200_000
DEAD = 1_000
"""Dead rows not vacuumed yet: autovacuum comes after 1,000 (migrations/0019)."""
LIVE = 51
KIND = "plan_probe"
CLAIMER = "plans.test:8420#0123456789abcdef"  # as jobs/claimer.py tags a claim
# Measured here for 32 claimed rows (0019), whatever the backlog was (50,000 or 200,000 rows):
# a claim's statement 200 to 400 pages, and up to 1,400 while the 1,000 dead rows are not yet
# dead to every snapshot (an ANALYZE elsewhere holds them back) and each is read from the
# table; through the function as the daemon calls it, jobs 640, sends 2,100 to 2,200 with the
# reads of the messages, numbers and contacts. Before 0019, after this backlog, the outbox
# claim read 6,951 pages (8,720 through claim_outbox_sends); claim_jobs read 35,000 per call in
# production after ANALYZE (issue 16). A claim that read the pages the backlog left (thousands
# here) fails these.
STATEMENT_BLOCKS = 2_000
JOB_CALL_BLOCKS = 1_000
SEND_CALL_BLOCKS = 4_000


async def _body(admin_conn: Connection, function: str) -> str:
    """The function's statement (a PL/pgSQL body's ``RETURN QUERY``, 0030), its parameters
    numbered as in its signature."""
    row = await admin_conn.fetchrow(
        "SELECT prosrc, proargnames,"
        " ARRAY(SELECT format_type(t, NULL) FROM unnest(proargtypes) AS t) AS types"
        " FROM pg_proc WHERE proname = $1",
        function,
    )
    assert row is not None
    source: str = row["prosrc"]
    if "RETURN QUERY" in source:
        source = source.split("RETURN QUERY", 1)[1].rsplit(";", 1)[0]
    for i, (name, type_) in enumerate(zip(row["proargnames"], row["types"], strict=False), 1):
        source = re.sub(rf"\b{name}\b", f"${i}::{type_}", source)
    return source


async def _as_daemon(app_conn: Connection, sql: str, *args: object) -> Plan:
    tr = app_conn.transaction()
    await tr.start()
    try:
        return await explain(app_conn, sql, *args)
    finally:
        await tr.rollback()


async def _settings(admin_conn: Connection, function: str) -> list[str]:
    """The settings the function runs its statement under (``SET`` clauses: 0050, 0053)."""
    config: list[str] | None = await admin_conn.fetchval(
        "SELECT proconfig FROM pg_proc WHERE proname = $1", function
    )
    return config or []


async def _as_owner(
    admin_conn: Connection,
    sql: str,
    *args: object,
    generic: bool = False,
    settings: list[str] | None = None,
) -> Plan:
    tr = admin_conn.transaction()
    await tr.start()
    try:
        for setting in settings or []:
            name, value = setting.split("=", 1)
            if name != "plan_cache_mode":  # ``generic`` says which plan is explained
                await admin_conn.execute("SELECT set_config($1, $2, true)", name, value)
        return await explain(admin_conn, sql, *args, generic=generic)
    finally:
        await tr.rollback()


def _bitmap_scans(plan: Plan) -> list[str]:
    return [n["Node Type"] for n in plan.nodes() if n["Node Type"].startswith("Bitmap")]


async def test_claiming_jobs_stays_bounded_among_dead_rows(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    # What the ingest path leaves: each job inserted, leased once, deleted; the newest still
    # waiting; timers (another kind) due in an hour, a few due now.
    # A backlog drained and vacuumed (the table keeps its pages), then the dead rows of the
    # next 1,000 jobs, which autovacuum has not reached yet.
    for rows in (CHURN, DEAD):
        await admin_conn.execute(
            """
            WITH j AS (INSERT INTO jobs (tenant_id, kind, payload)
                       SELECT $1, $2, '{}'::jsonb FROM generate_series(1, $3::int) RETURNING id)
            UPDATE jobs SET locked_until = now(), attempts = 1 FROM j WHERE jobs.id = j.id
            """,
            tenant.id,
            KIND,
            rows,
        )
        if rows == CHURN:
            # Rows queued after the backlog outlive it: VACUUM can't cut the table short.
            await admin_conn.execute(
                "INSERT INTO jobs (tenant_id, kind, payload, run_after)"
                " VALUES ($1, $2 || '_later', '{}', now() + interval '1 day')",
                tenant.id,
                KIND,
            )
        await admin_conn.execute(
            "DELETE FROM jobs WHERE tenant_id = $1 AND kind = $2", tenant.id, KIND
        )
        if rows == CHURN:
            await admin_conn.execute("VACUUM jobs")
    await admin_conn.execute(
        """
        INSERT INTO jobs (tenant_id, kind, payload, run_after)
        SELECT $1, k.kind, '{}'::jsonb, k.run_after + make_interval(secs => g)
          FROM generate_series(1, $3::int) AS g,
               (VALUES ($2, now() - interval '1 hour'),
                       ($2 || '_timer', now() + interval '1 hour')) AS k (kind, run_after)
        UNION ALL
        SELECT $1::uuid, $2 || '_timer', '{}'::jsonb, now() FROM generate_series(1, 5)
        """,
        tenant.id,
        KIND,
        LIVE,
    )
    await admin_conn.execute("ANALYZE jobs")
    try:
        body = await _body(admin_conn, "claim_jobs")
        settings = await _settings(admin_conn, "claim_jobs")
        for kind, claimed in ((KIND, 32), (f"{KIND}_timer", 5)):
            # The custom plan, then the generic one (a SQL function's statement is planned
            # without its values) twice: the first scan after the deletes marks their index
            # entries killed, as the claim loop's previous poll does in production.
            for generic in (False, True, True):
                owner = await _as_owner(
                    admin_conn, body, [kind], 32, 60.0, CLAIMER, generic=generic, settings=settings
                )
                assert owner.root["Actual Rows"] == claimed
                # Only an index scan marks the dead rows it passes; a bitmap scan read them all
                # again at every claim until autovacuum came (0053).
                assert not _bitmap_scans(owner), f"{kind}, generic={generic}:\n{owner}"
                assert_bounded(
                    owner,
                    uses={("jobs_claim_idx", "jobs_due_idx"), "jobs_pkey"},
                    never_scans=("jobs",),
                    max_blocks=STATEMENT_BLOCKS,
                )
            daemon = await _as_daemon(app_conn, jobs_db._CLAIM, [kind], 32, 60.0, CLAIMER)
            assert daemon.root["Actual Rows"] == claimed
            assert_bounded(daemon, max_blocks=JOB_CALL_BLOCKS)
    finally:
        await admin_conn.execute("DELETE FROM jobs WHERE tenant_id = $1", tenant.id)


async def _queue_sends(
    admin_conn: Connection,
    tenant_id: uuid.UUID,
    number: uuid.UUID,
    rows: int,
    *,
    later: bool = False,
) -> None:
    """``rows`` replies queued in turn over the tenant's first 50 conversations (``later``: one
    due tomorrow in the 51st)."""
    await admin_conn.execute(
        """
        WITH src AS MATERIALIZED (
            SELECT gen_random_uuid() AS id,
                   c.ids[CASE WHEN $4 THEN 51 ELSE 1 + g % 50 END] AS conversation_id, g
              FROM (SELECT array_agg(id ORDER BY id) AS ids FROM conversations
                     WHERE tenant_id = $1) AS c,
                   generate_series(1, $2::int) AS g),
        m AS (
            INSERT INTO messages (tenant_id, id, conversation_id, direction, type, content,
                                  status)
            SELECT $1, id, conversation_id, 'out', 'text', '{}'::jsonb, 'pending' FROM src)
        INSERT INTO outbox (tenant_id, message_id, number_id, conversation_id, next_attempt_at)
        SELECT $1, id, $3, conversation_id,
               CASE WHEN $4 THEN now() + interval '1 day' ELSE now() END
          FROM src ORDER BY g
        """,
        tenant_id,
        rows,
        number,
        later,
    )


async def test_claiming_sends_stays_bounded_among_dead_rows(
    admin_conn: Connection, app_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    # The seed's rows are consistent by construction; the foreign keys' per-row checks would be
    # planned from statistics that don't know this tenant yet, and a check by tenant_id alone
    # walks the tenant's rows for each of 200,000 (a probe ran for more than six minutes).
    await admin_conn.execute("SET session_replication_role = replica")
    number = await admin_conn.fetchval(
        "INSERT INTO whatsapp_numbers (tenant_id, phone_number_id, waba_id, access_token_enc,"
        " app_secret_enc, verify_token_enc, removed_at)"
        " VALUES ($1, '9' || (random() * 1e14)::bigint, '1', '', '', '', now()) RETURNING id",
        tenant.id,
    )
    await admin_conn.execute(
        """
        WITH ct AS (INSERT INTO contacts (tenant_id, wa_id)
                    SELECT $1, (74000000000 + g)::text FROM generate_series(1, 51) AS g
                    RETURNING id)
        INSERT INTO conversations (tenant_id, number_id, contact_id)
        SELECT $1, $2, id FROM ct
        """,
        tenant.id,
        number,
    )
    # Sent replies: a backlog drained and vacuumed, then 1,000 more not vacuumed yet; then 51
    # waiting, one per conversation and a second in one, the two oldest heads leased by a
    # sender right now.
    for rows in (CHURN, DEAD):
        await _queue_sends(admin_conn, tenant.id, number, rows)
        await admin_conn.execute(
            "UPDATE outbox SET locked_until = now(), attempts = 1 WHERE tenant_id = $1",
            tenant.id,
        )
        if rows == CHURN:
            # A send queued after the backlog, waiting for its retry, outlives it: VACUUM
            # can't cut the table short.
            await _queue_sends(admin_conn, tenant.id, number, 1, later=True)
        await admin_conn.execute(
            "DELETE FROM outbox WHERE tenant_id = $1 AND next_attempt_at <= now()", tenant.id
        )
        if rows == CHURN:
            await admin_conn.execute("VACUUM outbox")
    await _queue_sends(admin_conn, tenant.id, number, LIVE)
    await admin_conn.execute(
        """
        UPDATE outbox SET locked_until = now() + interval '1 minute'
         WHERE message_id IN (SELECT message_id FROM outbox WHERE tenant_id = $1
                               ORDER BY seq LIMIT 2)
        """,
        tenant.id,
    )
    # Statistics of what this test seeded, not only of the outbox: claim_outbox_sends() joins
    # the claimed rows to messages, conversations, numbers and contacts, and 0018's joins carry
    # tenant_id too, so the planner may reach a table by tenant_id alone. While the statistics
    # still describe the session's earlier tenants (a handful of rows each) and not this one
    # (201,051 messages), a tenant-only scan costs it the same as the keyed one: an xdist run
    # measured 5.5 million buffers, and a probe with 4,000 one-message tenants analysed before
    # this seed ran for minutes (contacts by tenant_id, then each claimed row's messages by
    # tenant_id, the id left to a join filter). Analysed, the estimates are right and every
    # join is a key lookup. Production can meet the same stale statistics (a new tenant's
    # backlog before autovacuum's next ANALYZE of messages), so since 0031 the function joins
    # by id alone (the composite foreign keys already tie the tenants); the ANALYZE stays so
    # that the claim's own statement is measured on true estimates too.
    await admin_conn.execute("RESET session_replication_role")
    await admin_conn.execute("ANALYZE outbox, messages, conversations, contacts, whatsapp_numbers")
    try:
        body = await _body(admin_conn, "claim_outbox")
        # 50 conversations have a head, two of them leased: 32 of the other 48 claimed.
        for generic in (False, True, True):
            owner = await _as_owner(admin_conn, body, 32, 60.0, CLAIMER, generic=generic)
            assert owner.root["Actual Rows"] == 32
            assert_bounded(
                owner,
                uses={"outbox_claim_idx", "outbox_conversation_idx", "outbox_pkey"},
                never_scans=("outbox",),
                max_blocks=STATEMENT_BLOCKS,
            )
        # With the reads of the claimed rows' messages, numbers and contacts (0018).
        daemon = await _as_daemon(app_conn, outbox_db._CLAIM, 32, 60.0, CLAIMER)
        assert daemon.root["Actual Rows"] == 32
        assert_bounded(daemon, max_blocks=SEND_CALL_BLOCKS)
    finally:
        await admin_conn.execute("DELETE FROM outbox WHERE tenant_id = $1", tenant.id)


async def test_the_claims_and_event_numbers_run_on_the_generic_plans_tested_here(
    admin_conn: Connection,
) -> None:
    # Migration 0050: planned once per session, not at every call; so the generic plans above
    # are the ones production runs.
    functions = ("claim_jobs", "claim_outbox", "claim_outbox_sends", "take_event_numbers")
    rows = await admin_conn.fetch(
        "SELECT proname, proconfig FROM pg_proc WHERE proname = ANY($1::text[])", functions
    )
    assert sorted(r["proname"] for r in rows) == sorted(functions)
    for row in rows:
        assert "plan_cache_mode=force_generic_plan" in row["proconfig"], row["proname"]
    (jobs,) = [r for r in rows if r["proname"] == "claim_jobs"]
    assert "enable_bitmapscan=off" in jobs["proconfig"]
