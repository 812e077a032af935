"""The notification center's API through the real app, PostgreSQL and Redis: a user's own
notifications only, filters, keyset pages, unread counts, read / unread / all read, delete,
bulk actions, clear 422s naming the field, and events that reach only their user's consoles."""

from __future__ import annotations

import asyncio
import uuid

from aiohttp import ClientWebSocketResponse

from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol import EventEnvelope, Hello, Problem, Role, parse_server_event
from pytake_daemon.protocol.events import Withheld
from pytake_daemon.protocol.notifications import (
    BulkResult,
    LinkKind,
    NotificationCategory,
    NotificationCreated,
    NotificationLink,
    NotificationOut,
    NotificationSeverity,
    NotificationsRead,
)
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.support import DEADLINE, center, tell, unread
from tests.support import Member

Cat, Sev = NotificationCategory, NotificationSeverity


def _intent(
    user: Member,
    n: int,
    cat: NotificationCategory = Cat.ASSIGNMENT,
    sev: NotificationSeverity = Sev.INFO,
) -> Intent:
    link = NotificationLink(kind=LinkKind.CONVERSATION, id=uuid.uuid4())
    return Intent(user.id, cat, sev, f"title {n}", f"body {n}", link)


async def test_center_filters_pages_and_read_state_of_the_callers_own_notifications(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    kinds = [(Cat.ASSIGNMENT, Sev.INFO), (Cat.MENTION, Sev.WARNING), (Cat.AI_ALERT, Sev.URGENT),
             (Cat.ASSIGNMENT, Sev.INFO), (Cat.TRANSFER, Sev.INFO)]  # fmt: skip
    for n, (cat, sev) in enumerate(kinds):
        assert await tell(api, tenant.id, _intent(agent, n, cat, sev)) == 1
    await tell(api, tenant.id, _intent(supervisor, 99))

    everything = await center(api, agent)
    assert [n.title for n in everything.items] == [f"title {n}" for n in (4, 3, 2, 1, 0)]
    assert everything.next_cursor is None
    # Keyset pages of two cover the same rows, in the same order, once each.
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await center(api, agent, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [n.title for n in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [n.title for n in everything.items]

    assert [n.title for n in (await center(api, agent, category="assignment")).items] == [
        "title 3", "title 0",
    ]  # fmt: skip
    assert [n.title for n in (await center(api, agent, severity="urgent")).items] == ["title 2"]
    counts = await unread(api, agent)
    assert counts.total == 5
    assert counts.by_category == {Cat.ASSIGNMENT: 2, Cat.MENTION: 1, Cat.AI_ALERT: 1,
                                  Cat.TRANSFER: 1}  # fmt: skip

    first = everything.items[-1]
    resp = await api.patch(
        f"/api/v1/notifications/{first.id}", json={"read": True}, headers=agent.headers
    )
    assert resp.status == 200, await resp.text()
    assert NotificationOut.model_validate(await resp.json()).read_at is not None
    assert [n.id for n in (await center(api, agent, read=True)).items] == [first.id]
    assert len((await center(api, agent, read=False)).items) == 4

    # Someone else's notification is not found, for reading and for changing.
    [theirs] = (await center(api, supervisor)).items
    for resp in (
        await api.get(f"/api/v1/notifications/{theirs.id}", headers=agent.headers),
        await api.patch(
            f"/api/v1/notifications/{theirs.id}", json={"read": True}, headers=agent.headers
        ),
        await api.delete(f"/api/v1/notifications/{theirs.id}", headers=agent.headers),
    ):
        assert resp.status == 404
    ids = [str(n.id) for n in everything.items[:2]] + [str(theirs.id)]
    resp = await api.post(
        "/api/v1/notifications/bulk", json={"action": "delete", "ids": ids}, headers=agent.headers
    )
    assert BulkResult.model_validate(await resp.json()).changed == 2
    assert (await unread(api, supervisor)).total == 1

    resp = await api.post(
        "/api/v1/notifications/read-all", json={"category": "ai_alert"}, headers=agent.headers
    )
    result = BulkResult.model_validate(await resp.json())
    assert (result.changed, result.unread.total) == (1, 1)
    resp = await api.post("/api/v1/notifications/read-all", json={}, headers=agent.headers)
    assert BulkResult.model_validate(await resp.json()).unread.total == 0
    resp = await api.post(
        "/api/v1/notifications/bulk",
        json={"action": "unread", "ids": [str(first.id)]},
        headers=agent.headers,
    )
    assert BulkResult.model_validate(await resp.json()).unread.by_category == {Cat.ASSIGNMENT: 1}


async def test_bad_input_is_a_422_naming_the_field(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    h = agent.headers
    base, prefs = "/api/v1/notifications", "/api/v1/notifications/preferences"
    one = [str(uuid.uuid4())]
    cases = [
        (api.get(f"{base}?category=weather", headers=h), "query.category"),
        (api.get(f"{base}?cursor=bm9wZQ", headers=h), "query.cursor"),
        (api.get(f"{base}?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", headers=h),
         "query"),
        (api.post(f"{base}/bulk", json={"action": "archive", "ids": one}, headers=h),
         "body.action"),
        (api.post(f"{base}/bulk", json={"action": "read", "ids": []}, headers=h), "body.ids"),
        (api.put(prefs, json={"timezone": "Mars/Olympus"}, headers=h), "body.timezone"),
        (api.put(prefs, json={"per_minute_cap": 0}, headers=h), "body.per_minute_cap"),
        (api.put(prefs, json={"quiet_hours": {"start": "25:00", "end": "07:00"}}, headers=h),
         "body.quiet_hours.start"),
        (api.put(prefs, json={"digest": "weekly"}, headers=h), "body.digest"),
        (api.put(prefs, json={"dnd_until": "2026-12-05T18:00:00"}, headers=h), "body.dnd_until"),
    ]  # fmt: skip
    for request, loc in cases:
        resp = await request
        assert resp.status == 422, (loc, await resp.text())
        problem = Problem.model_validate(await resp.json())
        assert problem.errors, loc
        assert problem.errors[0].loc.startswith(loc), (loc, problem)
    resp = await api.put(
        "/api/v1/notifications/settings", json={"retention_days": 30}, headers=agent.headers
    )
    assert resp.status == 403


async def _next(ws: ClientWebSocketResponse, kinds: tuple[type, ...]) -> EventEnvelope:
    while True:
        raw = await asyncio.wait_for(ws.receive_str(), timeout=DEADLINE)
        envelope = parse_server_event(raw)
        if isinstance(envelope.event, kinds):
            return envelope


async def test_notification_events_reach_only_their_users_consoles_without_a_gap(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent, supervisor = tenant[Role.AGENT], tenant[Role.SUPERVISOR]
    mine = await api.ws_connect("/api/v1/ws", headers=agent.headers)
    also_mine = await api.ws_connect("/api/v1/ws", headers=agent.headers)
    other = await api.ws_connect("/api/v1/ws", headers=supervisor.headers)
    for ws in (mine, also_mine, other):
        assert isinstance((await _next(ws, (Hello,))).event, Hello)

    await tell(api, tenant.id, _intent(agent, 1, Cat.MENTION, Sev.WARNING))
    created = [await _next(ws, (NotificationCreated,)) for ws in (mine, also_mine)]
    stand_in = await _next(other, (Withheld, NotificationCreated))
    assert isinstance(stand_in.event, Withheld)
    assert stand_in.seq == created[0].seq == created[1].seq
    event = created[0].event
    assert isinstance(event, NotificationCreated)
    assert (event.user_id, event.notification.title, event.unread.total) == (agent.id, "title 1", 1)
    assert event.delivery.console
    assert event.delivery.desktop

    resp = await api.post("/api/v1/notifications/read-all", json={}, headers=agent.headers)
    assert resp.status == 200
    for ws in (mine, also_mine):
        read = (await _next(ws, (NotificationsRead,))).event
        assert isinstance(read, NotificationsRead)
        assert (read.all, read.change, read.unread.total) == (True, "read", 0)
    assert isinstance((await _next(other, (Withheld, NotificationsRead))).event, Withheld)
    for ws in (mine, also_mine, other):
        await ws.close()
