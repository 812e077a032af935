"""Security alerts: raised from audit entries, linked to them, sent to admins only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import WSMsgType

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Hello, Role, UserChanged, parse_server_event
from pytake_daemon.protocol.audit import AlertKind, AlertList, SecurityAlertRaised
from tests.audit.support import drain, entries
from tests.conftest import ApiClient, MakeTenant
from tests.support import unique_ip


@pytest.fixture
async def alerting_api(
    aiohttp_client: Callable[..., Awaitable[ApiClient]], settings: Settings, endpoints: Endpoints
) -> ApiClient:
    """The app behind a trusted proxy, with the brute-force alert at the throttle's limit (3)
    and business hours that never are (every admin action is "off hours")."""
    server = settings.server.model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    audit = settings.audit.model_copy(
        update={"brute_force_failures_per_user": 3, "business_days": []}
    )
    return await aiohttp_client(
        create_app(settings.model_copy(update={"server": server, "audit": audit}), endpoints)
    )


async def alerts(api: ApiClient, headers: dict[str, str]) -> AlertList:
    await drain(api)
    resp = await api.get("/api/v1/audit/alerts", headers=headers)
    assert resp.status == 200
    return AlertList.model_validate_json(await resp.read())


async def test_brute_force_locks_the_login_and_alerts_admins_only(
    alerting_api: ApiClient, make_tenant: MakeTenant
) -> None:
    api = alerting_api
    tenant = await make_tenant()
    owner, admin, agent = tenant[Role.OWNER], tenant[Role.ADMIN], tenant[Role.AGENT]
    ip = {"X-Forwarded-For": unique_ip()}
    async with (
        api.ws_connect("/api/v1/ws", headers=admin.headers) as admin_ws,
        api.ws_connect("/api/v1/ws", headers=agent.headers) as agent_ws,
    ):
        for ws in (admin_ws, agent_ws):
            assert isinstance(parse_server_event((await ws.receive(timeout=5)).data).event, Hello)
        statuses = []
        for _ in range(5):
            bad = {"email": owner.email, "password": "not-the-password"}
            statuses.append((await api.post("/api/v1/auth/login", json=bad, headers=ip)).status)
        assert statuses == [401, 401, 401, 429, 429]

        frame = await admin_ws.receive(timeout=5)
        assert frame.type is WSMsgType.TEXT
        event = parse_server_event(frame.data).event
        assert isinstance(event, SecurityAlertRaised)
        assert event.alert.kind is AlertKind.BRUTE_FORCE_USER
        assert event.alert.subject == owner.email
        # The agent's next frame is the next event everyone gets, not the alert.
        body = {"email": "later@example.test", "name": "L", "password": "long-enough-pw"}
        assert (await api.post("/api/v1/users", json=body, headers=admin.headers)).status == 201
        following = parse_server_event((await agent_ws.receive(timeout=5)).data).event
        assert isinstance(following, UserChanged)

    failures = await entries(api, admin, action="auth.login_failed")
    listed = (await alerts(api, admin.headers)).items
    brute = [a for a in listed if a.kind is AlertKind.BRUTE_FORCE_USER]
    assert len(brute) == 1  # one alert per burst, not per attempt
    assert set(brute[0].entry_ids) == {e.id for e in failures}
    assert len(failures) == 3


async def test_role_escalation_token_creation_and_off_hours_admin_work(
    alerting_api: ApiClient, make_tenant: MakeTenant
) -> None:
    api = alerting_api
    tenant = await make_tenant()
    admin, agent = tenant[Role.ADMIN], tenant[Role.AGENT]
    resp = await api.patch(
        f"/api/v1/users/{agent.id}", json={"role": "admin"}, headers=admin.headers
    )
    assert resp.status == 200
    resp = await api.post("/api/v1/tokens", json={"name": "ci"}, headers=admin.headers)
    assert resp.status == 201
    kinds = {a.kind for a in (await alerts(api, admin.headers)).items}
    assert {AlertKind.ROLE_ESCALATION, AlertKind.TOKEN_CREATED, AlertKind.OFF_HOURS_ADMIN} <= kinds
    (escalation,) = [
        a for a in (await alerts(api, admin.headers)).items if a.kind is AlertKind.ROLE_ESCALATION
    ]
    (change,) = await entries(api, admin, action="user.role_change")
    assert escalation.entry_ids == [change.id]


async def test_a_login_from_a_new_address_alerts(
    alerting_api: ApiClient, make_tenant: MakeTenant
) -> None:
    api = alerting_api
    tenant = await make_tenant()
    owner = tenant[Role.OWNER]
    good = {"email": owner.email, "password": "correct-horse-battery-staple"}
    first, second = unique_ip(), unique_ip()
    for ip in (first, first, second):
        resp = await api.post("/api/v1/auth/login", json=good, headers={"X-Forwarded-For": ip})
        assert resp.status == 200
    new_ip = [a for a in (await alerts(api, owner.headers)).items if a.kind is AlertKind.NEW_IP]
    assert len(new_ip) == 1
    assert new_ip[0].summary == f"{owner.email} logged in from a new address {second}"
    # Stored in English, listed in the reader's language (issue 22).
    in_portuguese = await alerts(api, {**owner.headers, "Accept-Language": "pt-BR"})
    said = [a.summary for a in in_portuguese.items if a.kind is AlertKind.NEW_IP]
    assert said == [f"{owner.email} entrou de um novo endereço {second}"]


async def test_trends_flag_a_spike_against_an_empty_baseline(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    for n in range(10):
        body = {"email": f"s{n}@example.test", "name": "S", "password": "long-enough-pw"}
        assert (await api.post("/api/v1/users", json=body, headers=admin.headers)).status == 201
    await drain(api)
    resp = await api.get("/api/v1/audit/trends", headers=admin.headers)
    assert resp.status == 200
    items = (await resp.json())["items"]
    assert items[0] == {
        "action": "user.create",
        "current": 10,
        "baseline": 0.0,
        "ratio": None,
        "spike": True,
    }
    resp = await api.get("/api/v1/audit/counts", headers=admin.headers)
    assert sum(b["count"] for b in (await resp.json())["items"]) == 10
