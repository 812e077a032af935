"""The only code in the TUI that talks to the daemon: REST calls and the WebSocket event stream.

Nothing here knows about Textual, so the CLI may use :class:`DaemonClient` too. Every failure a
caller can see is a :class:`DaemonError` carrying a one-line message fit for a toast. The stream's
items and rules (backoff, sequence checks) live in :mod:`pytake_tui.stream`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.frames import CloseCode

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
    SendMessageRequest,
    Typing,
    UserList,
    parse_server_event,
)
from pytake_daemon.protocol.whatsapp import TemplateList
from pytake_tui.stream import (
    Connected,
    Connecting,
    Disconnected,
    Polling,
    ReconnectPolicy,
    Rejected,
    Resync,
    StreamEvent,
    StreamState,
)

DEFAULT_SERVER = "http://127.0.0.1:8420"
"""Where ``pytake daemon`` listens by default (``server.host`` and ``server.port``)."""

API_PREFIX = "/api/v1"

_ModelT = TypeVar("_ModelT", bound=BaseModel)


class DaemonError(Exception):
    """A request failed: a Problem from the daemon, or no answer at all (``status`` is None)."""

    def __init__(
        self,
        status: int | None,
        title: str,
        detail: str | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line for a toast or a status bar."""
        text = f"{self.title}: {self.detail}" if self.detail else self.title
        if self.retry_after is not None:
            text += f" (try again in {self.retry_after} s)"
        return text

    @property
    def unauthorized(self) -> bool:
        """The token was missing, expired or revoked: the user must log in again."""
        return self.status == 401

    @classmethod
    def from_response(cls, response: httpx.Response) -> DaemonError:
        """Build from an error response, whose body should be a Problem document."""
        retry_after = _retry_after(response.headers.get("Retry-After"))
        try:
            problem = Problem.model_validate_json(response.content)
        except ValidationError:
            title = response.reason_phrase or f"HTTP {response.status_code}"
            return cls(response.status_code, title, retry_after=retry_after)
        detail = problem.detail
        if problem.errors:
            fields = "; ".join(f"{error.loc}: {error.msg}" for error in problem.errors)
            detail = f"{detail} ({fields})" if detail else fields
        return cls(problem.status, problem.title, detail, retry_after=retry_after)


def _retry_after(value: str | None) -> int | None:
    # The daemon sends delta-seconds; an HTTP-date is possible by RFC 9110 but not used by us.
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _summarize(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def normalize_server(url: str) -> str:
    """``host:port`` or ``http(s)://host[:port][/prefix]`` → URL without a trailing slash."""
    text = url.strip()
    if "://" not in text:
        text = f"http://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def websocket_url(server: str) -> str:
    """The event stream's URL: ws:// for http://, wss:// for https://."""
    parts = urlsplit(normalize_server(server))
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, f"{parts.path}{API_PREFIX}/ws", "", ""))


@dataclass(slots=True)
class _Attempt:
    """One connection attempt and how it ended."""

    started: float
    connected: bool = False
    rejected: bool = False
    reason: str = "connection lost"


class _NotHelloError(Exception):
    """The first frame of a connection was not a Hello."""


def _close_reason(error: ConnectionClosed) -> str:
    if error.rcvd is None:
        return "connection lost"
    if error.rcvd.code == CloseCode.GOING_AWAY:
        return "server going away"
    if error.rcvd.code == CloseCode.TRY_AGAIN_LATER:
        return "server dropped a slow client"
    detail = f": {error.rcvd.reason}" if error.rcvd.reason else ""
    return f"closed by server ({error.rcvd.code}{detail})"


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A downloaded medium; ``filename`` is the customer's, when the message had one."""

    content: bytes
    content_type: str
    filename: str | None


# --- The client -------------------------------------------------------------------------------


