"""This process's WebSocket clients, grouped by tenant.

Events pass a per-tenant ordering point first (ordering.py), so clients get them in sequence
order whichever process or transaction committed first. Each client has its own bounded queue
and sender task, so one slow reader only ever fills its own queue; when it's full the client is
disconnected (1013 "try again later") and resyncs on reconnect, instead of every other client
waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from datetime import UTC, datetime

import structlog
from aiohttp import WSCloseCode, web

from pytake_daemon.http.identity import Identity
from pytake_daemon.metrics.families import WEBSOCKET_DROPPED
from pytake_daemon.protocol import EventEnvelope, Role, TokenRevoked
from pytake_daemon.protocol.audit import SecurityAlertRaised
from pytake_daemon.protocol.events import Withheld
from pytake_daemon.protocol.notifications import NotificationCreated, NotificationsRead
from pytake_daemon.realtime.ordering import TenantOrdering

log = structlog.get_logger("pytake.realtime")

# How long one frame may take to leave before the peer counts as not reading.
_SEND_TIMEOUT = 10.0
# How long a closing client's queued frames may take to leave before the close frame.
_FLUSH_TIMEOUT = 2.0


class Client:
    """One WebSocket connection and what it may receive."""

    def __init__(self, ws: web.WebSocketResponse, who: Identity, *, queue_size: int) -> None:
        self.ws = ws
        self.identity = who
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self._tasks: list[asyncio.Task[None]] = []
        # The event loop keeps only weak references to tasks: hold the closing one.
        self._closer: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._send_loop(), name="ws-send"),
            asyncio.create_task(self._expire(), name="ws-expire"),
        ]

    def offer(self, frame: str) -> bool:
        """Queue a frame; False when the client has fallen too far behind."""
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            return False
        return True

    async def _send_loop(self) -> None:
        try:
            while True:
                frame = await self.queue.get()
                async with asyncio.timeout(_SEND_TIMEOUT):
                    await self.ws.send_str(frame)
                self.queue.task_done()
        except TimeoutError:
            self.close_soon(WSCloseCode.TRY_AGAIN_LATER, "not reading fast enough")
        except (ConnectionError, RuntimeError):
            self.closed.set()

    async def _expire(self) -> None:
        delay = (self.identity.expires_at - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(max(0.0, delay))
        self.close_soon(WSCloseCode.POLICY_VIOLATION, "token expired")

    def close_soon(self, code: int, message: str, *, flush: bool = False) -> None:
        """Close from any task without waiting on the peer (it may be the one not reading).

        With ``flush`` the frames already queued (such as the event explaining the close) are
        sent first, for at most a couple of seconds.
        """
        if self.closed.is_set():
            return
        self.closed.set()
        self._closer = asyncio.get_running_loop().create_task(self._close(code, message, flush))

    async def _close(self, code: int, message: str, flush: bool) -> None:
        sender = self._tasks[0] if self._tasks else None
        if flush and sender is not None and not sender.done():
            # Until the queue is sent, or the sender ended (peer gone), or time is up.
            joined = asyncio.ensure_future(self.queue.join())
            try:
                await asyncio.wait(
                    {joined, sender}, timeout=_FLUSH_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                joined.cancel()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await self.ws.close(code=code, message=message.encode())

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class Hub:
    """Delivers envelopes to this process's clients of the envelope's tenant."""

    def __init__(self, *, queue_size: int, reorder_hold: float = 0.25) -> None:
        self.queue_size = queue_size
        self._clients: dict[uuid.UUID, set[Client]] = defaultdict(set)
        self._ordering = TenantOrdering(self._send, hold=reorder_hold)

    def add(self, client: Client) -> None:
        tenant_id = client.identity.tenant_id
        if not self._clients[tenant_id]:
            self._ordering.open(tenant_id)
        self._clients[tenant_id].add(client)

    def started_at(self, tenant_id: uuid.UUID, seq: int) -> None:
        """A client of ``tenant_id`` was sent a Hello with ``seq``."""
        self._ordering.started_at(tenant_id, seq)

    def remove(self, client: Client) -> None:
        clients = self._clients.get(client.identity.tenant_id)
        if clients is not None:
            clients.discard(client)
            if not clients:
                del self._clients[client.identity.tenant_id]
                self._ordering.close(client.identity.tenant_id)

    def wants(self, tenant_id: uuid.UUID | None) -> bool:
        """Whether an event of ``tenant_id`` could reach a client here (``None``: unknown, so
        yes); without clients its ordering point drops it anyway."""
        return tenant_id is None or tenant_id in self._clients

    def count(self) -> int:
        return sum(len(c) for c in self._clients.values())

    def deliver(self, envelope: EventEnvelope, frame: str) -> None:
        """Pass an event on to its tenant's clients, in sequence order (see ordering.py)."""
        self._ordering.offer(envelope, frame)

    def _send(self, envelope: EventEnvelope, frame: str) -> None:
        # A notification event is one user's: the others get a placeholder with its number
        # instead (no gap, so no resync for every other console at each notification).
        event = envelope.event
        owner: uuid.UUID | None = None
        if isinstance(event, NotificationCreated | NotificationsRead):
            owner = event.user_id
        withheld: str | None = None
        for client in list(self._clients.get(envelope.tenant_id, ())):
            alert = isinstance(envelope.event, SecurityAlertRaised)
            if alert and not client.identity.role.at_least(Role.ADMIN):
                # Alerts name people and addresses: admins only (others see a seq gap).
                continue
            out = frame
            if owner is not None and client.identity.user_id != owner:
                if withheld is None:
                    withheld = envelope.model_copy(update={"event": Withheld()}).model_dump_json()
                out = withheld
            if not client.offer(out):
                log.warning("slow websocket client dropped", user_id=str(client.identity.user_id))
                WEBSOCKET_DROPPED.inc()
                self.remove(client)
                client.close_soon(WSCloseCode.TRY_AGAIN_LATER, "too slow: reconnect and resync")
                continue
            if isinstance(event, TokenRevoked) and event.token_id == client.identity.token_id:
                self.remove(client)
                client.close_soon(WSCloseCode.POLICY_VIOLATION, "token revoked", flush=True)

    async def close_all(self) -> None:
        """On shutdown: tell every client we're going away, so they reconnect elsewhere."""
        clients = [c for group in self._clients.values() for c in group]
        for tenant_id in list(self._clients):
            self._ordering.close(tenant_id)
        self._clients.clear()
        for client in clients:
            client.close_soon(WSCloseCode.GOING_AWAY, "server shutting down")
        await asyncio.gather(*(c.stop() for c in clients), return_exceptions=True)
