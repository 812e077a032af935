"""A console that stops reading, on a real daemon over loopback: the daemon cuts it off and
the other consoles of the same replica keep getting every event meanwhile.

Here the peer is real: a raw WebSocket handshake, then nothing read and no ping answered, while
the simulator's customers write. Over loopback the kernel takes megabytes before a send blocks
(the daemon's send buffer grows to tcp_wmem's 4 MiB), more than a bounded test writes, so what
cuts this peer off is the heartbeat (a ping without a pong; the replicas ping every 3 s here).
The hub's own rule for a peer whose frames stop leaving (1013 after a full queue or 10 s on one
frame) is proven in-process by tests/test_realtime.py, with a socket whose send never returns.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket

import aiohttp
import pytest

from pytake_daemon.config import Settings
from pytake_daemon.protocol import Role
from tests.private_stack import until
from tests.replicas.support import (
    TIMEOUT,
    Replicas,
    console,
    publish_echo_flow,
    saw,
    world,
)
from tests.support import TenantData

pytestmark = [pytest.mark.timeout(120), pytest.mark.xdist_group("replicas")]

# A ping, then half the heartbeat for its pong (aiohttp), from the replicas' 3 s heartbeat.
CUT_OFF_TIMEOUT = 30.0


async def stalled_websocket(port: int, token: str) -> socket.socket:
    """Open a WebSocket and never read from it again (a receive buffer of a few KiB)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await loop.sock_recv(sock, 1)  # byte by byte: not one byte past the headers
        assert chunk, "the daemon closed the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


async def rest_of_stream(sock: socket.socket) -> bytes:
    """What the daemon sent after the handshake, read to the end of the stream."""
    loop = asyncio.get_running_loop()
    data = bytearray()
    with contextlib.suppress(ConnectionResetError):
        while chunk := await loop.sock_recv(sock, 65536):
            data += chunk
    return bytes(data)


# A ping frame without payload (JSON text never holds a NUL byte).
PING = b"\x89\x00"


async def test_a_console_that_stops_reading_is_cut_off_and_others_keep_up(
    replicas: Replicas,
    replica_settings: Settings,
    tenant: TenantData,
    session: aiohttp.ClientSession,
) -> None:
    a = replicas.daemons[0]
    async with world(replicas, tenant, replica_settings) as w:
        await publish_echo_flow(a.url, tenant)
        stuck = await stalled_websocket(a.port, tenant[Role.SUPERVISOR].token)
        try:
            async with console(session, a, tenant[Role.ADMIN].headers) as reader:
                # Each message brings several events (received, the reply, its statuses, the
                # flow, the analysis): hundreds of KiB, more than the stalled socket holds.
                await w.customers_write(200, rate=100.0, customers=10)
                await w.sim.wait_settled(timeout=TIMEOUT)
                await until(saw(reader, set(w.sent)), TIMEOUT, "the reading console")
                # The daemon ended the stalled connection: reading now drains what the kernel
                # held (events and the unanswered ping among them), then the end of the stream.
                rest = await asyncio.wait_for(rest_of_stream(stuck), CUT_OFF_TIMEOUT)
                assert PING in rest, rest[-80:]
                # The reader was never cut off, and is still served after the other was.
                assert not reader.closed.is_set()
                await w.customers_write(5, rate=50.0, customers=5, tag="after")
                await until(saw(reader, w.wamids("after")), TIMEOUT, "the reader, afterwards")
        finally:
            with contextlib.suppress(OSError):
                stuck.close()
