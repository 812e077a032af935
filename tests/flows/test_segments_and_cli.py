"""The shipped segment flows pass their scripts; ``pytake flow validate|test`` exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.flows.testing import run_script
from pytake_daemon.flows.validation import check_document
from pytake_daemon.protocol.flows import FlowTestScript
from tests.conftest import MakeTenant

SEGMENTS = Path(__file__).resolve().parents[2] / "flows" / "segments"
FLOWS = sorted(p for p in SEGMENTS.glob("*.yaml") if not p.name.endswith(".test.yaml"))
runner = CliRunner()


def cli_env(settings: Settings) -> dict[str, str | None]:
    """This session's servers, and no other PYTAKE_* setting (as in tests/test_cli.py)."""
    assert settings.database.url is not None
    assert settings.database.admin_url is not None
    assert settings.redis.url is not None
    values: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PYTAKE_")}
    values.update(
        PYTAKE_DATABASE__URL=settings.database.url.get_secret_value(),
        PYTAKE_DATABASE__ADMIN_URL=settings.database.admin_url.get_secret_value(),
        PYTAKE_DATABASE__APP_ROLE=settings.database.app_role,
        PYTAKE_REDIS__URL=settings.redis.url.get_secret_value(),
        PYTAKE_REDIS__KEY_PREFIX=settings.redis.key_prefix,
        PYTAKE_STATE_DIR=str(settings.state_dir),
        PYTAKE_LOGGING__LEVEL="warning",
    )
    return values


@pytest.fixture
async def tenant_slug(make_tenant: MakeTenant) -> str:
    return (await make_tenant()).slug


def test_there_are_at_least_five_segment_flows_each_with_a_script() -> None:
    assert len(FLOWS) >= 5
    for flow in FLOWS:
        assert flow.with_suffix(".test.yaml").exists(), flow


@pytest.mark.parametrize("flow", FLOWS, ids=lambda p: p.stem)
async def test_segment_flow_passes_its_script(flow: Path) -> None:
    document, problems = check_document(yaml.safe_load(flow.read_text()))
    assert not problems, [str(p) for p in problems]
    assert document is not None
    script = FlowTestScript.model_validate(
        yaml.safe_load(flow.with_suffix(".test.yaml").read_text())
    )
    result = await run_script(document.definition, script)
    assert result.passed, result.failures
    assert any(s.node_type == "action_transfer_to_queue" for s in result.steps)


def test_cli_validate_and_test(tmp_path: Path) -> None:
    retail = SEGMENTS / "retail.yaml"
    ok = runner.invoke(app, ["flow", "validate", str(retail)])
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.output
    passed = runner.invoke(
        app, ["flow", "test", str(retail), "--script", str(SEGMENTS / "retail.test.yaml")]
    )
    assert passed.exit_code == 0, passed.output
    assert "passed" in passed.output
    failing = tmp_path / "fail.yaml"
    failing.write_text("steps:\n  - say: oi\n  - expect: nada disso\n")
    failed = runner.invoke(app, ["flow", "test", str(retail), "--script", str(failing)])
    assert failed.exit_code == 1
    assert "FAIL" in failed.output
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"name": "x", "definition": {"nodes": [{"id": "t", "type": "trigger_universal"},'
        ' {"id": "m", "type": "msg_text"}], "edges": [{"source": "t", "target": "m"}]}}'
    )
    refused = runner.invoke(app, ["flow", "validate", str(bad)])
    assert refused.exit_code == 2
    assert "node m: text: Field required" in refused.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    assert runner.invoke(app, ["flow", "validate", str(broken)]).exit_code == 2


def test_cli_import_list_publish_export_against_the_database(
    settings: Settings, tenant_slug: str, tmp_path: Path
) -> None:
    env = cli_env(settings)
    retail = str(SEGMENTS / "retail.yaml")
    imported = runner.invoke(app, ["flow", "import", retail, "-t", tenant_slug], env=env)
    assert imported.exit_code == 0, imported.output
    assert "imported varejo v1" in imported.output
    again = runner.invoke(
        app, ["flow", "import", retail, "-t", tenant_slug, "--publish", "--json"], env=env
    )
    assert again.exit_code == 0, again.output
    flow = json.loads(again.output)
    assert (flow["latest_version"], flow["published_version"]) == (2, 2)
    published = runner.invoke(
        app, ["flow", "publish", "varejo", "-t", tenant_slug, "--version", "1"], env=env
    )
    assert "published varejo v1" in published.output
    listed = runner.invoke(app, ["flow", "list", "-t", tenant_slug, "--json"], env=env)
    [summary] = json.loads(listed.output)
    assert (summary["status"], summary["published_version"]) == ("published", 1)
    out = tmp_path / "varejo.json"
    exported = runner.invoke(
        app,
        ["flow", "export", "varejo", "-t", tenant_slug, "--format", "json", "-o", str(out)],
        env=env,
    )
    assert exported.exit_code == 0, exported.output
    document, problems = check_document(json.loads(out.read_text()))
    assert not problems
    original, _ = check_document(yaml.safe_load((SEGMENTS / "retail.yaml").read_text()))
    assert document == original
    missing = runner.invoke(app, ["flow", "export", "nope", "-t", tenant_slug], env=env)
    assert missing.exit_code == 1
    assert "no flow 'nope'" in missing.output
