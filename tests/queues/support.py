"""Rows and calls the queues tests share."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientWebSocketResponse

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import parse_server_event
from pytake_daemon.whatsapp.secretbox import SecretBox
from tests.conversations import factories

DEADLINE = 10.0


async def conversations(
    admin_conn: Connection, tenant_id: uuid.UUID, box: SecretBox, n: int, *, window: bool = True
) -> list[uuid.UUID]:
    """``n`` conversations of one new number (customers wrote just now when ``window``)."""
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant_id)
        number = await factories.insert_number(admin_conn, tenant_id, box)
        return [
            await factories.insert_conversation(
                admin_conn,
                tenant_id,
                number_id=number,
                last_inbound_at=datetime.now(UTC) if window else None,
                profile_name=f"Customer {i}",
            )
            for i in range(n)
        ]


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, what: str, timeout: float = DEADLINE
) -> Any:
    """Poll ``probe`` (an API read, as a client would) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def queue_body(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra}


class Monitor:
    """The live monitor's feed (a supervisor's WebSocket): every event kept, read on demand."""

    def __init__(self, ws: ClientWebSocketResponse) -> None:
        self.ws = ws
        self.seen: list[Any] = []
        self.taken: dict[type, int] = {}

    async def next(self, wanted: type, count: int) -> list[Any]:
        """The next ``count`` events of a type not returned before (waiting for them)."""
        start = self.taken.get(wanted, 0)
        while len([e for e in self.seen if isinstance(e, wanted)]) < start + count:
            raw = await asyncio.wait_for(self.ws.receive_str(), timeout=DEADLINE)
            self.seen.append(parse_server_event(raw).event)
        self.taken[wanted] = start + count
        return [e for e in self.seen if isinstance(e, wanted)][start : start + count]
