"""``pytake contacts search|show|tag|set-attr``, run in-process against this session's servers."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_daemon.whatsapp.secretbox import load_secret_box
from tests.conftest import MakeTenant
from tests.contacts.seed import PHONE, seed_customers
from tests.flows.test_segments_and_cli import cli_env

runner = CliRunner()


async def test_contacts_are_found_shown_tagged_and_described(
    settings: Settings, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    customer = await seed_customers(
        admin_conn, tenant.id, tenant[Role.AGENT].id, load_secret_box(settings)
    )
    env = cli_env(settings)

    async def cli(*args: str) -> tuple[int, str]:
        # The commands run their own event loop (asyncio.run): not on the test's thread.
        result = await asyncio.to_thread(
            runner.invoke, app, ["contacts", *args, "-t", tenant.slug], env=env
        )
        assert "Traceback" not in result.output
        return result.exit_code, result.output

    code, out = await cli("search", "@mari", "--json")
    assert code == 0, out
    assert [c["phone"] for c in json.loads(out)["items"]] == ["hidden"]

    code, out = await cli("tag", f"+{PHONE}", "VIP", "recife")
    assert (code, out.strip()) == (0, "tags: recife, vip")
    code, out = await cli("tag", str(customer.ana), "recife", "--remove")
    assert (code, out.strip()) == (0, "tags: vip")
    code, out = await cli("set-attr", "souza", "plan=gold", "city=Recife")
    assert (code, out.strip()) == (0, "attributes: city=Recife, plan=gold")
    code, out = await cli("set-attr", "souza", "city=")
    assert (code, out.strip()) == (0, "attributes: plan=gold")

    code, out = await cli("show", "souza", "--json")
    profile = json.loads(out)
    assert (profile["tags"], profile["attributes"], profile["rating_average"]) == (
        ["vip"], {"plan": "gold"}, 5.0,
    )  # fmt: skip
    code, out = await cli("show", str(customer.ana))
    assert code == 0, out
    assert "Support: completed" in out

    # Bad input: one line, exit 1, no traceback.
    for args, expected in (
        (("set-attr", "souza", "Bad Key=x"), "error: attributes: attribute key"),
        (("set-attr", "souza", "nokey"), "error: 'nokey': write key=value"),
        (("show", "zz"), "error: q: String should have at least 3 characters"),
        (("show", "nobody-at-all"), "error: no contact matches 'nobody-at-all'"),
    ):
        code, out = await cli(*args)
        assert code == 1, out
        assert len(out.strip().splitlines()) == 1, out
        assert out.startswith(expected), out

    audit = await admin_conn.fetch(
        "SELECT action, actor_type FROM audit_entries WHERE tenant_id = $1"
        " AND action LIKE 'contact.%' ORDER BY seq",
        tenant.id,
    )
    assert [(r["action"], r["actor_type"]) for r in audit] == [
        ("contact.tags", "cli"), ("contact.tags", "cli"),
        ("contact.update", "cli"), ("contact.update", "cli"),
    ]  # fmt: skip
