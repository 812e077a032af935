"""A stand-in for the daemon's auth endpoints and WebSocket, built on aiohttp.web.

It speaks the wire protocol through the same pydantic models as the real daemon, so the TUI is
tested against the contract and not against the daemon's implementation.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

from aiohttp import WSCloseCode, web
from aiohttp.test_utils import TestServer
from pydantic import BaseModel, ValidationError

from pytake_daemon.protocol import (
    EventEnvelope,
    Health,
    Hello,
    LoginRequest,
    LoginResponse,
    Me,
    Problem,
    ProblemField,
    Role,
    UserChanged,
)
from pytake_tui.client import DaemonClient
from pytake_tui.stream import Connected, Received, StreamEvent

ALICE_EMAIL = "alice@example.com"
ALICE_PASSWORD = "pw-correct-horse"
USER_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
TENANT_ID = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
TOKEN_ID = uuid.UUID("00000000-0000-4000-8000-0000000000f1")
FIXED_AT = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


def alice(expires_at: datetime = FAR_FUTURE) -> Me:
    return Me(
        user_id=USER_ID,
        email=ALICE_EMAIL,
        name="Alice Example",
        role=Role.OWNER,
        tenant_id=TENANT_ID,
        tenant_slug="acme",
        tenant_name="Acme Support",
        token_id=TOKEN_ID,
        token_expires_at=expires_at,
    )


def hello_envelope(seq: int, at: datetime = FIXED_AT) -> EventEnvelope:
    hello = Hello(user_id=USER_ID, tenant_id=TENANT_ID, role=Role.OWNER, server_time=at)
    return EventEnvelope(seq=seq, tenant_id=TENANT_ID, at=at, event=hello)


def user_changed_envelope(seq: int, at: datetime = FIXED_AT) -> EventEnvelope:
    event = UserChanged(
        user_id=uuid.UUID("00000000-0000-4000-8000-000000000002"),
        email="bob@example.com",
        name="Bob Agent",
        role=Role.AGENT,
        disabled=False,
    )
    return EventEnvelope(seq=seq, tenant_id=TENANT_ID, at=at, event=event)


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(
        text=model.model_dump_json(exclude_none=True),
        status=status,
        content_type="application/json",
    )


def _problem(status: int, title: str, detail: str | None = None, **extra: object) -> web.Response:
    problem = Problem.model_validate({"status": status, "title": title, "detail": detail, **extra})
    return web.Response(
        text=problem.model_dump_json(exclude_none=True),
        status=status,
        content_type="application/problem+json",
    )


class FakeDaemon:
    """``/healthz``, ``/api/v1/auth/{login,logout,me}`` and ``/api/v1/ws``."""

    def __init__(self, *, hello_seq: int = 10) -> None:
        self.tokens: set[str] = set()
        self.seq = hello_seq
        self.sockets: list[web.WebSocketResponse] = []
        self.ws_accepted = 0
        self.ws_refusals = 0
        self.ws_status: int | None = None
        """When set, every WebSocket upgrade is answered with this HTTP status."""
        self.logouts = 0
        self._token_numbers = itertools.count(1)
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_post("/api/v1/auth/login", self._login)
        app.router.add_post("/api/v1/auth/logout", self._logout)
        app.router.add_get("/api/v1/auth/me", self._me)
        app.router.add_get("/api/v1/ws", self._ws)
        self.server = TestServer(app)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/")).rstrip("/")

    async def start(self) -> None:
        await self.server.start_server()

    async def close(self) -> None:
        await self.drop_sockets(WSCloseCode.GOING_AWAY)
        await self.server.close()

    def issue_token(self) -> str:
        token = f"token-{next(self._token_numbers)}"
        self.tokens.add(token)
        return token

    async def send(self, envelope: EventEnvelope) -> None:
        for socket in self.sockets:
            await socket.send_str(envelope.model_dump_json())

    async def drop_sockets(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        sockets, self.sockets = self.sockets, []
        for socket in sockets:
            await socket.close(code=code, message=b"bye")

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header.removeprefix("Bearer ") in self.tokens

    async def _healthz(self, request: web.Request) -> web.Response:
        return _json(Health(version="test"))

    async def _login(self, request: web.Request) -> web.Response:
        try:
            body = LoginRequest.model_validate_json(await request.read())
        except ValidationError as error:
            fields = [
                ProblemField(loc=".".join(map(str, e["loc"])), msg=e["msg"], type=e["type"])
                for e in error.errors()
            ]
            return _problem(422, "Invalid request body", errors=fields)
        if body.email != ALICE_EMAIL or body.password != ALICE_PASSWORD:
            return _problem(401, "Invalid credentials", "wrong e-mail or password")
        token = self.issue_token()
        return _json(LoginResponse(token=token, expires_at=FAR_FUTURE, me=alice()))

    async def _logout(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _problem(401, "Unauthorized")
        self.tokens.discard(request.headers["Authorization"].removeprefix("Bearer "))
        self.logouts += 1
        return web.Response(status=204)

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _problem(401, "Unauthorized", "token expired or revoked")
        return _json(alice())

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        if self.ws_status is not None:
            self.ws_refusals += 1
            return _problem(self.ws_status, "Unavailable")
        if not self._authorized(request):
            self.ws_refusals += 1
            return _problem(401, "Unauthorized")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        self.ws_accepted += 1
        await socket.send_str(hello_envelope(self.seq).model_dump_json())
        async for _ in socket:
            pass  # the TUI sends nothing we need to answer
        return socket


class ScriptedClient(DaemonClient):
    """A DaemonClient that never touches the network: fixed ``me`` and a fixed event stream."""

    def __init__(self, server: str, envelopes: list[EventEnvelope] | None = None) -> None:
        super().__init__(server)
        self.envelopes = envelopes or []

    async def me(self) -> Me:
        return alice()

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        hello, *rest = self.envelopes
        yield Connected(hello)
        for envelope in rest:
            yield Received(envelope)
        # The stream stays open, as a quiet tenant's would, until the app cancels it.
        await asyncio.Event().wait()
