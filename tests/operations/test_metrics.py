"""``GET /metrics`` scraped through the real app after real traffic (a customer's message in
through a signed webhook, a reply out through the simulator), parsed with the client library's
own parser; and refused without the metrics token."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pydantic import SecretStr

from pytake_daemon.config import MetricsSettings, Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.whatsapp.wa_support import (
    WEBHOOK,
    SimulatedWorld,
    simulated_world,
    stage_settled,
    stop_simulated_world,
)

ApiClient = TestClient[web.Request, web.Application]

TOKEN = secrets.token_urlsafe(24)
DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-pytake.json"


def with_metrics(settings: Settings, token: str | None = TOKEN) -> Settings:
    metrics = MetricsSettings(token=None if token is None else SecretStr(token))
    return settings.model_copy(update={"metrics": metrics})


async def scrape(api: ApiClient) -> dict[str, list[Sample]]:
    resp = await api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain; version=")
    return {
        family.name: list(family.samples)
        for family in text_string_to_metric_families(await resp.text())
    }


def value(samples: dict[str, list[Sample]], sample: str, **labels: str) -> float:
    """The value of one sample (e.g. a histogram's ``_count``), 0 when it isn't there yet."""
    for family in samples.values():
        for s in family:
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@pytest.fixture
async def world(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> AsyncIterator[SimulatedWorld]:
    base = await simulated_world(
        aiohttp_client, with_metrics(settings), endpoints, await make_tenant(), seed=20
    )
    try:
        yield base
    finally:
        await stop_simulated_world(base, base.api)


async def test_scrape_after_a_webhook_and_a_send(world: SimulatedWorld) -> None:
    api, agent = world.api, world.tenant[Role.AGENT].headers
    before = await scrape(api)

    customer = "5511987650001"
    wamid = await world.sim.customer(customer, name="Ana Souza").send_text("Oi, tudo bem?")
    await world.sim.wait_acked(wamid)
    await stage_settled(api, world.tenant.id)
    resp = await api.get("/api/v1/conversations", params={"q": customer}, headers=agent)
    (conversation,) = (await resp.json())["items"]
    resp = await api.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": {"type": "text", "body": "Olá! Como posso ajudar?"}},
        headers=agent,
    )
    assert resp.status in (201, 202), await resp.text()

    async def accepted() -> bool:
        now = await scrape(api)
        sent = "pytake_outbox_send_seconds_count"
        return value(now, sent, outcome="accepted") > value(before, sent, outcome="accepted")

    await wait_until(accepted, "the reply accepted by the simulator")

    async def fanned_out() -> bool:
        # The conversation is listed once the webhook's commit is in, which can be before the
        # ingest fan-out that follows it has finished (a loaded machine).
        now = await scrape(api)
        done = "pytake_jobs_processed_total"
        return value(now, done, kind="ingest", outcome="done") > value(
            before, done, kind="ingest", outcome="done"
        )

    await wait_until(fanned_out, "the ingest fan-out done")
    after = await scrape(api)
    while value(after, "pytake_figures_up") != 1:  # a database too busy for its deadline
        await wait_until(lambda: _figures_read(api), "the database figures")
        after = await scrape(api)

    def grew(sample: str, **labels: str) -> bool:
        return value(after, sample, **labels) > value(before, sample, **labels)

    assert grew("pytake_webhook_requests_total", outcome="accepted")
    assert grew("pytake_ingest_batch_requests_count")
    assert grew("pytake_ingest_commit_seconds_count")
    assert grew("pytake_jobs_processed_total", kind="ingest", outcome="done")
    # Meta's callbacks for the reply (sent, delivered…) came back through the webhook.
    await wait_until(
        lambda: _has_grown(api, before, "pytake_status_lag_seconds_count"), "a status callback"
    )
    # Scrape-time figures: the tenant's chain, the kinds this process runs, the process itself.
    assert value(after, "pytake_audit_chain_entries", tenant=world.tenant.slug) >= 1
    assert "pytake_jobs_queued" in after
    assert any(s.labels["kind"] == "ingest" for s in after["pytake_jobs_queued"])
    assert value(after, "pytake_figures_up") == 1
    assert value(after, "pytake_redis_up") == 1
    assert value(after, "pytake_redis_round_trip_seconds") > 0
    assert value(after, "pytake_db_pool_connections", state="max") >= 1
    assert value(after, "pytake_websocket_clients") == 0
    assert value(after, "pytake_numbers_undecryptable") == 0
    assert value(after, "process_resident_memory_bytes") > 0
    assert value(after, "pytake_loop_healthy", loop="event-loop-lag") == 1
    # Every metric the shipped Grafana dashboard charts is one this scrape exports.
    exported = set(after) | {s.name for samples in after.values() for s in samples}
    charted = set(re.findall(r"\b((?:pytake|process)_[a-z_]+)", DASHBOARD.read_text()))
    assert charted, "the dashboard charts nothing"
    missing = {m for m in charted if re.sub(r"_(bucket|sum|count)$", "", m) not in exported}
    assert not missing, f"the dashboard charts metrics the daemon doesn't export: {missing}"


async def _figures_read(api: ApiClient) -> bool:
    return value(await scrape(api), "pytake_figures_up") == 1


async def _has_grown(api: ApiClient, before: dict[str, list[Sample]], sample: str) -> bool:
    return value(await scrape(api), sample) > value(before, sample)


async def test_metrics_need_the_metrics_token(
    aiohttp_client: Callable[..., Awaitable[ApiClient]],
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
) -> None:
    from pytake_daemon.app import create_app

    tenant = await make_tenant()
    api: ApiClient = await aiohttp_client(create_app(with_metrics(settings), endpoints))
    resp = await api.get("/metrics")
    assert resp.status == 401
    assert "metrics.token" in (await resp.json())["detail"]
    # Not even an owner's API token: the figures span every tenant.
    resp = await api.get("/metrics", headers=tenant[Role.OWNER].headers)
    assert resp.status == 403
    resp = await api.get("/metrics", headers={"Authorization": "Bearer " + TOKEN[::-1]})
    assert resp.status == 403
    resp = await api.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 405

    # Refused webhooks are counted by why (Meta's retries of them show up as a rate).
    before = await scrape(api)
    resp = await api.post(WEBHOOK, data=b"{}", headers={"X-Hub-Signature-256": "sha256=00"})
    assert resp.status == 401
    resp = await api.post(WEBHOOK, data=b"{}")
    assert resp.status == 401
    after = await scrape(api)
    counted = "pytake_webhook_requests_total"
    assert (
        value(after, counted, outcome="unauthorized")
        - value(before, counted, outcome="unauthorized")
        == 2
    )

    unset: ApiClient = await aiohttp_client(create_app(with_metrics(settings, None), endpoints))
    resp = await unset.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 404
    assert "set metrics.token" in (await resp.json())["detail"]