class DaemonClient:
    """REST and WebSocket access to one daemon, with the session token once logged in."""

    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        reconnect: ReconnectPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.server = normalize_server(server)
        self.token = token
        self.reconnect = reconnect or ReconnectPolicy()
        # Jitter only spreads reconnects out; it needs no cryptographic strength.
        # Backoff jitter, not a secret: a seedable PRNG keeps the tests deterministic.
        self._rng = rng or random.Random()  # noqa: S311
        self._http = httpx.AsyncClient(base_url=self.server, timeout=timeout)
        self._websocket: ClientConnection | None = None
        """The open event stream, for the frames a client sends (typing)."""

    @property
    def ws_url(self) -> str:
        """Where :meth:`events` connects."""
        return websocket_url(self.server)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    # REST

    async def login(self, email: str, password: str, tenant: str | None = None) -> LoginResponse:
        """Open a session; the token is kept for the calls that follow."""
        try:
            body = LoginRequest(email=email.strip(), password=password, tenant=tenant or None)
        except ValidationError as error:
            raise DaemonError(None, "Check the form", _summarize(error)) from None
        response = await self._send("POST", f"{API_PREFIX}/auth/login", body=body, auth=False)
        result = _parse(LoginResponse, response)
        self.token = result.token
        return result

    async def logout(self) -> None:
        """End the session on the daemon; a token it already refuses counts as logged out."""
        if self.token is None:
            return
        try:
            await self._send("POST", f"{API_PREFIX}/auth/logout")
        except DaemonError as error:
            if not error.unauthorized:
                raise
        finally:
            self.token = None

    async def change_password(self, current: str, new: str) -> None:
        """Change the user's own password; the daemon ends their other sessions."""
        await self._send(
            "POST",
            f"{API_PREFIX}/auth/password",
            body=PasswordChange(current_password=current, new_password=new),
        )

    async def me(self) -> Me:
        """Who the token belongs to; raises a 401 DaemonError once it expired or was revoked."""
        return _parse(Me, await self._send("GET", f"{API_PREFIX}/auth/me"))

    async def health(self) -> Health:
        """The daemon's liveness answer."""
        return _parse(Health, await self._send("GET", "/healthz", auth=False))

    # Conversations

    async def conversations(self, query: ConversationQuery) -> ConversationList:
        """A page of conversations matching ``query``, most recent first."""
        params = query.model_dump(mode="json", exclude_none=True)
        response = await self._send("GET", f"{API_PREFIX}/conversations", params=params)
        return _parse(ConversationList, response)

    async def conversation(self, conversation_id: uuid.UUID) -> ConversationOut:
        """One conversation, as it is now."""
        path = f"{API_PREFIX}/conversations/{conversation_id}"
        return _parse(ConversationOut, await self._send("GET", path))

    async def conversation_stats(self) -> ConversationStats:
        """The tenant's inbox counts (unread, open…)."""
        path = f"{API_PREFIX}/conversations/stats"
        return _parse(ConversationStats, await self._send("GET", path))

    async def messages(
        self, conversation_id: uuid.UUID, *, cursor: str | None = None, limit: int = 50
    ) -> MessageList:
        """A page of a conversation's messages, newest first."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        path = f"{API_PREFIX}/conversations/{conversation_id}/messages"
        return _parse(MessageList, await self._send("GET", path, params=params))

    async def mark_read(self, conversation_id: uuid.UUID) -> ConversationOut:
        """Unread count to zero (and read receipts to the customer)."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/read"
        return _parse(ConversationOut, await self._send("PATCH", path))

    async def set_status(
        self, conversation_id: uuid.UUID, status: ConversationStatus
    ) -> ConversationOut:
        """Resolve, reopen, snooze…"""
        path = f"{API_PREFIX}/conversations/{conversation_id}/status"
        body = ConversationStatusUpdate(status=status)
        return _parse(ConversationOut, await self._send("PATCH", path, body=body))

    async def send_message(
        self, conversation_id: uuid.UUID, request: SendMessageRequest
    ) -> MessageOut:
        """Queue a message; repeating ``request.idempotency_key`` returns the first one."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/messages"
        return _parse(MessageOut, await self._send("POST", path, body=request))

    async def media(self, conversation_id: uuid.UUID, message_id: uuid.UUID) -> MediaFile:
        """The bytes of a customer's image, audio, video, document or sticker."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/messages/{message_id}/media"
        response = await self._send("GET", path)
        disposition = response.headers.get("Content-Disposition", "")
        _, _, filename = disposition.partition('filename="')
        return MediaFile(
            content=response.content,
            content_type=response.headers.get("Content-Type", "application/octet-stream"),
            filename=filename.rstrip('"') or None,
        )

    async def approved_templates(self) -> TemplateList:
        """The templates that may be sent now (outside the 24-hour window too)."""
        path = f"{API_PREFIX}/whatsapp/templates"
        response = await self._send("GET", path, params={"status": "APPROVED"})
        return _parse(TemplateList, response)

    async def users(self) -> UserList:
        """The tenant's users (supervisors and above; agents get a 403)."""
        return _parse(UserList, await self._send("GET", f"{API_PREFIX}/users"))

    async def send_typing(self, conversation_id: uuid.UUID, typing: bool) -> None:
        """Tell the other consoles this user is (no longer) typing; dropped while offline."""
        websocket = self._websocket
        if websocket is None:
            return
        frame = Typing(conversation_id=conversation_id, typing=typing)
        with contextlib.suppress(ConnectionClosed):
            await websocket.send(frame.model_dump_json())

    def _auth_headers(self) -> dict[str, str]:
        if self.token is None:
            raise DaemonError(401, "Not logged in")
        return {"Authorization": f"Bearer {self.token}"}

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        headers = self._auth_headers() if auth else {}
        payload = body.model_dump(mode="json", exclude_none=True) if body is not None else None
        try:
            response = await self._http.request(
                method, path, json=payload, params=params, headers=headers
            )
        except httpx.TimeoutException:
            raise DaemonError(None, f"{self.server} did not answer in time") from None
        except httpx.HTTPError as error:
            raise DaemonError(None, f"cannot reach {self.server}", str(error) or None) from None
        if response.is_error:
            raise DaemonError.from_response(response)
        return response

    async def _healthy(self) -> bool:
        try:
            await self.health()
        except DaemonError:
            return False
        return True

    # WebSocket

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        """Follow the tenant's events for as long as the caller iterates.

        Reconnects with backoff; yields :class:`Resync` on a sequence gap and after a reconnect;
        falls back to polling while the WebSocket keeps failing and REST works; ends after
        :class:`Rejected`. Use it under ``contextlib.aclosing`` so the socket closes promptly.
        """
        if self.token is None:
            yield Rejected("not logged in")
            return
        policy = self.reconnect
        stream = StreamState()
        while True:
            if not stream.polling:
                yield Connecting(attempt=stream.failures + 1)
            attempt = _Attempt(started=time.monotonic())
            async with aclosing(self._connect_once(stream, attempt)) as items:
                async for item in items:
                    yield item
            if attempt.rejected:
                return
            stable = attempt.connected and time.monotonic() - attempt.started >= policy.stable_after
            stream.failures = 1 if stable else stream.failures + 1
            if stream.failures >= policy.failures_before_polling and await self._healthy():
                async with aclosing(self._poll(stream, attempt.reason)) as items:
                    async for item in items:
                        yield item
                continue
            stream.polling = False
            delay = policy.delay(stream.failures, self._rng)
            yield Disconnected(attempt.reason, retry_in=delay)
            await asyncio.sleep(delay)

    async def _connect_once(
        self, stream: StreamState, attempt: _Attempt
    ) -> AsyncGenerator[StreamEvent, None]:
        """One connection, until it fails; the failure is recorded in ``attempt``."""
        try:
            async with connect(
                self.ws_url,
                additional_headers=self._auth_headers(),
                open_timeout=self.reconnect.open_timeout,
            ) as websocket:
                hello = await _receive_hello(websocket)
                attempt.connected, stream.polling = True, False
                self._websocket = websocket
                yield Connected(hello)
                if stream.last_seq is not None:
                    yield Resync("reconnected")
                stream.last_seq = hello.seq
                while True:
                    for item in stream.accept(await websocket.recv()):
                        yield item
        except InvalidStatus as error:
            if error.response.status_code == 401:
                attempt.rejected = True
                yield Rejected("session expired")
                return
            attempt.reason = f"WebSocket refused (HTTP {error.response.status_code})"
        except ConnectionClosed as error:
            if error.rcvd is not None and error.rcvd.code == CloseCode.POLICY_VIOLATION:
                attempt.rejected = True
                yield Rejected(error.rcvd.reason or "session revoked")
                return
            attempt.reason = _close_reason(error)
        except _NotHelloError:
            attempt.reason = "unexpected first frame"
        except OSError:
            attempt.reason = f"cannot reach {self.server}"
        except (TimeoutError, WebSocketException) as error:
            attempt.reason = str(error) or type(error).__name__
        finally:
            self._websocket = None

    async def _poll(self, stream: StreamState, reason: str) -> AsyncGenerator[StreamEvent, None]:
        """Ask for REST re-reads every poll interval until it is time to retry the WebSocket."""
        policy = self.reconnect
        yield Polling(reason, retry_in=policy.polling_retry_interval)
        if not stream.polling:
            stream.polling = True
            yield Resync("polling started")
        waited = 0.0
        while waited < policy.polling_retry_interval:
            step = min(policy.poll_interval, policy.polling_retry_interval - waited)
            await asyncio.sleep(step)
            waited += step
            yield Resync("polling")


async def _receive_hello(websocket: ClientConnection) -> EventEnvelope:
    try:
        envelope = parse_server_event(await websocket.recv())
    except ValidationError:
        raise _NotHelloError from None
    if not isinstance(envelope.event, Hello):
        raise _NotHelloError
    return envelope


def _parse(model: type[_ModelT], response: httpx.Response) -> _ModelT:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as error:
        raise DaemonError(
            response.status_code, "Unexpected answer from the daemon", _summarize(error)
        ) from None
