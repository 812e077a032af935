"""Helpers for the daemon's WhatsApp tests: a configured number and signed Meta-shaped posts."""

from __future__ import annotations

import asyncio
import copy
import io
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient

from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.keys import DB_POOL, WEBHOOK_ROUTING
from pytake_daemon.protocol import Role
from pytake_daemon.whatsapp.ingest import INGEST_JOB
from pytake_daemon.whatsapp.signature import sign
from tests.support import TenantData

ApiClient = TestClient[web.Request, web.Application]

WEBHOOK = "/api/v1/whatsapp/webhook"


@dataclass(frozen=True)
class Number:
    id: uuid.UUID
    phone_number_id: str
    waba_id: str
    app_secret: str
    verify_token: str
    access_token: str


def digits(n: int) -> str:
    # secrets, not random: hypothesis seeds ``random`` per example, which repeats "unique" ids.
    return str(10 ** (n - 1) + secrets.randbelow(9 * 10 ** (n - 1)))


async def add_number(
    api: ApiClient, tenant: TenantData, *, waba_id: str | None = None, app_secret: str | None = None
) -> Number:
    body = {
        "phone_number_id": digits(15),
        "waba_id": waba_id or digits(15),
        "display_phone_number": "+1 555 0100",
        "label": "Support",
        "access_token": "EAAG" + secrets.token_hex(16),
        "app_secret": app_secret or secrets.token_hex(16),
        "verify_token": secrets.token_hex(8),
    }
    resp = await api.post("/api/v1/whatsapp/numbers", json=body, headers=tenant[Role.ADMIN].headers)
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    return Number(
        id=uuid.UUID(created["id"]),
        phone_number_id=body["phone_number_id"],
        waba_id=body["waba_id"],
        app_secret=body["app_secret"],
        verify_token=body["verify_token"],
        access_token=body["access_token"],
    )


def envelope(
    number: Number,
    *,
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    errors: list[dict[str, Any]] | None = None,
    contacts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100", "phone_number_id": number.phone_number_id},
    }
    if messages is not None:
        value["contacts"] = contacts or [
            {"profile": {"name": "Sheena Nelson"}, "wa_id": m["from"]} for m in messages
        ]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    if errors is not None:
        value["errors"] = errors
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": number.waba_id, "changes": [{"field": "messages", "value": value}]}],
    }


def text_message(customer: str, body: str, *, ts: int = 1_700_000_000) -> dict[str, Any]:
    return {
        "from": customer,
        "id": f"wamid.{secrets.token_urlsafe(24)}",
        "timestamp": str(ts),
        "type": "text",
        "text": {"body": body},
    }


def with_new_id(msg: dict[str, Any], customer: str) -> dict[str, Any]:
    copied = copy.deepcopy(msg)
    copied["id"] = f"wamid.{secrets.token_urlsafe(24)}"
    copied["from"] = customer
    return copied


def status(wamid: str, state: str, *, ts: int, recipient: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": wamid,
        "status": state,
        "timestamp": str(ts),
        "recipient_id": recipient,
        **extra,
    }


async def post_signed(
    api: ApiClient, payload: dict[str, Any] | bytes, secret: str, *, settle: bool = True
) -> tuple[int, str]:
    """POST a signed webhook; after a 200 (``settle``), wait until the inbound stage stored
    what it carried, as a test reading the database next expects."""
    raw = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    resp = await api.post(
        WEBHOOK,
        # Large bodies as a stream (aiohttp warns about big raw bytes); also exercises a body
        # without Content-Length.
        data=io.BytesIO(raw) if len(raw) > 1024 * 1024 else raw,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(secret.encode(), raw),
        },
    )
    status = resp.status
    text = await resp.text()
    if status == 200 and settle:
        await ingest_settled(api, raw)
    return status, text


# Generous: the stage runs on a shared 2-core machine; a job that fails stops the wait sooner.
_SETTLE_SECONDS = 30.0


async def ingest_settled(api: ApiClient, body: bytes) -> None:
    """Wait until the inbound stage has taken the ``ingest`` jobs an acknowledged webhook
    queued (pytake_daemon/whatsapp/webhook_jobs.py): its items are then stored, or their job
    failed and waits for its retry. The tenants are those of the numbers the body names."""
    for tenant_id in await _tenants_named(api, body):
        await stage_settled(api, tenant_id)


