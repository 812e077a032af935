"""Ending a challenge early (``POST …/challenges/{id}/end``): its last day becomes today in the
tenant's zone, so today's work still counts; one not started or already over is a 409 that says
what to do; supervisors only, within their tenant, audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.errors import Conflict
from pytake_daemon.gamification import service
from pytake_daemon.keys import DB_POOL
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.gamification import ChallengeOut
from tests.conftest import ApiClient, MakeTenant

BASE = "/api/v1/gamification/challenges"
WEEK = {
    "title": "Ten resolved this week",
    "metric": "resolved",
    "threshold": 10,
    "first_day": "2026-03-23",
    "last_day": "2026-03-29",
}


async def test_ending_moves_the_last_day_to_today_in_the_tenants_zone(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    resp = await api.post(BASE, json=WEEK, headers=tenant[Role.SUPERVISOR].headers)
    assert resp.status == 201, await resp.text()
    challenge = ChallengeOut.model_validate(await resp.json())
    pool = api.app[DB_POOL]
    async with tenant_transaction(pool, tenant.id) as conn:
        await conn.execute(
            "INSERT INTO tenant_profiles (tenant_id, business_name, segment, timezone, language)"
            " VALUES ($1, 'Loja', 'retail', 'America/Sao_Paulo', 'en')"
            " ON CONFLICT (tenant_id) DO UPDATE SET timezone = EXCLUDED.timezone",
            tenant.id,
        )
    # 02:00 UTC on the 26th is still the 25th in São Paulo (UTC-3).
    async with tenant_transaction(pool, tenant.id) as conn:
        before, after = await service.end_challenge(
            conn, challenge.id, datetime(2026, 3, 26, 2, tzinfo=UTC)
        )
    assert (before["last_day"], after["last_day"]) == (date(2026, 3, 29), date(2026, 3, 25))
    assert (after["title"], after["threshold"], after["first_day"]) == (
        "Ten resolved this week", 10, date(2026, 3, 23),
    )  # fmt: skip
    for moment, why in (
        (datetime(2026, 3, 26, 12, tzinfo=UTC), "ends on 2026-03-25 already"),
        (datetime(2026, 3, 20, 12, tzinfo=UTC), "starts on 2026-03-23: remove it instead"),
    ):
        async with tenant_transaction(pool, tenant.id) as conn:
            with pytest.raises(Conflict) as refused:
                await service.end_challenge(conn, challenge.id, moment)
        assert why in str(refused.value)


async def test_supervisors_end_a_running_challenge_audited(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    today = datetime.now(UTC).date()  # the route reads the wall clock; a week around it
    body = {**WEEK, "first_day": str(today - timedelta(3)), "last_day": str(today + timedelta(3))}
    resp = await api.post(BASE, json=body, headers=tenant[Role.SUPERVISOR].headers)
    challenge = ChallengeOut.model_validate(await resp.json())
    end = f"{BASE}/{challenge.id}/end"
    assert (await api.post(end, headers=tenant[Role.AGENT].headers)).status == 403
    assert (await api.post(end, headers=other[Role.SUPERVISOR].headers)).status == 404
    resp = await api.post(end, headers=tenant[Role.SUPERVISOR].headers)
    assert resp.status == 200, await resp.text()
    assert ChallengeOut.model_validate(await resp.json()).last_day == today
    again = await api.post(end, headers=tenant[Role.SUPERVISOR].headers)
    assert again.status == 409
    assert "already" in (await again.json())["detail"]
    rows = await admin_conn.fetch(
        "SELECT action, diff FROM audit_entries WHERE tenant_id = $1"
        " AND action = 'gamification.challenge.end'",
        tenant.id,
    )
    assert [r["diff"] for r in rows] == [
        {"last_day": {"before": str(today + timedelta(3)), "after": str(today)}}
    ]
