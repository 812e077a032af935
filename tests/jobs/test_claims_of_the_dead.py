"""A daemon that starts where one died takes back the jobs and sends the dead run claimed, at
once rather than when their 60 s leases end (migration 0052, jobs/claimer.py); nobody else's
claims, and not those of a run that is still connected (stopping gracefully)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import aiohttp
import asyncpg

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, Pool, set_tenant, tenant_transaction
from pytake_daemon.jobs import db
from pytake_daemon.jobs.claimer import Claimer, this_daemon
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.whatsapp import outbox_db
from tests.conftest import ApiClient, MakeTenant
from tests.conversations import factories
from tests.queues.support import conversations
from tests.support import daemon_env, free_port
from tests.test_cross_process import reaped, start_daemon, wait_ready

HOUR = 3600.0


def _kind() -> str:
    return f"test_{uuid.uuid4().hex[:10]}"


def _instance() -> str:
    return f"host-{uuid.uuid4().hex[:8]}:8420"


async def _claim_jobs(pool: Pool, kind: str, claimer: str | None) -> list[int]:
    async with pool.acquire() as conn:
        return [r["id"] for r in await db.claim(conn, [kind], 1, HOUR, claimer)]


async def _leased(pool: Pool, tenant_id: uuid.UUID, ids: list[int]) -> dict[int, bool]:
    async with tenant_transaction(pool, tenant_id) as conn:
        rows = await conn.fetch(
            "SELECT id, locked_until IS NOT NULL AS leased FROM jobs WHERE id = ANY($1)", ids
        )
    return {r["id"]: r["leased"] for r in rows}


async def _forget(pool: Pool, tenant_id: uuid.UUID, kind: str) -> None:
    async with tenant_transaction(pool, tenant_id) as conn:
        await conn.execute("DELETE FROM jobs WHERE kind = $1", kind)


async def test_a_new_run_takes_back_only_what_dead_runs_of_it_claimed(
    pool: Pool, tenant_id: uuid.UUID, endpoints: Endpoints
) -> None:
    kind = _kind()
    instance = _instance()
    dead, alive, now = (Claimer(instance, run) for run in ("dead0", "alive0", "now0"))
    elsewhere = Claimer(_instance(), "dead1")
    async with tenant_transaction(pool, tenant_id) as conn:
        for n in range(5):
            await db.insert_job(conn, kind, {"n": n})
    # One job each: two by the dead run, one by a run still connected, one by this run, one
    # by another daemon's dead run.
    claims = {
        "dead": await _claim_jobs(pool, kind, dead.tag) + await _claim_jobs(pool, kind, dead.tag),
        "alive": await _claim_jobs(pool, kind, alive.tag),
        "now": await _claim_jobs(pool, kind, now.tag),
        "elsewhere": await _claim_jobs(pool, kind, elsewhere.tag),
    }
    everyone = [i for ids in claims.values() for i in ids]
    assert len(set(everyone)) == 5
    still_connected = await asyncpg.connect(
        endpoints.app_dsn.get_secret_value(),
        server_settings={"application_name": alive.application_name},
    )
    try:
        async with pool.acquire() as conn:
            assert await db.release_claims(conn, instance, now.tag) == 2
            # Nothing more to give back the second time.
            assert await db.release_claims(conn, instance, now.tag) == 0
    finally:
        await still_connected.close()
    leased = await _leased(pool, tenant_id, everyone)
    assert [leased[i] for i in claims["dead"]] == [False, False]
    assert all(leased[i] for i in claims["alive"] + claims["now"] + claims["elsewhere"])
    # Claimable again now, not in an hour: the next claim takes them, a second attempt each.
    async with pool.acquire() as conn:
        again = await db.claim(conn, [kind], 10, HOUR, now.tag)
    assert sorted(r["id"] for r in again) == sorted(claims["dead"])
    assert all(r["attempts"] == 2 and r["claimed_by"] == now.tag for r in again)
    # Once the connected run is gone, its claim comes back too.
    async with pool.acquire() as conn:
        assert await db.release_claims(conn, instance, now.tag) == 1
    await _forget(pool, tenant_id, kind)


async def test_sends_of_a_dead_run_are_claimable_again(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, pool: Pool
) -> None:
    tenant = await make_tenant()
    (conversation,) = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 1)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        message = await factories.insert_message(
            admin_conn,
            tenant.id,
            conversation_id=conversation,
            direction="out",
            text="oi",
            status="pending",
        )
        await admin_conn.execute(
            "INSERT INTO outbox (tenant_id, message_id, number_id, conversation_id)"
            " SELECT $1, $2, number_id, id FROM conversations WHERE id = $3",
            tenant.id,
            message,
            conversation,
        )
    instance = _instance()
    dead, now = Claimer(instance, "dead2"), Claimer(instance, "now2")
    # As the dead run's claim left it (a real claim here would lease other tests' rows too:
    # claims cross tenants).
    await admin_conn.execute(
        "UPDATE outbox SET locked_until = now() + interval '1 hour', claimed_by = $2"
        " WHERE message_id = $1",
        message,
        dead.tag,
    )
    try:
        async with pool.acquire() as conn:
            assert await outbox_db.release_claims(conn, instance, now.tag) == 1
        leased = await admin_conn.fetchval(
            "SELECT locked_until IS NOT NULL FROM outbox WHERE message_id = $1", message
        )
        assert leased is False
    finally:
        await admin_conn.execute("DELETE FROM outbox WHERE tenant_id = $1", tenant.id)


async def test_a_daemon_restarted_on_its_port_takes_back_its_dead_runs_claims(
    settings: Settings, tenant_id: uuid.UUID, pool: Pool, tmp_path: Path
) -> None:
    port = free_port()
    instance = this_daemon(port).instance
    assert instance == f"{socket.gethostname()}:{port}"
    kind = _kind()  # no daemon runs this kind: the row stays, and shows its lease
    async with tenant_transaction(pool, tenant_id) as conn:
        await db.insert_job(conn, kind, {})
    (job,) = await _claim_jobs(pool, kind, f"{instance}#deadrun")
    assert (await _leased(pool, tenant_id, [job]))[job]
    with reaped([]) as daemons:
        daemons.append(start_daemon(daemon_env(settings, port=port), tmp_path / "daemon.log"))
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, daemons[-1])
        # Taken back once the port is bound (soon after, or before, /readyz says 200); the
        # lease of an hour is not what ends the claim.
        deadline = asyncio.get_running_loop().time() + 30
        while (await _leased(pool, tenant_id, [job]))[job]:
            assert asyncio.get_running_loop().time() < deadline, "the claim was not taken back"
            await asyncio.sleep(0.1)
    await _forget(pool, tenant_id, kind)
