"""The WebSocket event stream: connect, reconnect with backoff, fall back to polling.

The stream's items and rules (backoff delays, sequence checks) live in :mod:`pytake_tui.stream`;
this module owns the socket.
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

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.frames import CloseCode

from pytake_daemon.protocol import EventEnvelope, Hello, Typing, parse_server_event
from pytake_tui.api.transport import DaemonError, Endpoints, websocket_url
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


class EventStreamEndpoints(Endpoints):
    """``/ws``: the tenant's events in, typing frames out."""

    reconnect: ReconnectPolicy
    _rng: random.Random
    _websocket: ClientConnection | None
    """The open event stream, for the frames a client sends (typing)."""

    @property
    def ws_url(self) -> str:
        """Where :meth:`events` connects."""
        return websocket_url(self._transport.server)

    async def send_typing(self, conversation_id: uuid.UUID, typing: bool) -> None:
        """Tell the other consoles this user is (no longer) typing; dropped while offline."""
        websocket = self._websocket
        if websocket is None:
            return
        frame = Typing(conversation_id=conversation_id, typing=typing)
        with contextlib.suppress(ConnectionClosed):
            await websocket.send(frame.model_dump_json())

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        """Follow the tenant's events for as long as the caller iterates.

        Reconnects with backoff; yields :class:`Resync` on a sequence gap and after a reconnect;
        falls back to polling while the WebSocket keeps failing and REST works; ends after
        :class:`Rejected`. Use it under ``contextlib.aclosing`` so the socket closes promptly.
        """
        if self._transport.token is None:
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

    async def _healthy(self) -> bool:
        try:
            await self._transport.send("GET", "/healthz", auth=False)
        except DaemonError:
            return False
        return True

    async def _connect_once(
        self, stream: StreamState, attempt: _Attempt
    ) -> AsyncGenerator[StreamEvent, None]:
        """One connection, until it fails; the failure is recorded in ``attempt``."""
        try:
            async with connect(
                self.ws_url,
                additional_headers=self._transport.auth_headers(),
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
            attempt.reason = f"cannot reach {self._transport.server}"
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
