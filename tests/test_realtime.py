"""The live-event WebSocket in one process: authentication at the upgrade, Hello and sequence
numbers, tenant isolation, revocation, slow clients, and local delivery with Redis down."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.client_ws import ClientWebSocketResponse

from pytake_daemon.app import create_app
from pytake_daemon.auth.tokens import new_token
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.http.identity import Identity
from pytake_daemon.keys import EVENT_BUS, HUB
from pytake_daemon.protocol import (
    EventEnvelope,
    Hello,
    Readiness,
    Role,
    TokenRevoked,
    UserChanged,
    parse_server_event,
)
from pytake_daemon.protocol.whatsapp import NumberChanged
from pytake_daemon.realtime.hub import Client, Hub
from tests.conftest import ApiClient, MakeTenant
from tests.support import Member, TenantData, free_port, secret
from tests.whatsapp.wa_support import add_number

WS_PATHS = ("/api/v1/ws", "/api/v1/conversations/ws")
TIMEOUT = 10.0

WebSocket = ClientWebSocketResponse[bool]
AiohttpClient = Callable[..., Awaitable[ApiClient]]


async def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Poll ``predicate`` until it holds; fails the test at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def next_event(ws: WebSocket) -> EventEnvelope:
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type is WSMsgType.TEXT, f"expected a text frame, got {msg.type!r} {msg.data!r}"
    return parse_server_event(msg.data)


E = TypeVar("E")


async def next_event_of(ws: WebSocket, kind: type[E], after: int) -> EventEnvelope:
    """The next ``kind`` event after sequence number ``after``.

    Other features may publish events of their own in between (an admin action outside the
    audit's business hours raises an off-hours alert, which the hub sends to admins only, so
    other roles see its number skipped), so tests find the events they caused by kind; the
    numbers must still only go up.
    """
    last = after
    while True:
        envelope = await next_event(ws)
        assert envelope.seq > last, f"seq {envelope.seq} after {last}: out of order"
        if isinstance(envelope.event, kind):
            return envelope
        last = envelope.seq


async def hello(ws: WebSocket, member: Member, tenant: TenantData) -> EventEnvelope:
    envelope = await next_event(ws)
    assert isinstance(envelope.event, Hello)
    assert envelope.event.user_id == member.id
    assert envelope.event.tenant_id == tenant.id
    assert envelope.event.role == member.role
    assert envelope.tenant_id == tenant.id
    return envelope


async def create_user(api: ApiClient, tenant: TenantData) -> str:
    email = f"new-{uuid.uuid4().hex[:8]}@{tenant.slug}.test"
    resp = await api.post(
        "/api/v1/users",
        json={"email": email, "name": "New", "role": "agent", "password": "long-enough-pw"},
        headers=tenant[Role.ADMIN].headers,
    )
    assert resp.status == 201, await resp.text()
    return email


async def tenant_seq(conn: Connection, tenant_id: uuid.UUID) -> int:
    async with conn.transaction():
        await set_tenant(conn, tenant_id)
        seq: int = await conn.fetchval("SELECT current_event_seq()")
    return seq


async def insert_token(
    conn: Connection, tenant: TenantData, member: Member, *, expires_at: datetime
) -> str:
    token, hashed = new_token()
    async with conn.transaction():
        await set_tenant(conn, tenant.id)
        await conn.execute(
            "INSERT INTO auth_tokens (tenant_id, user_id, kind, name, token_hash, expires_at)"
            " VALUES ($1, $2, 'session', 'test', $3, $4)",
            tenant.id,
            member.id,
            hashed,
            expires_at,
        )
    return token


@pytest.mark.parametrize("path", WS_PATHS)
async def test_upgrade_without_token_is_401(api: ApiClient, path: str) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await api.ws_connect(path)
    assert info.value.status == 401


@pytest.mark.parametrize("path", WS_PATHS)
async def test_upgrade_with_malformed_or_unknown_token_is_401(api: ApiClient, path: str) -> None:
    for header in ("Basic abc", "Bearer not-a-real-token"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await api.ws_connect(path, headers={"Authorization": header})
        assert info.value.status == 401


@pytest.mark.parametrize("path", WS_PATHS)
async def test_upgrade_with_expired_token_is_401(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, path: str
) -> None:
    tenant = await make_tenant()
    expired = await insert_token(
        admin_conn, tenant, tenant[Role.AGENT], expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await api.ws_connect(path, headers={"Authorization": f"Bearer {expired}"})
    assert info.value.status == 401


@pytest.mark.parametrize("path", WS_PATHS)
async def test_upgrade_with_revoked_token_is_401(
    api: ApiClient, make_tenant: MakeTenant, path: str
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    resp = await api.delete(f"/api/v1/tokens/{agent.token_id}", headers=tenant[Role.ADMIN].headers)
    assert resp.status == 204
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await api.ws_connect(path, headers=agent.headers)
    assert info.value.status == 401


@pytest.mark.parametrize("path", WS_PATHS)
async def test_hello_then_user_changed_with_next_seq(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, path: str
) -> None:
    tenant = await make_tenant()
    # Give the tenant some history so the Hello seq is not trivially 0.
    await create_user(api, tenant)
    before = await tenant_seq(admin_conn, tenant.id)
    async with api.ws_connect(path, headers=tenant[Role.AGENT].headers) as ws:
        first = await hello(ws, tenant[Role.AGENT], tenant)
        # The tenant's number when the stream opened: not before what was committed, not past
        # what is committed now. Not necessarily the latter: a job of the user's creation (an
        # alert) may number an event of its own after the hello (seen: 2 against the hello's 1).
        assert 1 <= before <= first.seq <= await tenant_seq(admin_conn, tenant.id)

        email = await create_user(api, tenant)
        envelope = await next_event_of(ws, UserChanged, after=first.seq)
        assert envelope.tenant_id == tenant.id
        assert isinstance(envelope.event, UserChanged)
        assert envelope.event.email == email
        assert envelope.event.role is Role.AGENT
        assert not envelope.event.disabled


async def test_other_tenants_events_are_not_delivered(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    a, b = await make_tenant(), await make_tenant()
    async with (
        api.ws_connect("/api/v1/ws", headers=a[Role.AGENT].headers) as ws_a,
        api.ws_connect("/api/v1/ws", headers=b[Role.AGENT].headers) as ws_b,
    ):
        hello_a = await hello(ws_a, a[Role.AGENT], a)
        hello_b = await hello(ws_b, b[Role.AGENT], b)

        email_a = await create_user(api, a)
        got_a = await next_event_of(ws_a, UserChanged, after=hello_a.seq)
        assert isinstance(got_a.event, UserChanged)
        assert got_a.event.email == email_a

        # Frames of one connection arrive in order, so if A's event had leaked to B it would come
        # before B's own event.
        email_b = await create_user(api, b)
        got_b = await next_event_of(ws_b, UserChanged, after=hello_b.seq)
        assert got_b.tenant_id == b.id
        assert isinstance(got_b.event, UserChanged)
        assert got_b.event.email == email_b


async def test_revoked_token_closes_its_connection_with_1008(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    async with (
        api.ws_connect("/api/v1/ws", headers=agent.headers) as ws_agent,
        api.ws_connect("/api/v1/conversations/ws", headers=supervisor.headers) as ws_other,
    ):
        start = await hello(ws_agent, agent, tenant)
        other_start = await hello(ws_other, supervisor, tenant)

        resp = await api.delete(
            f"/api/v1/tokens/{agent.token_id}", headers=tenant[Role.ADMIN].headers
        )
        assert resp.status == 204

        revoked = await next_event_of(ws_agent, TokenRevoked, after=start.seq)
        assert isinstance(revoked.event, TokenRevoked)
        assert revoked.event.token_id == agent.token_id
        # The code is the one in the server's close frame. (aiohttp's client then reports 1006
        # as ws.close_code: a server closing from another task than the reader drops the TCP
        # connection without waiting for the client's echo, so the echo can't be written.)
        closing = await ws_agent.receive(timeout=TIMEOUT)
        assert closing.type is WSMsgType.CLOSE
        assert closing.data == WSCloseCode.POLICY_VIOLATION
        assert (await ws_agent.receive(timeout=TIMEOUT)).type is WSMsgType.CLOSED

        # The other connection saw the revocation too and stays open.
        seen = await next_event_of(ws_other, TokenRevoked, after=other_start.seq)
        assert seen.seq == revoked.seq
        email = await create_user(api, tenant)
        after = await next_event_of(ws_other, UserChanged, after=seen.seq)
        assert isinstance(after.event, UserChanged)
        assert after.event.email == email
        assert not ws_other.closed


async def test_logout_closes_the_sessions_connection(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    async with api.ws_connect("/api/v1/ws", headers=agent.headers) as ws:
        await hello(ws, agent, tenant)
        resp = await api.post("/api/v1/auth/logout", headers=agent.headers)
        assert resp.status == 204
        revoked = await next_event(ws)
        assert isinstance(revoked.event, TokenRevoked)
        assert revoked.event.token_id == agent.token_id
        closing = await ws.receive(timeout=TIMEOUT)
        assert closing.type is WSMsgType.CLOSE
        assert closing.data == WSCloseCode.POLICY_VIOLATION


class StuckSocket:
    """Stands in for a ``WebSocketResponse`` whose peer never reads.

    With a real client over loopback the slow peer can't be made deterministic: aiohttp's client
    reads frames off the socket in the background whether or not the test consumes them, and the
    kernel buffers hide a stalled reader for megabytes. The server side only ever sees a stalled
    peer as a ``send_str`` that doesn't return, so this socket's never does.
    """

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.close_codes: list[int] = []
        self.closed = asyncio.Event()
        self._never = asyncio.Event()

    async def send_str(self, data: str) -> None:
        self.sent.append(data)
        await self._never.wait()

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"") -> bool:
        self.close_codes.append(code)
        self.closed.set()
        return True


@pytest.fixture
async def small_queue_api(
    aiohttp_client: AiohttpClient, settings: Settings, endpoints: Endpoints
) -> ApiClient:
    realtime = settings.realtime.model_copy(update={"client_queue_size": 4})
    return await aiohttp_client(
        create_app(settings.model_copy(update={"realtime": realtime}), endpoints)
    )


async def test_slow_client_is_dropped_with_1013_others_keep_receiving(
    small_queue_api: ApiClient, make_tenant: MakeTenant
) -> None:
    api = small_queue_api
    app = api.app
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    hub = app[HUB]
    stuck = StuckSocket()
    slow = Client(
        cast("web.WebSocketResponse", stuck),
        Identity(
            token_id=uuid.uuid4(),
            tenant_id=tenant.id,
            user_id=tenant[Role.SUPERVISOR].id,
            role=Role.SUPERVISOR,
            kind="session",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        ),
        queue_size=hub.queue_size,
    )
    assert hub.queue_size == 4
    try:
        async with api.ws_connect("/api/v1/ws", headers=agent.headers) as ws:
            start = await hello(ws, agent, tenant)
            hub.add(slow)
            slow.start()
            assert hub.count() == 2

            bus = app[EVENT_BUS]
            published = []
            for i in range(20):
                event = UserChanged(
                    user_id=uuid.uuid4(),
                    email=f"burst-{i}@{tenant.slug}.test",
                    name=f"Burst {i}",
                    role=Role.AGENT,
                    disabled=False,
                )
                published.append(await bus.publish(tenant.id, event))
            assert [e.seq for e in published] == list(range(start.seq + 1, start.seq + 21))

            # The stuck client took one frame into send_str, held four in its queue, and was
            # dropped on the sixth: closed with 1013 and no longer in the hub.
            await asyncio.wait_for(stuck.closed.wait(), TIMEOUT)
            assert stuck.close_codes == [WSCloseCode.TRY_AGAIN_LATER]
            assert len(stuck.sent) == 1
            assert slow.closed.is_set()
            assert hub.count() == 1

            # The reading client got every event, in order, without gaps.
            received = [await next_event(ws) for _ in published]
            assert [e.seq for e in received] == [e.seq for e in published]
            assert [e.event for e in received] == [e.event for e in published]
            assert not ws.closed
    finally:
        await slow.stop()


async def test_hub_drops_a_stuck_client_without_an_app() -> None:
    """The same overflow rule on a bare Hub: only the stuck client's own queue fills."""
    tenant_id = uuid.uuid4()

    def who() -> Identity:
        return Identity(
            token_id=uuid.uuid4(),
            tenant_id=tenant_id,
            user_id=uuid.uuid4(),
            role=Role.AGENT,
            kind="session",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )

    class Recording(StuckSocket):
        async def send_str(self, data: str) -> None:
            self.sent.append(data)

    hub = Hub(queue_size=3)
    stuck, reader = StuckSocket(), Recording()
    slow = Client(cast("web.WebSocketResponse", stuck), who(), queue_size=3)
    fast = Client(cast("web.WebSocketResponse", reader), who(), queue_size=3)
    for client in (slow, fast):
        hub.add(client)
        client.start()
    try:
        frames = []
        for seq in range(1, 11):
            envelope = EventEnvelope(
                seq=seq,
                tenant_id=tenant_id,
                at=datetime.now(UTC),
                event=TokenRevoked(token_id=uuid.uuid4()),
            )
            frame = envelope.model_dump_json()
            frames.append(frame)
            hub.deliver(envelope, frame)
            # Let the reading client's sender run, as the bus's awaits would between publishes.
            await wait_until(fast.queue.empty)
        await asyncio.wait_for(stuck.closed.wait(), TIMEOUT)
        assert stuck.close_codes == [WSCloseCode.TRY_AGAIN_LATER]
        assert hub.count() == 1
        await wait_until(lambda: len(reader.sent) == len(frames))
        assert reader.sent == frames
        assert reader.close_codes == []
    finally:
        await slow.stop()
        await fast.stop()


