"""``pytake user invite`` and ``pytake user invitations list|resend|revoke`` in-process against
this session's servers: the printed code joins through the API, a refusal is one ``error:``
line, and the CLI's actions are audited."""

from __future__ import annotations

import asyncio
import json
import re

from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from tests.conftest import ApiClient, MakeTenant
from tests.flows.test_segments_and_cli import cli_env
from tests.invitations.support import accept, audit_actions, problem

runner = CliRunner()
_CODE = re.compile(r"code \(shown once, pass it on\): (pti_\S+)")


async def test_invite_list_resend_revoke(
    settings: Settings, make_tenant: MakeTenant, proxied_api: ApiClient, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    env = cli_env(settings)
    resp = await proxied_api.post(
        "/api/v1/queues", json={"name": "Vendas", "required_skills": ["sales"]},
        headers=tenant[Role.ADMIN].headers,
    )  # fmt: skip
    assert resp.status == 201, await resp.text()

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["user", *args, "-t", tenant.slug], env=env)
        return result.exit_code, result.output

    async def run(*args: str) -> tuple[int, str]:
        # The commands run their own loop (asyncio.run): a worker thread.
        return await asyncio.to_thread(cli, *args)

    code, out = await run("invite", "joao@example.test", "--role", "agent", "--queue", "vendas")
    assert code == 0, out
    assert out.startswith("invited agent joao@example.test (until ")
    (first,) = _CODE.findall(out)
    assert f"they join with: pytake tui --invite {first}" in out

    code, out = await run("invite", "JOAO@example.test")
    assert (code, out.strip()) == (
        1,
        "error: joao@example.test already has a pending invitation: resend or revoke that one",
    )
    code, out = await run("invite", "x@example.test", "--queue", "nowhere")
    assert (code, out.strip()) == (
        1,
        "error: no queue 'nowhere' in this tenant (see 'pytake queues list')",
    )
    code, out = await run("invite", "not-an-email")
    assert code == 1
    assert out.strip().startswith("error: email:")

    code, out = await run("invitations", "list", "--json")
    assert code == 0, out
    (listed,) = json.loads(out)
    assert (listed["email"], listed["status"], len(listed["queue_ids"])) == (
        "joao@example.test", "pending", 1,
    )  # fmt: skip

    code, out = await run("invitations", "resend", "joao@example.test")
    assert code == 0, out
    (second,) = _CODE.findall(out)
    assert await problem(await accept(proxied_api, first)) == (
        404,
        "no invitation has this code: check it for typos, or ask for a new invitation",
    )
    code, out = await run("invitations", "revoke", listed["id"])
    assert (code, out.strip()) == (
        0,
        "the invitation of joao@example.test is revoked; its code no longer works",
    )
    status, _ = await problem(await accept(proxied_api, second))
    assert status == 410

    code, out = await run("invite", "maria@example.test", "--role", "owner", "--json")
    assert code == 0, out
    sent = json.loads(out)
    assert (sent["emailed"], sent["invitation"]["role"]) == (False, "owner")
    assert (await accept(proxied_api, sent["code"])).status == 201
    code, out = await run("invitations", "revoke", "maria@example.test")
    assert (code, out.strip()) == (
        1,
        "error: this invitation was accepted: disable the user instead",
    )

    # The unknown code has no tenant to audit in; the revoked one is a failure in its tenant.
    assert await audit_actions(admin_conn, tenant.id) == [
        ("invitation.create", "success"), ("invitation.resend", "success"),
        ("invitation.revoke", "success"), ("invitation.accept", "failure"),
        ("invitation.create", "success"), ("invitation.accept", "success"),
    ]  # fmt: skip
