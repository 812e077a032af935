"""The backups API (what the TUI uses) and the ``pytake backup`` CLI with trustworthy exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyrage import x25519
from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.backups import (
    BackupHealth,
    BackupList,
    BackupManifest,
    BackupRunList,
    VerifyResult,
)
from tests.conftest import ApiClient, MakeTenant

runner = CliRunner()


async def test_api_backs_up_own_tenant_lists_and_verifies(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    a, b = await make_tenant(), await make_tenant()
    agent = await api.post("/api/v1/backups", json={}, headers=a[Role.AGENT].headers)
    assert agent.status == 403
    made = await api.post("/api/v1/backups", json={"note": "api"}, headers=a[Role.ADMIN].headers)
    assert made.status == 201, await made.text()
    manifest = BackupManifest.model_validate(await made.json())
    assert manifest.tenant_id == a.id
    assert manifest.note == "api"

    listed = await api.get("/api/v1/backups", headers=a[Role.SUPERVISOR].headers)
    ids = {m.id for m in BackupList.model_validate(await listed.json()).items}
    assert manifest.id in ids
    other = await api.get("/api/v1/backups", headers=b[Role.SUPERVISOR].headers)
    assert manifest.id not in {m.id for m in BackupList.model_validate(await other.json()).items}

    checked = await api.post(f"/api/v1/backups/{manifest.id}/verify", headers=a[Role.ADMIN].headers)
    assert VerifyResult.model_validate(await checked.json()).ok
    hidden = await api.post(f"/api/v1/backups/{manifest.id}/verify", headers=b[Role.ADMIN].headers)
    assert hidden.status == 404

    runs = await api.get("/api/v1/backups/runs", headers=a[Role.SUPERVISOR].headers)
    kinds = {(r.kind, r.backup_id) for r in BackupRunList.model_validate(await runs.json()).items}
    assert {("backup", manifest.id), ("verify", manifest.id)} <= kinds
    health = await api.get("/api/v1/backups/health", headers=a[Role.SUPERVISOR].headers)
    mine = BackupHealth.model_validate(await health.json())
    assert mine.backup_cron
    # The tenant's own backup shows in its health (the console's header), not in another's.
    assert mine.tenant_last_success_at is not None
    assert mine.tenant_last_success_at >= manifest.created_at
    theirs = await api.get("/api/v1/backups/health", headers=b[Role.SUPERVISOR].headers)
    assert BackupHealth.model_validate(await theirs.json()).tenant_last_success_at is None


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path, backup_key: x25519.Identity) -> dict[str, str]:
    import os

    assert settings.database.url
    assert settings.database.admin_url
    assert settings.redis.url
    env: dict[str, str] = {k: "" for k in os.environ if k.startswith("PYTAKE_")}
    env.update(
        PYTAKE_DATABASE__URL=settings.database.url.get_secret_value(),
        PYTAKE_DATABASE__ADMIN_URL=settings.database.admin_url.get_secret_value(),
        PYTAKE_REDIS__URL=settings.redis.url.get_secret_value(),
        PYTAKE_REDIS__KEY_PREFIX=settings.redis.key_prefix,
        PYTAKE_STATE_DIR=str(tmp_path),
        PYTAKE_BACKUPS__IDENTITIES=str(backup_key),
        PYTAKE_LOGGING__LEVEL="warning",
    )
    return {k: v for k, v in env.items() if v}


def _cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


async def test_cli_round_trip_and_exit_codes(
    cli_env: dict[str, str], make_tenant: MakeTenant, admin_conn: object, tmp_path: Path
) -> None:
    import asyncio

    tenant = await make_tenant()

    def scenario() -> None:
        code, out, err = _cli(cli_env, "backup", "create", "--tenant", tenant.slug, "--json")
        assert code == 0, err
        backup_id = json.loads(out)["id"]
        code, out, _ = _cli(cli_env, "backup", "list", "--json")
        assert backup_id in {m["id"] for m in json.loads(out)}
        code, out, _ = _cli(cli_env, "backup", "verify", backup_id, "--json")
        assert code == 0
        assert json.loads(out)["ok"]
        code, _, err = _cli(cli_env, "backup", "restore", backup_id)
        assert code == 2
        assert "exactly one of" in err
        code, out, err = _cli(
            cli_env, "backup", "restore", backup_id, "--tenant", tenant.slug, "--yes", "--json"
        )
        assert code == 0, err
        assert json.loads(out)["rows"]["users"] == 4
        code, _, err = _cli(cli_env, "backup", "schedule", "set", "--backup", "every day")
        assert code == 2
        assert "schedule 'every day'" in err
        code, out, _ = _cli(cli_env, "backup", "schedule", "show", "--json")
        assert code == 0
        assert json.loads(out)["backup_cron"]
        code, _, err = _cli(cli_env, "backup", "show", "no-such-backup")
        assert code == 1
        assert "no backup no-such-backup" in err
        stored = next((tmp_path / "backups").glob(f"{backup_id}*.age"))
        data = bytearray(stored.read_bytes())
        data[-1] ^= 1
        stored.write_bytes(data)
        code, out, err = _cli(cli_env, "backup", "verify", backup_id)
        assert code == 1
        assert "NOT good" in err

    await asyncio.to_thread(scenario)
