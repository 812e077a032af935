"""The conversations API against the real servers: filters, search, keyset pages, one thread's
messages, read and status changes with their events, stats, tenant isolation, and the plans
PostgreSQL picks for a search."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse, WSMsgType
from aiohttp.client_ws import ClientWebSocketResponse

from pytake_daemon.config import Settings
from pytake_daemon.conversations import db
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import (
    ConversationList,
    ConversationOut,
    ConversationStats,
    ConversationStatus,
    ConversationUpdated,
    EventEnvelope,
    Hello,
    MessageList,
    MessageStatus,
    Problem,
    Role,
    parse_server_event,
)
from pytake_daemon.whatsapp.secretbox import SecretBox, load_secret_box
from tests.conftest import ApiClient, MakeTenant
from tests.conversations.factories import (
    bulk_inbox,
    insert_conversation,
    insert_message,
    insert_number,
)
from tests.support import Member, TenantData

BASE = "/api/v1/conversations"
TIMEOUT = 10.0


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    """The key the apps under test decrypt numbers' secrets with."""
    return load_secret_box(settings)


def iso(at: datetime) -> str:
    """A query-string timestamp ('Z' rather than '+00:00', which a query would read as a
    space)."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def problem_of(resp: ClientResponse, status: int) -> Problem:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/problem+json"
    return Problem.model_validate(await resp.json())


async def listing(api: ApiClient, member: Member, **params: Any) -> ConversationList:
    resp = await api.get(BASE, params=params, headers=member.headers)
    assert resp.status == 200, await resp.text()
    return ConversationList.model_validate(await resp.json())


async def ids(api: ApiClient, member: Member, **params: Any) -> list[uuid.UUID]:
    return [c.id for c in (await listing(api, member, **params)).items]


async def every_page(api: ApiClient, member: Member, **params: Any) -> list[list[uuid.UUID]]:
    """Follow ``next_cursor`` to the end; the ids of each page."""
    pages: list[list[uuid.UUID]] = []
    cursor: str | None = None
    while True:
        page = await listing(api, member, **params, **({"cursor": cursor} if cursor else {}))
        pages.append([c.id for c in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 100, "pagination does not end"


async def next_event(ws: ClientWebSocketResponse[bool]) -> EventEnvelope:
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type is WSMsgType.TEXT, f"expected a text frame, got {msg.type!r}"
    return parse_server_event(msg.data)


async def inbox_order(conn: Connection, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """The order the API must list the tenant's conversations in, computed in Python."""
    rows = await conn.fetch(
        "SELECT id, last_message_at FROM conversations WHERE tenant_id = $1", tenant_id
    )
    ordered = sorted(
        rows,
        key=lambda r: (
            r["last_message_at"] is not None,
            r["last_message_at"] or datetime.min.replace(tzinfo=UTC),
            r["id"],
        ),
        reverse=True,
    )
    return [r["id"] for r in ordered]


@dataclass
class Inbox:
    """A tenant with two numbers and five conversations that differ in every filter."""

    tenant: TenantData
    now: datetime
    number_1: uuid.UUID
    number_2: uuid.UUID
    mine: uuid.UUID  # open, assigned to the agent, 2 unread, 1h ago, number 1
    supervisors: uuid.UUID  # pending, assigned to the supervisor, read, 2h ago, number 1
    old: uuid.UUID  # resolved, unassigned, read, 3 days ago, number 2
    fresh: uuid.UUID  # open, unassigned, 5 unread, 10 min ago, number 2
    silent: uuid.UUID  # snoozed, unassigned, read, no message yet, number 1


@pytest.fixture
async def inbox(make_tenant: MakeTenant, admin_conn: Connection, box: SecretBox) -> Inbox:
    tenant = await make_tenant()
    now = datetime.now(UTC)
    n1 = await insert_number(admin_conn, tenant.id, box)
    n2 = await insert_number(admin_conn, tenant.id, box)

    async def conv(number: uuid.UUID, **kwargs: Any) -> uuid.UUID:
        return await insert_conversation(admin_conn, tenant.id, number_id=number, **kwargs)

    return Inbox(
        tenant=tenant,
        now=now,
        number_1=n1,
        number_2=n2,
        mine=await conv(
            n1,
            assigned_user_id=tenant[Role.AGENT].id,
            unread_count=2,
            last_message_at=now - timedelta(hours=1),
            last_inbound_at=now - timedelta(hours=1),
        ),
        supervisors=await conv(
            n1,
            status="pending",
            assigned_user_id=tenant[Role.SUPERVISOR].id,
            last_message_at=now - timedelta(hours=2),
        ),
        old=await conv(n2, status="resolved", last_message_at=now - timedelta(days=3)),
        fresh=await conv(n2, unread_count=5, last_message_at=now - timedelta(minutes=10)),
        silent=await conv(n1, status="snoozed"),
    )


