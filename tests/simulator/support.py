"""What the simulator tests share: a webhook receiver playing the daemon, a Graph client."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from pytake_simulator import Simulator
from pytake_simulator.config import DEFAULT_ACCESS_TOKEN, DEFAULT_PHONE_NUMBER_ID, DEFAULT_WABA_ID

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
CUSTOMER = "5511999990001"
PHONE_ID = DEFAULT_PHONE_NUMBER_ID
WABA_ID = DEFAULT_WABA_ID
TOKEN = DEFAULT_ACCESS_TOKEN


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    status: int

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(self.body)
        return data


@dataclass
class Receiver:
    """Records every POST; answers with the queued statuses (then 200)."""

    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    # While set, requests wait on it before answering (a slow or hung endpoint).
    gate: asyncio.Event | None = None
    on_payload: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    url: str = ""
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self._post)
        app.router.add_get("/webhook", self._verify)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/webhook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.gate is not None:
            await self.gate.wait()
        status = self.answers.pop(0) if self.answers else 200
        self.requests.append(Received(body, dict(request.headers), status))
        self._changed.set()
        self._changed = asyncio.Event()
        if status == 200 and self.on_payload is not None:
            await self.on_payload(orjson.loads(body))
        return web.Response(status=status, text="EVENT_RECEIVED")

    async def _verify(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == VERIFY_TOKEN:
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403)

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while True:
                event = self._changed
                if condition():
                    return
                await event.wait()

    async def wait_requests(self, count: int, timeout: float = 5.0) -> list[Received]:
        await self.wait_for(lambda: len(self.requests) >= count, timeout)
        return self.requests

    def acked(self) -> list[dict[str, Any]]:
        return [r.json for r in self.requests if r.status == 200]

    def values(self) -> list[dict[str, Any]]:
        return [
            change["value"]
            for payload in self.acked()
            for entry in payload["entry"]
            for change in entry["changes"]
        ]

    def messages(self) -> list[dict[str, Any]]:
        return [m for v in self.values() for m in v.get("messages", [])]

    def statuses(self) -> list[dict[str, Any]]:
        return [s for v in self.values() for s in v.get("statuses", [])]


def signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


SimFactory = Callable[..., Awaitable[Simulator]]


@dataclass
class Graph:
    """A Graph API client as the daemon would use it."""

    session: aiohttp.ClientSession
    base: str

    async def call(
        self, method: str, path: str, *, token: str | None = TOKEN, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(
            method, self.base + path, headers=headers, **kwargs
        ) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.read()

    async def send(self, body: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
        return await self.call("POST", f"/{PHONE_ID}/messages", json=body, **kwargs)

    async def text(self, to: str, body: str = "Hello!") -> tuple[int, Any]:
        return await self.send(
            {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}
        )


@asynccontextmanager
async def graph_for(sim: Simulator) -> AsyncIterator[Graph]:
    async with aiohttp.ClientSession() as session:
        yield Graph(session, sim.graph_url)


def error_of(payload: Any) -> tuple[int, str]:
    """(code, details) of a Graph error, checking Meta's shape on the way."""
    error = payload["error"]
    assert set(error) >= {"message", "type", "code", "fbtrace_id"}
    assert error["error_data"]["messaging_product"] == "whatsapp"
    return error["code"], error["error_data"]["details"]