async def stage_settled(api: ApiClient, tenant_id: uuid.UUID) -> None:
    """Wait until the inbound stage has taken every ``ingest`` job of ``tenant_id`` (after a
    simulator's ``wait_acked``: acknowledged means queued, not yet stored)."""
    pool = api.app[DB_POOL]
    deadline = asyncio.get_running_loop().time() + _SETTLE_SECONDS
    while True:
        async with tenant_transaction(pool, tenant_id) as conn:
            waiting = await conn.fetchval(_WAITING, INGEST_JOB)
        if not waiting:
            return
        assert asyncio.get_running_loop().time() < deadline, "the inbound stage is stuck"
        await asyncio.sleep(0.01)


_WAITING = """
SELECT count(*) FROM jobs
 WHERE tenant_id = current_tenant_id() AND kind = $1 AND last_error IS NULL
"""


async def _tenants_named(api: ApiClient, body: bytes) -> set[uuid.UUID]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return set()
    routing = api.app[WEBHOOK_ROUTING]
    tenants: set[uuid.UUID] = set()
    for entry in data.get("entry", []) if isinstance(data, dict) else []:
        if not isinstance(entry, dict):
            continue
        tenants.update(r.tenant_id for r in routing.routes_for_waba(str(entry.get("id"))))
        for change in entry.get("changes", []) or []:
            value = change.get("value") if isinstance(change, dict) else None
            metadata = value.get("metadata") if isinstance(value, dict) else None
            number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            route = await routing.route(number) if isinstance(number, str) else None
            if route is not None:
                tenants.add(route.tenant_id)
    return tenants


@dataclass
class SimulatedWorld:
    """The simulator playing Meta, an app whose Graph API is that simulator, and a tenant with
    the simulator's number registered."""

    sim: Any
    tenant: TenantData
    number_id: uuid.UUID
    make_api: Any
    """``await make_api()``: a fresh app on the same database (a daemon restart)."""
    api: ApiClient


async def simulated_world(
    aiohttp_client: Any, settings: Any, endpoints: Any, tenant: TenantData, *, seed: int
) -> SimulatedWorld:
    """Start the simulator and an app for ``tenant``; the caller stops them with
    :func:`stop_simulated_world`."""
    from pytake_daemon.app import create_app
    from pytake_simulator.config import NumberConfig, SimulatorConfig
    from pytake_simulator.simulator import Simulator

    number = NumberConfig(
        phone_number_id=digits(15), waba_id=digits(15), access_token="EAAG" + secrets.token_hex(12)
    )
    sim = Simulator(
        SimulatorConfig.fast(
            numbers=[number], app_secret=secrets.token_hex(16), webhook_url=None, seed=seed
        )
    )
    await sim.start("127.0.0.1", 0)
    await sim.start_runtime()
    wa = settings.whatsapp.model_copy(
        update={
            "graph_base_url": sim.base_url,
            "send_backoff_seconds": 0.05,
            "send_backoff_max_seconds": 0.2,
        }
    )
    configured = settings.model_copy(update={"whatsapp": wa})

    async def make_api() -> ApiClient:
        client: ApiClient = await aiohttp_client(create_app(configured, endpoints))
        return client

    api = await make_api()
    sim.webhook_url = str(api.make_url(WEBHOOK))
    resp = await api.post(
        "/api/v1/whatsapp/numbers",
        json={
            "phone_number_id": number.phone_number_id,
            "waba_id": number.waba_id,
            "access_token": number.access_token,
            "app_secret": sim.config.app_secret,
            "verify_token": sim.config.verify_token,
        },
        headers=tenant[Role.ADMIN].headers,
    )
    assert resp.status == 201, await resp.text()
    return SimulatedWorld(sim, tenant, uuid.UUID((await resp.json())["id"]), make_api, api)


async def stop_simulated_world(world: SimulatedWorld, api: ApiClient) -> None:
    # Meta's deliveries stop first, then the daemon (nothing left waiting on a simulator that
    # is gone), then the simulator's server.
    await world.sim.stop_runtime()
    await _close_or_explain(api)
    await world.sim.stop()


_CLOSE_DEADLINE = 60.0


async def _close_or_explain(api: ApiClient) -> None:
    """Close the app; if its cleanup hangs, fail with every task's stack instead of a bare
    pytest-timeout (which shows only threads, and an idle event loop says nothing)."""
    closing = asyncio.ensure_future(api.close())
    done, _ = await asyncio.wait([closing], timeout=_CLOSE_DEADLINE)
    if closing in done:
        closing.result()
        return
    stacks = io.StringIO()
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            print(f"--- {task.get_name()}", file=stacks)
            task.print_stack(file=stacks)
    raise AssertionError(
        f"the app did not close within {_CLOSE_DEADLINE:.0f} s; its tasks:\n{stacks.getvalue()}"
    )