# --- authentication and roles ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", BASE),
        ("GET", f"{BASE}/stats"),
        ("GET", f"{BASE}/{{id}}"),
        ("GET", f"{BASE}/{{id}}/messages"),
        ("PATCH", f"{BASE}/{{id}}/read"),
        ("PATCH", f"{BASE}/{{id}}/status"),
    ],
)
async def test_every_endpoint_needs_a_token(
    api: ApiClient, inbox: Inbox, method: str, path: str
) -> None:
    resp = await api.request(
        method,
        path.format(id=inbox.mine),
        json={"status": "resolved"} if "status" in path else None,
    )
    problem = await problem_of(resp, 401)
    assert problem.detail == "a bearer token is required"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_sees_the_whole_tenant(api: ApiClient, inbox: Inbox, role: Role) -> None:
    # Queues will narrow what an agent sees; for now it's every conversation of the tenant.
    listed = set(await ids(api, inbox.tenant[role]))
    assert listed == {inbox.mine, inbox.supervisors, inbox.old, inbox.fresh, inbox.silent}
    resp = await api.get(f"{BASE}/{inbox.supervisors}", headers=inbox.tenant[role].headers)
    assert resp.status == 200


# --- the list: shape, order and filters ------------------------------------------------------


async def test_list_shape_order_and_window(api: ApiClient, inbox: Inbox) -> None:
    page = await listing(api, inbox.tenant[Role.AGENT])
    assert [c.id for c in page.items] == [
        inbox.fresh,
        inbox.mine,
        inbox.supervisors,
        inbox.old,
        inbox.silent,  # no message yet: last
    ]
    assert page.next_cursor is None
    mine = page.items[1]
    assert mine.status is ConversationStatus.OPEN
    assert mine.assigned_user_id == inbox.tenant[Role.AGENT].id
    assert mine.unread_count == 2
    assert mine.number_id == inbox.number_1
    assert mine.contact.wa_id is not None
    assert mine.contact.wa_id.isdigit()
    assert mine.last_inbound_at is not None
    assert mine.window.open
    assert mine.window.expires_at == mine.last_inbound_at + timedelta(hours=24)
    silent = page.items[4]
    assert silent.last_message_at is None
    assert not silent.window.open
    assert silent.window.expires_at is None


async def test_window_closes_24_hours_after_the_last_inbound_message(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, box: SecretBox
) -> None:
    tenant = await make_tenant()
    number = await insert_number(admin_conn, tenant.id, box)
    inbound = datetime.now(UTC) - timedelta(hours=24, minutes=1)
    conv = await insert_conversation(
        admin_conn, tenant.id, number_id=number, last_message_at=inbound, last_inbound_at=inbound
    )
    resp = await api.get(f"{BASE}/{conv}", headers=tenant[Role.AGENT].headers)
    assert resp.status == 200
    out = ConversationOut.model_validate(await resp.json())
    assert not out.window.open
    assert out.window.expires_at == inbound + timedelta(hours=24)