@pytest.fixture
async def redis_down_api(
    aiohttp_client: AiohttpClient, settings: Settings, endpoints: Endpoints
) -> ApiClient:
    # Nothing listens on a port that was free a moment ago: every Redis call is refused.
    dead = Endpoints(
        app_dsn=endpoints.app_dsn,
        admin_dsn=endpoints.admin_dsn,
        redis_url=secret(f"redis://127.0.0.1:{free_port()}/0"),
        app_role=endpoints.app_role,
    )
    return await aiohttp_client(create_app(settings, dead))


async def test_redis_down_local_delivery_continues(
    redis_down_api: ApiClient, make_tenant: MakeTenant
) -> None:
    api = redis_down_api
    resp = await api.get("/readyz")
    assert resp.status == 503
    assert resp.headers["Retry-After"]
    ready = Readiness.model_validate(await resp.json())
    assert ready.database
    assert not ready.redis
    assert not ready.ready
    assert not api.app[EVENT_BUS].subscribed.is_set()

    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    async with api.ws_connect("/api/v1/ws", headers=agent.headers) as ws:
        start = await hello(ws, agent, tenant)
        email = await create_user(api, tenant)
        envelope = await next_event_of(ws, UserChanged, after=start.seq)
        assert isinstance(envelope.event, UserChanged)
        assert envelope.event.email == email


