"""``pytake queues`` and ``pytake agents`` in-process, against this session's servers."""

from __future__ import annotations

from tests.test_cli import Env, as_json, cli, env, new_tenant, ok, one_error_line

__all__ = ["env"]  # the fixture, imported for this module's tests


def test_queues_create_list_show_and_errors(env: Env) -> None:
    tenant = new_tenant(env).slug
    created = as_json(
        cli(
            env,
            "queues",
            "create",
            "Support",
            "-t",
            tenant,
            "--policy",
            "least_loaded",
            "--skill",
            "pt",
            "--max-wait",
            "15",
            "--json",
        )
    )
    assert (created["name"], created["policy"], created["required_skills"]) == (
        "Support",
        "least_loaded",
        ["pt"],
    )
    listed = as_json(cli(env, "queues", "list", "-t", tenant, "--json"))
    assert [q["id"] for q in listed] == [created["id"]]
    shown = as_json(cli(env, "queues", "show", "Support", "-t", tenant, "--json"))
    assert shown["max_wait_minutes"] == 15
    assert "Support" in ok(cli(env, "queues", "list", "-t", tenant)).stdout

    assert "already exists" in one_error_line(cli(env, "queues", "create", "Support", "-t", tenant))
    assert "time zone" in one_error_line(
        cli(env, "queues", "create", "X", "-t", tenant, "--timezone", "Mars/Base")
    )
    assert "no queue" in one_error_line(cli(env, "queues", "show", "Nope", "-t", tenant))


def test_agents_list_and_status(env: Env) -> None:
    tenant = new_tenant(env).slug
    ok(
        cli(
            env,
            "user",
            "add",
            "ana@cli.test",
            "-t",
            tenant,
            "--role",
            "agent",
            PYTAKE_USER_PASSWORD="correct-horse-1",
        )
    )
    agent = as_json(
        cli(
            env,
            "agents",
            "status",
            "ana@cli.test",
            "online",
            "-t",
            tenant,
            "--capacity",
            "4",
            "--json",
        )
    )
    assert (agent["status"], agent["capacity"]) == ("online", 4)
    listed = as_json(cli(env, "agents", "list", "-t", tenant, "--json"))
    assert [(a["email"], a["status"]) for a in listed] == [("ana@cli.test", "online")]
    assert "ana@cli.test" in ok(cli(env, "agents", "list", "-t", tenant)).stdout
    assert "no user" in one_error_line(cli(env, "agents", "status", "x@y.z", "away", "-t", tenant))
    bad = cli(env, "agents", "status", "ana@cli.test", "sleeping", "-t", tenant)
    assert bad.exit_code == 2
