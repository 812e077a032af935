"""Security alerts name people and tokens (not their ids), and the off-hours rule keeps the
tenant's own business hours (issue 19 walkthrough: "admin 3f2c… did token.revoke" toasts, and an
off-hours alert on the first save of the business hours)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.audit import AlertKind, SecurityAlertOut
from pytake_daemon.protocol.queues import WEEKDAYS
from tests.audit.test_alerts import alerting_api, alerts
from tests.conftest import ApiClient, MakeTenant
from tests.support import Member

__all__ = ["alerting_api"]  # the fixture, imported for this module's tests

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ALL_DAY = {day: [["00:00", "24:00"]] for day in WEEKDAYS}


def profile(hours: dict[str, Any]) -> dict[str, Any]:
    return {"business_name": "Loja", "segment": "retail", "timezone": "UTC",
            "business_hours": hours}  # fmt: skip


async def off_hours(api: ApiClient, admin: Member) -> list[SecurityAlertOut]:
    listed = (await alerts(api, admin.headers)).items
    return [a for a in listed if a.kind is AlertKind.OFF_HOURS_ADMIN]


async def test_alerts_say_emails_and_token_names(
    alerting_api: ApiClient, make_tenant: MakeTenant
) -> None:
    """The daemon's hours never are (alerting_api), so the revoke is off-hours work."""
    api = alerting_api
    tenant = await make_tenant()
    owner, admin, agent = tenant[Role.OWNER], tenant[Role.ADMIN], tenant[Role.AGENT]
    made = await api.post("/api/v1/tokens", json={"name": "ci deploy"}, headers=admin.headers)
    assert made.status == 201
    token_id = (await made.json())["info"]["id"]
    raised = await api.patch(
        f"/api/v1/users/{agent.id}", json={"role": "admin"}, headers=admin.headers
    )
    assert raised.status == 200
    revoked = await api.delete(f"/api/v1/tokens/{token_id}", headers=owner.headers)
    assert revoked.status == 204

    listed = {a.kind: a for a in (await alerts(api, admin.headers)).items}
    created = listed[AlertKind.TOKEN_CREATED]
    assert created.summary == f"{admin.email} created the API token “ci deploy”"
    escalation = listed[AlertKind.ROLE_ESCALATION]
    assert escalation.subject == agent.email
    assert escalation.summary == f"{admin.email} raised {agent.email} from agent to admin"
    # One per actor and hour, for the first action: the admin's token, the owner's revoke.
    late = {a.subject: a.summary for a in await off_hours(api, admin)}
    # The action said in words (its id stays in the audit entry behind the alert).
    assert late == {
        admin.email: f"admin {admin.email} did “Token created” (API token “ci deploy”) "
        "outside business hours",
        owner.email: f"owner {owner.email} did “Token revoked” (API token “ci deploy”) "
        "outside business hours",
    }
    # In Portuguese, the action, the roles and the target's words too.
    portuguese = {**admin.headers, "Accept-Language": "pt-BR"}
    said = {a.kind: a.summary for a in (await alerts(api, portuguese)).items}
    assert said[AlertKind.ROLE_ESCALATION] == (
        f"{admin.email} promoveu {agent.email} de atendente para administrador"
    )
    late_pt = {
        a.subject: a.summary
        for a in (await alerts(api, portuguese)).items
        if a.kind is AlertKind.OFF_HOURS_ADMIN
    }
    assert late_pt == {
        admin.email: f"administrador {admin.email} fez “Token criado” (token de API “ci deploy”) "
        "fora do horário comercial",
        owner.email: f"proprietário {owner.email} fez “Token revogado” "
        "(token de API “ci deploy”) fora do horário comercial",
    }
    for alert in (await alerts(api, admin.headers)).items:
        assert not UUID.search(alert.summary + alert.subject), alert


async def test_off_hours_follow_the_tenants_own_hours(
    alerting_api: ApiClient, make_tenant: MakeTenant
) -> None:
    api = alerting_api
    tenant = await make_tenant()
    owner = tenant[Role.OWNER]
    # The first save of the hours: the tenant had none to be outside of (was an alert).
    closed_day = WEEKDAYS[(datetime.now(UTC) + timedelta(days=3)).weekday()]
    saved = await api.put(
        "/api/v1/tenant/profile", json=profile({closed_day: [["09:00", "18:00"]]}),
        headers=owner.headers,
    )  # fmt: skip
    assert saved.status == 200, await saved.text()
    assert await off_hours(api, owner) == []
    # Now they are the tenant's: work on a day they don't open is off hours...
    made = await api.post("/api/v1/tokens", json={"name": "late"}, headers=owner.headers)
    assert made.status == 201
    (late,) = await off_hours(api, owner)
    assert "“Token created” (API token “late”)" in late.summary


async def test_hours_open_now_raise_nothing(
    alerting_api: ApiClient, make_tenant: MakeTenant
) -> None:
    """The daemon's default hours never are, the tenant's always: the tenant's win."""
    api = alerting_api
    tenant = await make_tenant()
    owner = tenant[Role.OWNER]
    saved = await api.put("/api/v1/tenant/profile", json=profile(ALL_DAY), headers=owner.headers)
    assert saved.status == 200, await saved.text()
    again = await api.put(
        "/api/v1/tenant/profile", json={**profile(ALL_DAY), "business_name": "Loja 2"},
        headers=owner.headers,
    )  # fmt: skip
    assert again.status == 200
    made = await api.post("/api/v1/tokens", json={"name": "day"}, headers=owner.headers)
    assert made.status == 201
    assert await off_hours(api, owner) == []
