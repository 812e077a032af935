"""A webhook becomes one ``ingest`` job per tenant it concerns (whatsapp/webhook_jobs.py), and
the inbound stage stores each job's items under the tenant and number it was routed to; a job
the stage can't store fails alone."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import orjson

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.keys import JOBS
from pytake_daemon.whatsapp.ingest import INGEST_JOB
from tests.conftest import MakeTenant
from tests.whatsapp.test_ingest import rows
from tests.whatsapp.wa_support import (
    ApiClient,
    Number,
    add_number,
    envelope,
    post_signed,
    text_message,
)

TIMEOUT = 30.0


def _entry(number: Number, body: str, customer: str) -> dict[str, object]:
    entry = envelope(number, messages=[text_message(customer, body)])["entry"]
    assert isinstance(entry, list)
    return dict(entry[0])


async def test_one_post_for_two_tenants_stores_each_share_under_its_own_tenant(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    # One Meta app (one secret) and one WABA with a number of each tenant: the account-level
    # change reaches both, each number's messages only their owner.
    secret, waba = secrets.token_hex(16), str(10**14 + secrets.randbelow(10**14))
    first, second = await make_tenant(), await make_tenant()
    one = await add_number(api, first, waba_id=waba, app_secret=secret)
    two = await add_number(api, second, waba_id=waba, app_secret=secret)
    account_change = {
        "id": waba,
        "time": 1_700_000_000,
        "changes": [{"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            _entry(one, "para o primeiro", "5511900000001"),
            _entry(two, "for the second", "5511900000002"),
            account_change,
        ],
    }
    assert (await post_signed(api, payload, secret))[0] == 200

    for tenant, text in ((first, "para o primeiro"), (second, "for the second")):
        stored = await rows(
            admin_conn,
            tenant.id,
            "SELECT m.text, c.number_id FROM messages m"
            " JOIN conversations c ON c.id = m.conversation_id",
        )
        number = one if tenant is first else two
        assert [(r["text"], r["number_id"]) for r in stored] == [(text, number.id)]
        events = await rows(admin_conn, tenant.id, "SELECT field FROM webhook_events")
        assert [r["field"] for r in events] == ["account_update"]


async def test_a_job_the_stage_cannot_store_fails_alone_and_keeps_its_webhook(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    good = envelope(number, messages=[text_message("5511900000003", "fica")])
    bad = envelope(number, messages=[text_message("5511900000004", "falha")])
    # Routed to a number that doesn't exist (removed between the 200 and the stage, say): its
    # conversation can't be created, so its job's transaction fails, twice.
    shares = [
        {**good, "numbers": {number.phone_number_id: str(number.id)}},
        {**bad, "numbers": {number.phone_number_id: str(uuid.uuid4())}},
    ]
    async with admin_conn.transaction():
        await admin_conn.execute("SET LOCAL ROLE pytake_app")
        await set_tenant(admin_conn, tenant.id)
        await jobs_db.insert_jobs(admin_conn, INGEST_JOB, shares)
    # Queued behind the writer's back: its claim loop is told, as the writer would.
    api.app[JOBS].wake(INGEST_JOB)
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        left = await rows(
            admin_conn,
            tenant.id,
            "SELECT payload, last_error FROM jobs WHERE kind = $1",
            INGEST_JOB,
        )
        if len(left) == 1 and left[0]["last_error"] is not None:
            break
        assert asyncio.get_running_loop().time() < deadline, left
        await asyncio.sleep(0.02)
    stored = await rows(admin_conn, tenant.id, "SELECT text FROM messages")
    assert [r["text"] for r in stored] == ["fica"]
    # The failed one keeps what Meta sent until its retry.
    kept = left[0]["payload"]
    kept = orjson.loads(kept) if isinstance(kept, str) else kept
    assert kept["entry"] == bad["entry"]
    assert "ForeignKeyViolation" in left[0]["last_error"], left[0]["last_error"]
