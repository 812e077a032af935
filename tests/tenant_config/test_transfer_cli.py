"""``pytake config export|import`` against this session's servers: the round trip through a
fresh tenant, the dry run's diff, all-or-nothing, every problem with its path (exit 2), and
no secret in the document."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pytake_daemon.db.pool import Connection
from tests.conftest import ApiClient, MakeTenant
from tests.tenant_config.support import SMTP_PASSWORD, configure
from tests.test_cli import Env, acli, as_json, env, ok, unique_slug

__all__ = ["env"]  # the fixture, imported for this module's tests

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    return _ANSI.sub("", text)


async def succeeds(env: Env, *args: str) -> str:
    """``pytake config …`` exited 0: its standard output, without colours."""
    return plain(ok(await acli(env, "config", *args)).stdout)


async def test_round_trip_through_a_fresh_tenant_is_byte_identical(
    env: Env, api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    source = await make_tenant()
    await configure(api, admin_conn, source)
    exported = await succeeds(env, "export", "-t", source.slug)
    document = yaml.safe_load(exported)
    assert document["version"] == 1
    assert document["tenant"]["profile"]["segment"] == "restaurant"
    assert [q["name"] for q in document["queues"]] == ["Overflow", "Support"]
    support = document["queues"][1]
    assert (support["overflow_queue"], support["timeout_flow"]) == ("Overflow", "Welcome")
    assert support["business_hours"] == {"mon": [["09:00", "12:00"], ["13:00", "18:00"]]}
    welcome = next(f for f in document["flows"] if f["name"] == "Welcome")
    assert (welcome["published_version"], len(welcome["versions"])) == (2, 2)
    agent = next(u for u in document["users"] if u["role"] == "agent")
    assert agent["agent"]["skills"] == ["pt", "billing"]
    mine = next(r for r in document["canned_responses"] if r["title"] == "Mine")
    assert mine["owner"] == agent["email"]
    assert document["ai"] == {"intent_threshold": 0.4}
    assert document["notifications"]["retention_days"] == 30
    assert document["templates"][0]["name"] == "order_update"

    # No secret of any kind: no SMTP settings, no password hash, no token.
    assert SMTP_PASSWORD not in exported
    assert "smtp" not in exported.lower()
    assert "$argon2" not in exported
    for member in source.members.values():
        assert member.token not in exported
    assert not re.search(r"password|secret|token", exported, re.IGNORECASE)

    path = tmp_path / "tenant.yaml"
    path.write_text(exported, encoding="utf-8")
    fresh = unique_slug()
    as_json(await acli(env, "tenant", "create", fresh, "--json"))
    applied = await succeeds(env, "import", "-t", fresh, str(path), "--apply")
    assert "+ created      queues[1]  Support" in applied
    assert applied.rstrip().endswith("applied")
    again = await succeeds(env, "export", "-t", fresh)
    assert again == exported

    # Importing the same document again changes nothing.
    same = await succeeds(env, "import", "-t", fresh, str(path), "--dry-run")
    assert same.splitlines()[-1].startswith("0 created, 0 changed, ")
    assert "0 deleted" not in same


async def test_dry_run_lists_each_change_and_applies_nothing(
    env: Env, api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    await configure(api, admin_conn, tenant)
    before = await succeeds(env, "export", "-t", tenant.slug)
    document = yaml.safe_load(before)
    document["queues"][1]["max_size"] = 99
    document["intents"].append({"name": "complaint", "keywords": ["reclamação"]})
    document["canned_responses"] = [r for r in document["canned_responses"] if r["title"] != "Mine"]
    document["queues"] = document["queues"][1:]
    document["queues"][0]["overflow_action"] = "reject"
    del document["queues"][0]["overflow_queue"]
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    out = await succeeds(env, "import", "-t", tenant.slug, str(path), "--dry-run")
    lines = out.splitlines()
    assert "~ changed      queues[0]  Support: max_size, overflow_action, overflow_queue" in lines
    assert "+ created      intents[1]  complaint" in lines
    assert "- would delete queues  Overflow (deactivated: its history stays)" in lines
    assert any(
        line.startswith("- would delete canned_responses") and "Mine" in line for line in lines
    )
    assert "= unchanged    intents[0]  refund" in lines
    # tenant, ai, notifications, 4 users, 2 flows, the template, a reply and an intent.
    assert lines[-1] == (
        "1 created, 1 changed, 12 unchanged, 2 would delete; nothing applied (dry run)"
    )
    assert await succeeds(env, "export", "-t", tenant.slug) == before

    ok(await acli(env, "config", "import", "-t", tenant.slug, str(path), "--apply"))
    after = yaml.safe_load(await succeeds(env, "export", "-t", tenant.slug))
    queues = {q["name"]: q for q in after["queues"]}
    assert (queues["Support"]["max_size"], queues["Overflow"]["active"]) == (99, False)
    assert [i["name"] for i in after["intents"]] == ["complaint", "refund"]
    assert all(r["title"] != "Mine" for r in after["canned_responses"])


async def test_a_failure_while_applying_leaves_nothing_applied(
    env: Env, api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    await configure(api, admin_conn, tenant)
    before = await succeeds(env, "export", "-t", tenant.slug)
    document = yaml.safe_load(before)
    document["queues"].append({"name": "Brand new"})
    document["users"].append({"email": "new@person.test", "name": "New", "role": "agent"})
    # Two team replies with one shortcut: only the database's unique index knows, late.
    document["canned_responses"].append({"title": "Other", "body": "x", "shortcut": "hi"})
    path = tmp_path / "clash.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    result = await acli(env, "config", "import", "-t", tenant.slug, str(path), "--apply")
    assert result.exit_code == 1, result.output
    error = plain(result.stderr)
    assert "nothing was applied: two team canned responses share a shortcut" in error
    assert await succeeds(env, "export", "-t", tenant.slug) == before


async def test_every_problem_is_listed_with_its_path_and_exit_2(
    env: Env, api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    await configure(api, admin_conn, tenant)
    before = await succeeds(env, "export", "-t", tenant.slug)
    document = yaml.safe_load(before)
    document["queues"][0]["max_size"] = 0
    document["queues"][1]["timezone"] = "Mars/Base"
    document["users"][0]["email"] = "not-an-email"
    document["flows"][0]["published_version"] = 7
    document["intents"].append({"name": "refund"})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    result = await acli(env, "config", "import", "-t", tenant.slug, str(path), "--dry-run")
    assert result.exit_code == 2, result.output
    lines = plain(result.stderr).strip().splitlines()
    assert result.stdout == ""
    where = [line.split(": ")[1] for line in lines[:-1]]
    assert where == [
        "users[0].email",
        "queues[0].max_size",
        "queues[1].timezone",
        "flows[0]",
    ], lines
    assert "Must be 1 or more" in lines[1]
    assert "Mars/Base" in lines[2]
    assert "published_version 7 is not listed" in lines[3]
    assert lines[-1] == f"error: {path}: 4 problem(s); nothing applied"
    first = path.read_text(encoding="utf-8")

    # A duplicate natural key, and what the tenant won't have, come with their paths too.
    document = yaml.safe_load(before)
    document["intents"].append({"name": "refund"})
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = await acli(env, "config", "import", "-t", tenant.slug, str(path), "--apply")
    assert result.exit_code == 2, result.output
    assert f"{path}: intents[1]: 'refund' is already intents[0]" in plain(result.stderr)
    document = yaml.safe_load(before)
    document["queues"][1]["overflow_queue"] = "Nowhere"
    document["canned_responses"][0]["owner"] = "ghost@nowhere.test"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = await acli(env, "config", "import", "-t", tenant.slug, str(path), "--apply")
    assert result.exit_code == 2, result.output
    lines = plain(result.stderr).strip().splitlines()
    assert lines[:2] == [
        f"{path}: queues[1].overflow_queue: 'Nowhere': no such queue",
        f"{path}: canned_responses[0].owner: no user ghost@nowhere.test",
    ]
    assert await succeeds(env, "export", "-t", tenant.slug) == before

    path.write_text("version: 2\n", encoding="utf-8")
    result = await acli(env, "config", "import", "-t", tenant.slug, str(path), "--dry-run")
    assert result.exit_code == 2
    assert "version: this daemon reads version 1, found 2" in plain(result.stderr)
    path.write_text("version: 1\nqueues: [\n", encoding="utf-8")
    result = await acli(env, "config", "import", "-t", tenant.slug, str(path), "--dry-run")
    assert result.exit_code == 2
    assert "not valid YAML" in plain(result.stderr)
    result = await acli(env, "config", "import", "-t", tenant.slug, str(path))
    assert result.exit_code == 2
    assert "exactly one of --dry-run or --apply" in plain(result.stderr)

    # In the CLI's language (issue 22): the daemon's sentences said again in Portuguese (last:
    # --lang sets the process's language for the rest of this test).
    path.write_text(first, encoding="utf-8")
    args = ("--lang", "pt_BR", "config", "import", "-t", tenant.slug, str(path), "--dry-run")
    result = await acli(env, *args)
    assert result.exit_code == 2, result.output
    said = plain(result.stderr)
    assert "queues[0].max_size: Deve ser 1 ou mais" in said, said
    assert "published_version 7 não está na lista" in said, said
