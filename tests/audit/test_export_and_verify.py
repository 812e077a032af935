"""Export with chain data verified offline by the procedure in docs/audit.md; tampering found
by `pytake audit verify`; signed checkpoints catch a truncated tail."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pytake_cli.main import app
from pytake_daemon.audit.signing import generate_key
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role
from tests.audit.support import drain
from tests.conftest import ApiClient, MakeTenant
from tests.support import TenantData

runner = CliRunner()


def cli_env(settings: Settings, **extra: str) -> dict[str, str | None]:
    assert settings.database.url
    assert settings.database.admin_url
    assert settings.redis.url
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PYTAKE_")}
    env.update(
        PYTAKE_DATABASE__URL=settings.database.url.get_secret_value(),
        PYTAKE_DATABASE__ADMIN_URL=settings.database.admin_url.get_secret_value(),
        PYTAKE_DATABASE__APP_ROLE=settings.database.app_role,
        PYTAKE_REDIS__URL=settings.redis.url.get_secret_value(),
        PYTAKE_REDIS__KEY_PREFIX=settings.redis.key_prefix,
        PYTAKE_STATE_DIR=str(settings.state_dir),
        PYTAKE_LOGGING__LEVEL="warning",
        **extra,
    )
    return env


async def cli(settings: Settings, *args: str, **extra: str) -> Result:
    # The CLI runs asyncio.run itself: give it a thread without a running loop.
    return await asyncio.to_thread(runner.invoke, app, list(args), env=cli_env(settings, **extra))


async def make_history(api: ApiClient, tenant: TenantData, n: int = 4, prefix: str = "x") -> None:
    admin = tenant[Role.ADMIN]
    for i in range(n):
        body = {
            "email": f"{prefix}{i}@example.test",
            "name": f"X ñ {i}",
            "password": "long-enough-pw",
        }
        assert (await api.post("/api/v1/users", json=body, headers=admin.headers)).status == 201
    await drain(api)


def offline_verifier(repo_root: Path, tmp_path: Path) -> Path:
    doc = (repo_root / "docs" / "audit.md").read_text()
    match = re.search(r"<!-- offline-verifier -->\n```python\n(.*?)```", doc, re.S)
    assert match, "docs/audit.md lost its offline verification procedure"
    script = tmp_path / "verify_audit_export.py"
    script.write_text(match.group(1))
    return script


def run_offline(script: Path, export: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(script), str(export)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_an_api_export_verifies_offline_with_the_documented_procedure(
    api: ApiClient, make_tenant: MakeTenant, repo_root: Path, tmp_path: Path, fmt: str
) -> None:
    tenant = await make_tenant()
    await make_history(api, tenant)
    resp = await api.get(
        "/api/v1/audit/export", params={"format": fmt}, headers=tenant[Role.OWNER].headers
    )
    assert resp.status == 200
    export = tmp_path / f"audit.{fmt}"
    export.write_bytes(await resp.read())
    script = offline_verifier(repo_root, tmp_path)

    result = run_offline(script, export)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: 5 entries, last seq 5")  # 4 users + the export

    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "x1@example.test" in line)
    lines[at] = lines[at].replace("x1@example.test", "x9@example.test")
    export.write_text("".join(lines), encoding="utf-8")
    result = run_offline(script, export)
    assert result.returncode == 1
    assert result.stdout.startswith("entry seq 2 ")  # the second user's creation


async def test_verify_names_the_entry_modified_directly_in_postgres(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, settings: Settings
) -> None:
    tenant = await make_tenant()
    await make_history(api, tenant, n=5)
    ok = await cli(settings, "audit", "verify", "--tenant", tenant.slug)
    assert ok.exit_code == 0, ok.output
    assert f"ok {tenant.slug}: 5 entries verified" in ok.output

    async with admin_conn.transaction():
        # The owner can only get past the trigger by disabling it.
        await admin_conn.execute(
            "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete"
        )
        entry_id = await admin_conn.fetchval(
            "UPDATE audit_entries SET actor_label = 'someone else'"
            " WHERE tenant_id = $1 AND seq = 3 RETURNING id",
            tenant.id,
        )
        await admin_conn.execute(
            "ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete"
        )
    broken = await cli(settings, "audit", "verify", "--tenant", tenant.slug, "--json")
    assert broken.exit_code == 1
    (report,) = json.loads(broken.stdout)
    assert report["first_bad_entry"]["seq"] == 3
    assert report["first_bad_entry"]["id"] == str(entry_id)
    assert "modified" in report["first_bad_entry"]["reason"]


async def test_a_checkpoint_catches_a_truncated_tail(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, settings: Settings
) -> None:
    tenant = await make_tenant()
    await make_history(api, tenant, n=3)
    key = generate_key()
    signed = await cli(
        settings, "audit", "checkpoint", "--tenant", tenant.slug, PYTAKE_AUDIT__CHECKPOINT_KEY=key
    )
    assert signed.exit_code == 0, signed.output
    assert f"signed {tenant.slug} at seq 3" in signed.output
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        await admin_conn.execute("SELECT set_config('pytake.audit_archiving', 'on', true)")
        await admin_conn.execute(
            "DELETE FROM audit_entries WHERE tenant_id = $1 AND seq = 3", tenant.id
        )
    broken = await cli(settings, "audit", "verify", "--tenant", tenant.slug)
    assert broken.exit_code == 1
    assert "checkpoint at seq 3" in broken.output


async def test_archive_moves_old_entries_out_and_the_chain_still_verifies(
    api: ApiClient, make_tenant: MakeTenant, settings: Settings, repo_root: Path, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    await make_history(api, tenant, n=3)
    archived = await cli(
        settings,
        "audit",
        "archive",
        "--tenant",
        tenant.slug,
        "--output-dir",
        str(tmp_path),
        "--before",
        "2999-01-01",
    )
    assert archived.exit_code == 0, archived.output
    assert "archived and removed 3 entries" in archived.output
    files = list(tmp_path.glob("audit-*.jsonl"))
    assert len(files) == 1
    result = run_offline(offline_verifier(repo_root, tmp_path), files[0])
    assert result.returncode == 0
    assert result.stdout.startswith("ok: 3 entries")

    await make_history(api, tenant, n=1, prefix="y")  # appends continue the chain from the anchor
    ok = await cli(settings, "audit", "verify", "--tenant", tenant.slug)
    assert ok.exit_code == 0, ok.output
    assert "2 entries verified (head seq 5)" in ok.output  # audit.archive + the new user