async def test_revoked_client_gets_its_backlog_and_token_revoked_before_1008() -> None:
    """A revoked connection's queued frames, TokenRevoked last, leave before the close frame,
    even when writes yield (a peer whose TCP window is full makes ``send_str`` wait on drain)."""
    tenant_id = uuid.uuid4()
    token_id = uuid.uuid4()

    class Draining(StuckSocket):
        async def send_str(self, data: str) -> None:
            await asyncio.sleep(0)  # one trip through the loop, like a paused transport's drain
            self.sent.append(data)

    sock = Draining()
    hub = Hub(queue_size=16)
    client = Client(
        cast("web.WebSocketResponse", sock),
        Identity(
            token_id=token_id,
            tenant_id=tenant_id,
            user_id=uuid.uuid4(),
            role=Role.AGENT,
            kind="session",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        ),
        queue_size=16,
    )
    hub.add(client)
    client.start()
    try:
        frames = []
        events = [TokenRevoked(token_id=uuid.uuid4()) for _ in range(3)]
        for seq, event in enumerate([*events, TokenRevoked(token_id=token_id)], start=1):
            envelope = EventEnvelope(
                seq=seq, tenant_id=tenant_id, at=datetime.now(UTC), event=event
            )
            frame = envelope.model_dump_json()
            frames.append(frame)
            hub.deliver(envelope, frame)
        assert hub.count() == 0
        await asyncio.wait_for(sock.closed.wait(), TIMEOUT)
        assert sock.close_codes == [WSCloseCode.POLICY_VIOLATION]
        assert sock.sent == frames
    finally:
        await client.stop()


async def test_numbers_added_and_removed_through_the_api_are_announced(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    """The admins' Numbers pages follow ``POST``/``DELETE /api/v1/whatsapp/numbers`` as they
    follow the onboarding's number step: a ``number_changed`` event each."""
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    async with api.ws_connect("/api/v1/ws", headers=admin.headers) as ws:
        first = await hello(ws, admin, tenant)
        number = await add_number(api, tenant)
        added = await next_event_of(ws, NumberChanged, after=first.seq)
        assert isinstance(added.event, NumberChanged)
        assert (added.event.number_id, added.event.removed) == (number.id, False)
        resp = await api.delete(f"/api/v1/whatsapp/numbers/{number.id}", headers=admin.headers)
        assert resp.status == 204, await resp.text()
        gone = await next_event_of(ws, NumberChanged, after=added.seq)
        assert isinstance(gone.event, NumberChanged)
        assert (gone.event.number_id, gone.event.removed) == (number.id, True)
