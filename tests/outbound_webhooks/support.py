"""A real HTTP receiver (an aiohttp server on 127.0.0.1) and the calls the webhook tests share."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from pytake_daemon.outbound_webhooks.context import OUTBOUND_WEBHOOKS
from pytake_daemon.protocol.outbound_webhooks import (
    DeliveryList,
    EndpointCreated,
    WebhookEventType,
)
from tests.conftest import ApiClient
from tests.support import Member, free_port

DEADLINE = 10.0
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Records every POST; answers the queued statuses in turn, then ``default``. While
    ``hold`` is set to an unset event, answers wait for it (a receiver that hangs)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.requests: list[Received] = []
        self.answers: deque[int] = deque()
        self.default = 200
        self.hold: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(Received(dict(request.headers), await request.read()))
        if self.hold is not None:
            await self.hold.wait()
        return web.Response(status=self.answers.popleft() if self.answers else self.default)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def got(self, count: int) -> list[Received]:
        await eventually(lambda: _ready(len(self.requests) >= count), what=f"{count} requests")
        return self.requests[:count]


async def _ready(value: bool) -> bool:
    return value


class PinnedClock:
    def __init__(self, start: datetime = START) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def pin_clock(api: ApiClient) -> PinnedClock:
    clock = PinnedClock()
    api.app[OUTBOUND_WEBHOOKS].set_clock(clock)
    return clock


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, what: str, timeout: float = DEADLINE
) -> Any:
    """Poll ``probe`` until it returns something truthy (a deadline, never a bare sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def register(
    api: ApiClient,
    admin: Member,
    url: str,
    *types: WebhookEventType,
    tenant_id: uuid.UUID,
) -> EndpointCreated:
    """Register an endpoint and wait until this process gathers the tenant's events."""
    resp = await api.post(
        "/api/v1/webhooks/endpoints",
        json={"url": url, "event_types": [t.value for t in types]},
        headers=admin.headers,
    )
    assert resp.status == 201, await resp.text()
    created = EndpointCreated.model_validate(await resp.json())
    collector = api.app[OUTBOUND_WEBHOOKS].collector

    async def known() -> bool:
        return collector.subscribed(tenant_id)

    await eventually(known, what="the collector's subscriptions")
    return created


async def deliveries(api: ApiClient, admin: Member, **query: Any) -> DeliveryList:
    params = {k: str(v) for k, v in query.items()}
    resp = await api.get("/api/v1/webhooks/deliveries", params=params, headers=admin.headers)
    assert resp.status == 200, await resp.text()
    return DeliveryList.model_validate(await resp.json())


def kick(api: ApiClient) -> None:
    """Look for due deliveries now (after the pinned clock moved)."""
    api.app[OUTBOUND_WEBHOOKS].runner.wake()
