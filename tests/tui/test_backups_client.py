"""The backups screen's DaemonClient calls against the real daemon (app, PostgreSQL, Redis and
the local backup store): back up the tenant, list, runs, health, verify, and the refusals."""

from __future__ import annotations

import pytest

from pytake_daemon.protocol import Role
from pytake_tui.client import DaemonClient, DaemonError
from tests.conftest import ApiClient, MakeTenant
from tests.support import Member


def _client(api: ApiClient, member: Member) -> DaemonClient:
    return DaemonClient(str(api.make_url("/")), token=member.token)


async def test_backup_list_runs_health_and_verify(api: ApiClient, make_tenant: MakeTenant) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    async with _client(api, tenant[Role.ADMIN]) as admin:
        made = await admin.create_backup(note="from the console")
        assert made.scope == "tenant"
        assert made.tenant_id == tenant.id
        assert made.note == "from the console"
        assert made.stored_bytes > 0

        result = await admin.verify_backup(made.id)
        assert result.ok
        assert result.backup_id == made.id

    async with _client(api, tenant[Role.SUPERVISOR]) as supervisor:
        listed = await supervisor.backups()
        assert made.id in {m.id for m in listed.items}
        runs = await supervisor.backup_runs()
        kinds = {(r.kind, r.status) for r in runs.items if r.backup_id == made.id}
        assert {("backup", "succeeded"), ("verify", "succeeded")} <= kinds
        health = await supervisor.backup_health()
        assert health.backup_cron
        assert health.failures_since_success >= 0

        with pytest.raises(DaemonError) as refused:
            await supervisor.create_backup()
        assert refused.value.status == 403
        with pytest.raises(DaemonError) as refused:
            await supervisor.verify_backup(made.id)
        assert refused.value.status == 403

    async with _client(api, other[Role.ADMIN]) as stranger:
        assert made.id not in {m.id for m in (await stranger.backups()).items}
        with pytest.raises(DaemonError) as hidden:
            await stranger.verify_backup(made.id)
        assert hidden.value.status == 404
        with pytest.raises(DaemonError) as unknown:
            await stranger.verify_backup("no/such backup")
        assert unknown.value.status == 404

    async with _client(api, tenant[Role.AGENT]) as agent:
        with pytest.raises(DaemonError) as refused:
            await agent.backup_health()
        assert refused.value.status == 403