async def test_filters(api: ApiClient, inbox: Inbox) -> None:
    agent, supervisor = inbox.tenant[Role.AGENT], inbox.tenant[Role.SUPERVISOR]
    now = inbox.now

    async def listed(member: Member = agent, **params: Any) -> list[uuid.UUID]:
        return await ids(api, member, **params)

    assert await listed(status="open") == [inbox.fresh, inbox.mine]
    assert await listed(status="pending") == [inbox.supervisors]
    assert await listed(status="snoozed") == [inbox.silent]
    assert await listed(status="resolved") == [inbox.old]
    assert await listed(agent="me") == [inbox.mine]
    assert await listed(supervisor, agent="me") == [inbox.supervisors]
    assert await listed(agent=str(supervisor.id)) == [inbox.supervisors]
    assert await listed(agent=str(uuid.uuid4())) == []
    assert await listed(agent="none") == [inbox.fresh, inbox.old, inbox.silent]
    assert await listed(number_id=str(inbox.number_2)) == [inbox.fresh, inbox.old]
    assert await listed(number_id=str(uuid.uuid4())) == []
    assert await listed(since=iso(now - timedelta(days=1))) == [
        inbox.fresh,
        inbox.mine,
        inbox.supervisors,
    ]
    assert await listed(until=iso(now - timedelta(days=1))) == [inbox.old]
    assert await listed(
        since=iso(now - timedelta(hours=3)), until=iso(now - timedelta(minutes=30))
    ) == [inbox.mine, inbox.supervisors]
    assert await listed(unread="true") == [inbox.fresh, inbox.mine]
    assert await listed(unread="false") == [inbox.supervisors, inbox.old, inbox.silent]
    assert await listed(status="open", agent="none") == [inbox.fresh]
    assert await listed(status="open", unread="true", number_id=str(inbox.number_1)) == [inbox.mine]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "closed"}, "query.status"),
        ({"agent": "someone"}, "query.agent"),
        ({"number_id": "42"}, "query.number_id"),
        ({"since": "yesterday"}, "query.since"),
        ({"unread": "maybe"}, "query.unread"),
        ({"q": "a"}, "query.q"),
        ({"q": "x" * 201}, "query.q"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "201"}, "query.limit"),
        ({"cursor": "c" * 201}, "query.cursor"),
        ({"surprise": "1"}, "query.surprise"),
    ],
)
async def test_invalid_query_is_422(
    api: ApiClient, inbox: Inbox, params: dict[str, str], loc: str
) -> None:
    resp = await api.get(BASE, params=params, headers=inbox.tenant[Role.AGENT].headers)
    problem = await problem_of(resp, 422)
    assert problem.errors is not None
    assert any(e.loc == loc or e.loc.startswith(f"{loc}.") for e in problem.errors), problem


async def test_invalid_message_query_is_422(api: ApiClient, inbox: Inbox) -> None:
    resp = await api.get(
        f"{BASE}/{inbox.mine}/messages",
        params={"limit": "-1"},
        headers=inbox.tenant[Role.AGENT].headers,
    )
    problem = await problem_of(resp, 422)
    assert problem.errors is not None
    assert {e.loc for e in problem.errors} == {"query.limit"}


# --- search ----------------------------------------------------------------------------------


@dataclass
class SearchInbox:
    tenant: TenantData
    ana: uuid.UUID
    roberto: uuid.UUID
    nameless: uuid.UUID
    decoys: list[uuid.UUID]


@pytest.fixture
async def searchable(
    make_tenant: MakeTenant, admin_conn: Connection, box: SecretBox
) -> SearchInbox:
    tenant, other = await make_tenant(), await make_tenant()
    now = datetime.now(UTC)
    number = await insert_number(admin_conn, tenant.id, box)

    async def conv(minutes: int, **kwargs: Any) -> uuid.UUID:
        return await insert_conversation(
            admin_conn,
            tenant.id,
            number_id=number,
            last_message_at=now - timedelta(minutes=minutes),
            **kwargs,
        )

    async def say(conversation_id: uuid.UUID, text: str, tenant_id: uuid.UUID = tenant.id) -> None:
        await insert_message(admin_conn, tenant_id, conversation_id=conversation_id, text=text)

    ana = await conv(1, profile_name="Ana Beatriz Souza", wa_id="5511987654321")
    roberto = await conv(2, profile_name="Roberto", wa_id="5521912345678")
    await say(roberto, "Meu pedido com 50% off chegou?")
    await say(roberto, "O pedido chegou quebrado")
    nameless = await conv(3, wa_id="447700900123")
    await say(nameless, "the invoice_number is 42")
    # Texts that match only if % or _ were wildcards, and a name that merely resembles.
    decoy_1 = await conv(4, profile_name="Bruna")
    await say(decoy_1, "500 units arrived")
    decoy_2 = await conv(5, profile_name="Mariana Lima")
    await say(decoy_2, "my invoiceXnumber is 43")
    # Another tenant with everything matching: never found.
    other_number = await insert_number(admin_conn, other.id, box)
    for name, text in (("Ana Beatriz", "pedido"), ("Roberto", "50% off invoice_number")):
        c = await insert_conversation(
            admin_conn,
            other.id,
            number_id=other_number,
            profile_name=name,
            wa_id="5511987654321" if name.startswith("Ana") else None,
            last_message_at=now,
        )
        await say(c, text, other.id)
    return SearchInbox(tenant, ana, roberto, nameless, [decoy_1, decoy_2])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ana", ["ana", "decoy_2"]),  # Ana, and Mariana
        ("ANA BEATRIZ", ["ana"]),
        ("souza", ["ana"]),
        ("+55 11 98765-4321", ["ana"]),
        ("+55 (11) 98765-4321", ["ana"]),
        ("11 98765 4321", ["ana"]),
        ("5511987654321", ["ana"]),
        ("98765", ["ana"]),
        ("+44 7700 900123", ["nameless"]),
        ("pedido", ["roberto"]),  # two messages match: listed once
        ("CHEGOU", ["roberto"]),
        ("50% off", ["roberto"]),
        ("50%", ["roberto"]),
        ("invoice_number", ["nameless"]),
        ("nobody says this", []),
    ],
)
async def test_search_by_name_phone_and_text(
    api: ApiClient, searchable: SearchInbox, q: str, expected: list[str]
) -> None:
    names = {
        searchable.ana: "ana",
        searchable.roberto: "roberto",
        searchable.nameless: "nameless",
        searchable.decoys[0]: "decoy_1",
        searchable.decoys[1]: "decoy_2",
    }
    found = await ids(api, searchable.tenant[Role.AGENT], q=q)
    assert [names.get(i, f"unknown {i}") for i in found] == expected


