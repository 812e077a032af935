"""``pytake replies list|add|edit|remove``, run in-process against this session's servers."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.flows.test_segments_and_cli import cli_env

runner = CliRunner()


def _one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


async def test_replies_are_added_listed_edited_and_removed(
    settings: Settings, make_tenant: MakeTenant
) -> None:
    # The tenant is made on the test's loop; the commands run their own (asyncio.run), so they
    # run on a worker thread.
    tenant = await make_tenant()
    env = cli_env(settings)
    agent_email = tenant[Role.AGENT].email

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["replies", *args, "-t", tenant.slug], env=env)
        return result.exit_code, result.output

    async def run(*args: str) -> tuple[int, str]:
        return await asyncio.to_thread(cli, *args)

    code, out = await run("list")
    assert (code, out.strip()) == (0, "no canned responses yet: add one with 'pytake replies add'")
    code, out = await run("add", "Thanks", "Thank you, {{first_name}}!", "--shortcut", "/thanks")
    assert code == 0, out
    assert out.startswith("added team reply /thanks (id ")
    code, out = await run("add", "Mine", "My own words.", "--shortcut", "thanks", "-u", agent_email)
    assert code == 0, out
    assert out.startswith("added personal reply /thanks")

    code, out = await run("list", "--json")
    assert code == 0, out
    assert [(r["shortcut"], r["scope"]) for r in json.loads(out)] == [("thanks", "team")]
    code, out = await run("list", "--json", "--user", agent_email)
    listed = json.loads(out)
    assert [(r["title"], r["scope"]) for r in listed] == [("Mine", "personal"), ("Thanks", "team")]
    assert listed[0]["owner_id"] == str(tenant[Role.AGENT].id)

    code, out = await run("edit", "/thanks", "--body", "Thanks a lot!", "--shortcut", "ty")
    assert (code, out.strip()) == (0, f"changed reply 'Thanks' (id {listed[1]['id']})")
    code, out = await run("list", "--json", "--shortcut", "t")
    assert [(r["shortcut"], r["body"]) for r in json.loads(out)] == [("ty", "Thanks a lot!")]

    # Bad input: one line, a non-zero exit, never a traceback.
    code, out = await run("add", "x", "y", "--shortcut", "not a slug")
    assert code == 1
    assert _one_line_error(out).startswith("error: shortcut: String should match pattern")
    code, out = await run("add", "Again", "z", "--shortcut", "ty")
    assert code == 1
    assert (
        _one_line_error(out) == "error: the shortcut /ty is already used among the team's replies"
    )
    code, out = await run("edit", "/nope", "--title", "x")
    assert (code, _one_line_error(out)) == (1, "error: no reply /nope (see 'pytake replies list')")
    code, out = await run("edit", "/ty")
    assert code == 1
    assert "nothing to change" in _one_line_error(out)
    code, out = await run("list", "--user", "nobody@example.test")
    assert code == 1
    assert _one_line_error(out) == f"error: no user 'nobody@example.test' in tenant '{tenant.slug}'"
    # Another user's personal reply is not the team's: the operator must name its owner.
    code, out = await run("remove", listed[0]["id"])
    assert (code, _one_line_error(out)) == (1, "error: no such reply")

    code, out = await run("remove", "/thanks", "--user", agent_email)
    assert (code, out.strip()) == (0, "removed reply 'Mine'")
    code, out = await run("remove", "/ty")
    assert (code, out.strip()) == (0, "removed reply 'Thanks'")
    code, out = await run("list", "--json", "--user", agent_email)
    assert json.loads(out) == []
