"""A stand-in for the daemon's auth, conversation and template endpoints and its WebSocket,
built on aiohttp.web, serving a :class:`~tests.tui.fake_world.FakeWorld`.

It speaks the wire protocol through the same pydantic models as the real daemon, so the TUI is
tested against the contract and not against the daemon's implementation.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.test_utils import TestServer
from pydantic import BaseModel, ValidationError

from pytake_daemon.protocol import (
    ConversationList,
    ConversationOut,
    ConversationQuery,
    ConversationStats,
    ConversationStatus,
    ConversationStatusUpdate,
    EventEnvelope,
    Health,
    Hello,
    LoginRequest,
    LoginResponse,
    Me,
    MessageList,
    MessageOut,
    PasswordChange,
    Problem,
    ProblemField,
    Role,
    SendMessageRequest,
    Typing,
    UserChanged,
)
from pytake_daemon.protocol.auth import UserLanguage
from pytake_daemon.protocol.whatsapp import TemplateList
from pytake_tui.client import DaemonClient, DaemonError, MediaFile
from pytake_tui.stream import Connected, Received, StreamEvent

from .fake_world import FakeProblem, FakeWorld
from .identities import (
    ALICE_EMAIL,
    ALICE_PASSWORD,
    FAR_FUTURE,
    FIXED_AT,
    TENANT_ID,
    TOKEN_ID,
    USER_ID,
)

__all__ = ["ALICE_EMAIL", "ALICE_PASSWORD", "FAR_FUTURE", "FIXED_AT", "FakeDaemon"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
        text=model.model_dump_json(),
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
    """``/healthz``, ``/api/v1/auth/{login,logout,me}``, the conversations and templates the
    console uses (from ``world``), and ``/api/v1/ws``."""

    def __init__(self, *, hello_seq: int = 10, world: FakeWorld | None = None) -> None:
        self.world = world or FakeWorld()
        self.typing_frames: list[Typing] = []
        self.send_requests = 0
        self.fail_sends_with: int | None = None
        """When set, sends are answered with this status (after being counted)."""
        self.tokens: set[str] = set()
        self.seq = hello_seq
        self.sockets: list[web.WebSocketResponse] = []
        self.ws_accepted = 0
        self.ws_refusals = 0
        self.ws_status: int | None = None
        """When set, every WebSocket upgrade is answered with this HTTP status."""
        self.logouts = 0
        self.password_changes: list[str] = []
        self._token_numbers = itertools.count(1)
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_post("/api/v1/auth/login", self._login)
        app.router.add_post("/api/v1/auth/logout", self._logout)
        app.router.add_get("/api/v1/auth/me", self._me)
        app.router.add_post("/api/v1/auth/password", self._change_password)
        app.router.add_get("/api/v1/ws", self._ws)
        conversation = "/api/v1/conversations/{id}"
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/api/v1/conversations", self._conversations),
            ("GET", "/api/v1/conversations/stats", self._stats),
            ("GET", conversation, self._conversation),
            ("GET", f"{conversation}/messages", self._messages),
            ("POST", f"{conversation}/messages", self._send_message),
            ("PATCH", f"{conversation}/read", self._read),
            ("PATCH", f"{conversation}/status", self._status),
            ("GET", f"{conversation}/messages/{{message_id}}/media", self._media),
            ("GET", "/api/v1/whatsapp/templates", self._templates),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, self._guarded(handler))
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

    async def _change_password(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _problem(401, "Unauthorized")
        body = PasswordChange.model_validate_json(await request.read())
        if body.current_password != ALICE_PASSWORD:
            return _problem(403, "Forbidden", "the current password is not correct")
        self.password_changes.append(body.new_password)
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
        async for frame in socket:
            if frame.type == WSMsgType.TEXT:
                self.typing_frames.append(Typing.model_validate_json(frame.data))
        return socket

    def _guarded(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if not self._authorized(request):
                return _problem(401, "Unauthorized")
            try:
                return await handler(request)
            except FakeProblem as problem:
                return _problem(problem.status, problem.title, problem.detail)

        return guarded

    async def _conversations(self, request: web.Request) -> web.Response:
        query = ConversationQuery.model_validate(dict(request.query))
        return _json(self.world.list(query, USER_ID))

    async def _stats(self, request: web.Request) -> web.Response:
        return _json(self.world.stats())

    async def _conversation(self, request: web.Request) -> web.Response:
        return _json(self.world.get(uuid.UUID(request.match_info["id"])))

    async def _messages(self, request: web.Request) -> web.Response:
        return _json(self.world.page(uuid.UUID(request.match_info["id"])))

    async def _read(self, request: web.Request) -> web.Response:
        return _json(self.world.mark_read(uuid.UUID(request.match_info["id"])))

    async def _status(self, request: web.Request) -> web.Response:
        body = ConversationStatusUpdate.model_validate_json(await request.read())
        return _json(self.world.set_status(uuid.UUID(request.match_info["id"]), body.status))

    async def _send_message(self, request: web.Request) -> web.Response:
        self.send_requests += 1
        if self.fail_sends_with is not None:
            return _problem(self.fail_sends_with, "Unavailable", "try again")
        body = SendMessageRequest.model_validate_json(await request.read())
        message, created = self.world.send(uuid.UUID(request.match_info["id"]), body)
        return _json(message, status=201 if created else 200)

    async def _media(self, request: web.Request) -> web.Response:
        content, content_type = self.world.medium(uuid.UUID(request.match_info["message_id"]))
        return web.Response(body=content, content_type=content_type)

    async def _templates(self, request: web.Request) -> web.Response:
        return _json(self.world.template_list())


class ScriptedClient(DaemonClient):
    """A DaemonClient that never touches the network: fixed ``me``, a fixed event stream and
    the REST answers of a :class:`FakeWorld`."""

    def __init__(
        self,
        server: str,
        envelopes: list[EventEnvelope] | None = None,
        world: FakeWorld | None = None,
        me: Me | None = None,
    ) -> None:
        super().__init__(server)
        self.envelopes = envelopes or []
        self.world = world or FakeWorld()
        self._me = me or alice()
        self.password_changes: list[str] = []

    async def me(self) -> Me:
        return self._me

    async def set_language(self, language: UserLanguage | None) -> Me:
        self._me = self._me.model_copy(update={"language": language})
        return self._me

    async def change_password(self, current: str, new: str) -> None:
        if current != ALICE_PASSWORD:
            raise DaemonError(403, "Forbidden", "the current password is not correct")
        self.password_changes.append(new)

    async def conversations(self, query: ConversationQuery) -> ConversationList:
        return self.world.list(query, self._me.user_id)

    async def conversation(self, conversation_id: uuid.UUID) -> ConversationOut:
        return _answer(lambda: self.world.get(conversation_id))

    async def conversation_stats(self) -> ConversationStats:
        return self.world.stats()

    async def messages(
        self, conversation_id: uuid.UUID, *, cursor: str | None = None, limit: int = 50
    ) -> MessageList:
        return _answer(lambda: self.world.page(conversation_id))

    async def mark_read(self, conversation_id: uuid.UUID) -> ConversationOut:
        return _answer(lambda: self.world.mark_read(conversation_id))

    async def set_status(
        self, conversation_id: uuid.UUID, status: ConversationStatus
    ) -> ConversationOut:
        return _answer(lambda: self.world.set_status(conversation_id, status))

    async def send_message(
        self, conversation_id: uuid.UUID, request: SendMessageRequest
    ) -> MessageOut:
        return _answer(lambda: self.world.send(conversation_id, request)[0])

    async def media(self, conversation_id: uuid.UUID, message_id: uuid.UUID) -> MediaFile:
        content, content_type = _answer(lambda: self.world.medium(message_id))
        return MediaFile(content=content, content_type=content_type, filename=None)

    async def approved_templates(self) -> TemplateList:
        return self.world.template_list()

    async def send_typing(self, conversation_id: uuid.UUID, typing: bool) -> None:
        return None

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        hello, *rest = self.envelopes
        yield Connected(hello)
        for envelope in rest:
            yield Received(envelope)
        # The stream stays open, as a quiet tenant's would, until the app cancels it.
        await asyncio.Event().wait()


_T = TypeVar("_T")


def _answer(call: Callable[[], _T]) -> _T:
    try:
        return call()
    except FakeProblem as problem:
        raise DaemonError(problem.status, problem.title, problem.detail) from None