async def test_search_combines_with_filters(
    api: ApiClient, searchable: SearchInbox, admin_conn: Connection
) -> None:
    agent = searchable.tenant[Role.AGENT]
    await admin_conn.execute(
        "UPDATE conversations SET status = 'resolved' WHERE id = $1", searchable.ana
    )
    assert await ids(api, agent, q="ana", status="resolved") == [searchable.ana]
    assert await ids(api, agent, q="ana", status="open") == [searchable.decoys[1]]


def test_search_patterns_escape_wildcards_and_add_bare_digits() -> None:
    assert db.search_patterns(" 50%_off\\ ") == ["%50\\%\\_off\\\\%"]
    assert db.search_patterns("+55 (11) 98765-4321") == ["%+55 (11) 98765-4321%", "%5511987654321%"]
    assert db.search_patterns("5511") == ["%5511%"]
    assert db.search_patterns("ana 12") == ["%ana 12%"]


# --- keyset pagination -----------------------------------------------------------------------


@pytest.fixture
async def many(make_tenant: MakeTenant, admin_conn: Connection, box: SecretBox) -> TenantData:
    """Eleven conversations: seven at distinct times, two sharing a timestamp, two without any
    message (NULL last_message_at, listed last)."""
    tenant = await make_tenant()
    number = await insert_number(admin_conn, tenant.id, box)
    now = datetime.now(UTC).replace(microsecond=0)
    times: list[datetime | None] = [now - timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6, 7)]
    times += [now - timedelta(minutes=10)] * 2 + [None, None]
    for i, at in enumerate(times):
        await insert_conversation(
            admin_conn,
            tenant.id,
            number_id=number,
            last_message_at=at,
            profile_name=f"Paged {i}",
            status="open" if i % 2 else "pending",
        )
    return tenant


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9, 10, 11, 50])
async def test_pages_cover_everything_once_in_order(
    api: ApiClient, many: TenantData, admin_conn: Connection, limit: int
) -> None:
    expected = await inbox_order(admin_conn, many.id)
    assert len(expected) == 11
    pages = await every_page(api, many[Role.AGENT], limit=limit)
    assert [len(p) for p in pages[:-1]] == [limit] * (len(pages) - 1)
    assert 1 <= len(pages[-1]) <= limit
    assert [i for page in pages for i in page] == expected


async def test_pages_with_filter_and_search(
    api: ApiClient, many: TenantData, admin_conn: Connection
) -> None:
    agent = many[Role.AGENT]
    rows = await admin_conn.fetch(
        "SELECT id, status FROM conversations WHERE tenant_id = $1", many.id
    )
    statuses = {r["id"]: r["status"] for r in rows}
    expected = [i for i in await inbox_order(admin_conn, many.id) if statuses[i] == "open"]
    for params in ({"status": "open"}, {"status": "open", "q": "paged"}):
        pages = await every_page(api, agent, limit=2, **params)
        assert [i for page in pages for i in page] == expected
    # A search over all of them, crossing into the conversations without messages.
    pages = await every_page(api, agent, limit=4, q="Paged")
    assert [i for page in pages for i in page] == await inbox_order(admin_conn, many.id)


async def test_a_new_message_does_not_shift_the_next_page(
    api: ApiClient, many: TenantData, admin_conn: Connection
) -> None:
    agent = many[Role.AGENT]
    first = await listing(api, agent, limit=3)
    order = await inbox_order(admin_conn, many.id)
    # The fifth conversation gets a message: it jumps to the top, which the next page (keyed on
    # the third row, not an offset) neither repeats nor skips over.
    await admin_conn.execute(
        "UPDATE conversations SET last_message_at = now() WHERE id = $1", order[4]
    )
    assert first.next_cursor is not None
    second = await listing(api, agent, limit=3, cursor=first.next_cursor)
    assert [c.id for c in second.items] == [order[3], order[5], order[6]]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSORS = [
    "not a cursor!",
    "@@@@",
    _b64(b"not json"),
    _b64(b'{"at": "2024-01-01T00:00:00Z"}'),
    _b64(b'["2024-01-01T00:00:00+00:00"]'),
    _b64(b'["2024-01-01T00:00:00+00:00", "not-a-uuid"]'),
    _b64(b'["yesterday", "6f1c8f2e-1d1b-4f8e-9a55-3f7c3c6f0a01"]'),
    _b64(b'["2024-01-01T00:00:00", "6f1c8f2e-1d1b-4f8e-9a55-3f7c3c6f0a01"]'),  # naive
    _b64(b'[1704067200, "6f1c8f2e-1d1b-4f8e-9a55-3f7c3c6f0a01"]'),
    _b64('["2024-01-01T00:00:00Z", "é"]'.encode()),
    "é",
    _b64(b'["0001-01-01T00:00:00+05:00", "6f1c8f2e-1d1b-4f8e-9a55-3f7c3c6f0a01"]'),  # < year 1
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
async def test_bad_cursor_is_400(api: ApiClient, inbox: Inbox, cursor: str) -> None:
    headers = inbox.tenant[Role.AGENT].headers
    for path in (BASE, f"{BASE}/{inbox.mine}/messages"):
        resp = await api.get(path, params={"cursor": cursor}, headers=headers)
        problem = await problem_of(resp, 400)
        assert problem.detail is not None
        assert problem.detail.startswith("invalid cursor")
        assert "\n" not in problem.detail


async def test_message_cursor_needs_a_timestamp(api: ApiClient, inbox: Inbox) -> None:
    # A conversation cursor may carry a null timestamp (no messages yet); a message's never does.
    cursor = _b64(f'[null, "{uuid.uuid4()}"]'.encode())
    headers = inbox.tenant[Role.AGENT].headers
    resp = await api.get(BASE, params={"cursor": cursor}, headers=headers)
    assert resp.status == 200
    resp = await api.get(
        f"{BASE}/{inbox.mine}/messages", params={"cursor": cursor}, headers=headers
    )
    await problem_of(resp, 400)


# --- one conversation, its messages ----------------------------------------------------------


async def test_messages_newest_first_in_pages(
    api: ApiClient, inbox: Inbox, admin_conn: Connection
) -> None:
    tenant = inbox.tenant
    agent = tenant[Role.AGENT]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    made: list[tuple[datetime, uuid.UUID]] = []
    for minute in (0, 1, 2, 2, 2, 3, 4):  # three share a timestamp: ordered by id
        at = start + timedelta(minutes=minute)
        mid = await insert_message(
            admin_conn, tenant.id, conversation_id=inbox.mine, text=f"m{minute}", created_at=at
        )
        made.append((at, mid))
    # Another conversation's message never shows up in this one.
    await insert_message(admin_conn, tenant.id, conversation_id=inbox.fresh, text="elsewhere")
    expected = [mid for _, mid in sorted(made, reverse=True)]

    got: list[uuid.UUID] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        resp = await api.get(f"{BASE}/{inbox.mine}/messages", params=params, headers=agent.headers)
        assert resp.status == 200, await resp.text()
        page = MessageList.model_validate(await resp.json())
        got += [m.id for m in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert got == expected


async def test_message_fields(api: ApiClient, inbox: Inbox, admin_conn: Connection) -> None:
    tenant = inbox.tenant
    agent = tenant[Role.AGENT]
    t0 = datetime.now(UTC) - timedelta(minutes=10)
    inbound = await insert_message(
        admin_conn,
        tenant.id,
        conversation_id=inbox.mine,
        text="Is it in stock?",
        wa_message_id="wamid.IN1",
        context={"from": "15550100", "id": "wamid.OUT0"},
        wa_timestamp=t0,
        created_at=t0,
    )
    failed = await insert_message(
        admin_conn,
        tenant.id,
        conversation_id=inbox.mine,
        direction="out",
        type="image",
        content={"link": "https://example.test/a.png", "caption": "this one"},
        text="this one",
        status="failed",
        error_code=131047,
        error_title="Re-engagement message",
        sent_by=agent.id,
        created_at=t0 + timedelta(minutes=1),
    )
    sent = await insert_message(
        admin_conn,
        tenant.id,
        conversation_id=inbox.mine,
        direction="out",
        text="Yes!",
        wa_message_id="wamid.OUT1",
        created_at=t0 + timedelta(minutes=2),
    )
    resp = await api.get(f"{BASE}/{inbox.mine}/messages", headers=agent.headers)
    assert resp.status == 200
    items = MessageList.model_validate(await resp.json()).items
    assert [m.id for m in items] == [sent, failed, inbound]
    m_sent, m_failed, m_in = items
    assert m_in.direction == "in"
    assert m_in.status is MessageStatus.RECEIVED
    assert m_in.text == "Is it in stock?"
    assert m_in.content == {"body": "Is it in stock?"}
    assert m_in.reply_to == "wamid.OUT0"
    assert m_in.wa_message_id == "wamid.IN1"
    assert m_in.wa_timestamp == t0
    assert m_in.error is None
    assert m_in.sent_by is None
    assert m_failed.status is MessageStatus.FAILED
    assert m_failed.type == "image"
    assert m_failed.content["caption"] == "this one"
    assert m_failed.error is not None
    assert m_failed.error.code == 131047
    assert m_failed.error.title == "Re-engagement message"
    assert m_failed.error.explanation  # falls back to the title when there's no sentence
    assert m_failed.sent_by == agent.id
    assert m_failed.reply_to is None
    assert m_sent.status is MessageStatus.SENT
    assert m_sent.error is None


async def test_unknown_ids_are_404(api: ApiClient, inbox: Inbox) -> None:
    headers = inbox.tenant[Role.AGENT].headers
    for target in (str(uuid.uuid4()), "not-a-uuid", "12"):
        for method, path, body in (
            ("GET", f"{BASE}/{target}", None),
            ("GET", f"{BASE}/{target}/messages", None),
            ("PATCH", f"{BASE}/{target}/read", None),
            ("PATCH", f"{BASE}/{target}/status", {"status": "resolved"}),
        ):
            resp = await api.request(method, path, json=body, headers=headers)
            await problem_of(resp, 404)


async def test_other_tenants_conversation_is_not_found(
    api: ApiClient, inbox: Inbox, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    intruder = await make_tenant()
    victim = inbox.fresh
    await insert_message(admin_conn, inbox.tenant.id, conversation_id=victim, text="private")
    snapshot = "SELECT to_jsonb(c) FROM conversations c WHERE id = $1"
    before = await admin_conn.fetchval(snapshot, victim)
    nobody = uuid.uuid4()
    for role in Role:
        headers = intruder[role].headers
        for method, path, body in (
            ("GET", f"{BASE}/{{}}", None),
            ("GET", f"{BASE}/{{}}/messages", None),
            ("PATCH", f"{BASE}/{{}}/read", None),
            ("PATCH", f"{BASE}/{{}}/status", {"status": "resolved"}),
        ):
            theirs = await api.request(method, path.format(victim), json=body, headers=headers)
            unknown = await api.request(method, path.format(nobody), json=body, headers=headers)
            p_theirs, p_unknown = await problem_of(theirs, 404), await problem_of(unknown, 404)
            assert (p_theirs.title, p_theirs.detail) == (p_unknown.title, p_unknown.detail)
        assert await ids(api, intruder[role]) == []
        assert await ids(api, intruder[role], q="private") == []
    after = await admin_conn.fetchval(snapshot, victim)
    assert after == before
    assert after["unread_count"] == 5


# --- read and status changes -----------------------------------------------------------------


async def test_read_resets_unread_and_tells_other_clients(api: ApiClient, inbox: Inbox) -> None:
    tenant = inbox.tenant
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    async with api.ws_connect("/api/v1/ws", headers=supervisor.headers) as ws:
        hello = await next_event(ws)
        assert isinstance(hello.event, Hello)

        resp = await api.patch(f"{BASE}/{inbox.fresh}/read", headers=agent.headers)
        assert resp.status == 200, await resp.text()
        out = ConversationOut.model_validate(await resp.json())
        assert out.id == inbox.fresh
        assert out.unread_count == 0

        envelope = await next_event(ws)
        assert envelope.seq == hello.seq + 1
        assert envelope.tenant_id == tenant.id
        assert isinstance(envelope.event, ConversationUpdated)
        assert envelope.event.conversation == out

        # Reading it again changes nothing and says nothing: the next event is the next change.
        again = await api.patch(f"{BASE}/{inbox.fresh}/read", headers=agent.headers)
        assert again.status == 200
        assert ConversationOut.model_validate(await again.json()).unread_count == 0
        resp = await api.patch(
            f"{BASE}/{inbox.fresh}/status", json={"status": "pending"}, headers=agent.headers
        )
        assert resp.status == 200
        following = await next_event(ws)
        assert following.seq == envelope.seq + 1
        assert isinstance(following.event, ConversationUpdated)
        assert following.event.conversation.status is ConversationStatus.PENDING

    resp = await api.get(f"{BASE}/{inbox.fresh}", headers=agent.headers)
    assert ConversationOut.model_validate(await resp.json()).unread_count == 0
    assert await ids(api, agent, unread="true") == [inbox.mine]


async def test_status_change(api: ApiClient, inbox: Inbox) -> None:
    agent = inbox.tenant[Role.AGENT]
    async with api.ws_connect("/api/v1/ws", headers=agent.headers) as ws:
        hello = await next_event(ws)
        seq = hello.seq
        for status in ("resolved", "snoozed", "open"):
            resp = await api.patch(
                f"{BASE}/{inbox.old}/status", json={"status": status}, headers=agent.headers
            )
            assert resp.status == 200, await resp.text()
            out = ConversationOut.model_validate(await resp.json())
            assert out.status.value == status
            if status == "resolved":
                continue  # it already was: no change, no event (the next seq proves it)
            envelope = await next_event(ws)
            assert envelope.seq == seq + 1
            seq = envelope.seq
            assert isinstance(envelope.event, ConversationUpdated)
            assert envelope.event.conversation == out
    resp = await api.get(f"{BASE}/{inbox.old}", headers=agent.headers)
    out = ConversationOut.model_validate(await resp.json())
    assert out.status is ConversationStatus.OPEN
    assert out.updated_at > out.created_at


@pytest.mark.parametrize("body", [{"status": "closed"}, {}, {"status": "open", "extra": 1}])
async def test_status_change_validates_the_body(
    api: ApiClient, inbox: Inbox, body: dict[str, Any]
) -> None:
    resp = await api.patch(
        f"{BASE}/{inbox.old}/status", json=body, headers=inbox.tenant[Role.AGENT].headers
    )
    await problem_of(resp, 422)


# --- stats -----------------------------------------------------------------------------------


async def test_stats(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, box: SecretBox
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    agent = tenant[Role.AGENT]
    today: datetime = await admin_conn.fetchval("SELECT date_trunc('day', now(), 'UTC')")
    yesterday = today - timedelta(seconds=1)
    now = datetime.now(UTC)
    number = await insert_number(admin_conn, tenant.id, box)

    async def conv(**kwargs: Any) -> uuid.UUID:
        return await insert_conversation(admin_conn, tenant.id, number_id=number, **kwargs)

    a = await conv(unread_count=3, last_inbound_at=now - timedelta(hours=1))
    b = await conv(assigned_user_id=agent.id, last_inbound_at=now - timedelta(hours=30))
    await conv(status="pending", unread_count=1)
    await conv(status="resolved")
    await conv(status="resolved", last_inbound_at=now - timedelta(hours=23))

    async def msg(conversation_id: uuid.UUID, direction: str, **kwargs: Any) -> None:
        await insert_message(
            admin_conn, tenant.id, conversation_id=conversation_id, direction=direction, **kwargs
        )

    for _ in range(3):
        await msg(a, "in")
    await msg(b, "out")
    await msg(b, "out", status="failed", error_code=131026, error_explanation="Not on WhatsApp")
    await msg(a, "in", created_at=yesterday)
    await msg(b, "out", status="failed", error_code=131026, created_at=yesterday)
    # Another tenant's activity counts for nothing here.
    other_number = await insert_number(admin_conn, other.id, box)
    other_conv = await insert_conversation(
        admin_conn, other.id, number_id=other_number, unread_count=9, last_inbound_at=now
    )
    await insert_message(admin_conn, other.id, conversation_id=other_conv, direction="in")

    resp = await api.get(f"{BASE}/stats", headers=agent.headers)
    assert resp.status == 200, await resp.text()
    stats = ConversationStats.model_validate(await resp.json())
    assert stats == ConversationStats(
        by_status={
            ConversationStatus.OPEN: 2,
            ConversationStatus.PENDING: 1,
            ConversationStatus.SNOOZED: 0,
            ConversationStatus.RESOLVED: 2,
        },
        unassigned_open=1,
        unread_conversations=2,
        unread_messages=4,
        window_open=2,
        messages_today_in=3,
        messages_today_out=2,
        failed_today=1,
    )


async def test_stats_of_an_empty_tenant_are_zeros(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    resp = await api.get(f"{BASE}/stats", headers=tenant[Role.AGENT].headers)
    stats = ConversationStats.model_validate(await resp.json())
    assert stats.by_status == dict.fromkeys(ConversationStatus, 0)
    assert stats.model_dump(exclude={"by_status"}) == {
        "unassigned_open": 0,
        "unread_conversations": 0,
        "unread_messages": 0,
        "window_open": 0,
        "messages_today_in": 0,
        "messages_today_out": 0,
        "failed_today": 0,
    }


# --- the contract other code uses ------------------------------------------------------------


async def test_get_conversations_and_messages_keep_the_order_given(
    app_conn: Connection,
    inbox: Inbox,
    admin_conn: Connection,
    make_tenant: MakeTenant,
    box: SecretBox,
) -> None:
    other = await make_tenant()
    other_conv = await insert_conversation(
        admin_conn, other.id, number_id=await insert_number(admin_conn, other.id, box)
    )
    m1 = await insert_message(admin_conn, inbox.tenant.id, conversation_id=inbox.mine, text="1")
    m2 = await insert_message(admin_conn, inbox.tenant.id, conversation_id=inbox.old, text="2")
    m_other = await insert_message(admin_conn, other.id, conversation_id=other_conv, text="x")
    async with app_conn.transaction():
        await set_tenant(app_conn, inbox.tenant.id)
        rows = await db.get_conversations(
            app_conn, [inbox.old, other_conv, uuid.uuid4(), inbox.mine]
        )
        assert [r["id"] for r in rows] == [inbox.old, inbox.mine]
        rows = await db.get_messages(app_conn, [m2, m_other, m1])
        assert [r["id"] for r in rows] == [m2, m1]
        assert await db.get_conversation(app_conn, other_conv) is None


# --- the database: search views and plans ----------------------------------------------------


async def test_search_views_show_only_the_current_tenant(
    app_conn: Connection, admin_conn: Connection, searchable: SearchInbox
) -> None:
    tenant_id = searchable.tenant.id
    # Without a tenant: nothing, inside a transaction or not.
    for view in ("contact_search", "message_search"):
        assert await app_conn.fetchval(f"SELECT count(*) FROM {view}") == 0
    async with app_conn.transaction():
        await set_tenant(app_conn, tenant_id)
        contacts = await app_conn.fetch("SELECT tenant_id, id FROM contact_search")
        messages = await app_conn.fetch("SELECT tenant_id, conversation_id FROM message_search")
        # Even naming the ILIKE that another tenant's rows match finds nothing of theirs.
        leaked = await app_conn.fetchval(
            "SELECT count(*) FROM message_search WHERE tenant_id <> $1 AND text ILIKE '%pedido%'",
            tenant_id,
        )
    assert leaked == 0
    assert {r["tenant_id"] for r in contacts} == {tenant_id}
    assert {r["tenant_id"] for r in messages} == {tenant_id}
    assert len(contacts) == await admin_conn.fetchval(
        "SELECT count(*) FROM contacts WHERE tenant_id = $1", tenant_id
    )
    assert len(messages) == await admin_conn.fetchval(
        "SELECT count(*) FROM messages WHERE tenant_id = $1", tenant_id
    )


async def test_search_uses_the_trigram_indexes(
    app_conn: Connection, admin_conn: Connection, make_tenant: MakeTenant, box: SecretBox
) -> None:
    """With 20k conversations and 20k messages, vacuumed and analysed as autovacuum would, the
    planner picks a bitmap scan of each trigram index for the daemon's own role under row-level
    security, on its own: no planner setting is touched. (Before the vacuum the rows sit in the
    GIN indexes' pending lists, which the planner rightly costs as slow.)"""
    tenant = await make_tenant()
    number = await insert_number(admin_conn, tenant.id, box)
    await bulk_inbox(admin_conn, tenant.id, number_id=number, conversations=20_000, messages=20_000)
    await admin_conn.execute("VACUUM ANALYZE contacts, conversations, messages")

    async def plan(search: str) -> str:
        sql, args = db.list_conversations_query(
            db.ConversationFilters(search=search), after=None, limit=51
        )
        async with app_conn.transaction():
            await set_tenant(app_conn, tenant.id)
            assert await app_conn.fetchval("SELECT current_user") == "pytake_app"
            rows = await app_conn.fetch(f"EXPLAIN {sql}", *args)
        return "\n".join(r[0] for r in rows)

    for search in ("c0ffee1", "+55 11 98765-4321"):
        text = await plan(search)
        assert "Bitmap Index Scan on contacts_search_idx" in text, text
        assert "Bitmap Index Scan on messages_text_idx" in text, text
        assert "Seq Scan on contacts" not in text, text
        assert "Seq Scan on messages" not in text, text
