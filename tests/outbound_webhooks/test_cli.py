"""``pytake webhooks …`` in-process against this session's servers, with the app's delivery loop
running: add (secret printed once), list, rotate, disable (dead letters), enable, replay to a
real receiver, deliveries, remove; bad input is one line, never a traceback."""

from __future__ import annotations

import asyncio
import re
import uuid

import orjson
from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.outbound_webhooks.context import OUTBOUND_WEBHOOKS
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.outbound_webhooks import DeliveryState
from tests.conftest import ApiClient, MakeTenant
from tests.flows.test_segments_and_cli import cli_env
from tests.outbound_webhooks.support import Receiver, deliveries, eventually
from tests.outbound_webhooks.test_lanes_and_failures import _rate

runner = CliRunner()


async def test_webhooks_commands(
    hooks_api: ApiClient, settings: Settings, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    # Not pinned: the CLI's rows are stamped with the wall clock, as the daemon's would be.
    env = {**cli_env(settings), "PYTAKE_OUTBOUND_WEBHOOKS__HTTP_ALLOWED": '["127.0.0.1"]'}

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["webhooks", *args, "-t", tenant.slug], env=env)
        return result.exit_code, result.output

    async def run(*args: str) -> tuple[int, str]:
        # The commands run their own loop (asyncio.run): a worker thread.
        return await asyncio.to_thread(cli, *args)

    receiver = Receiver()  # down for now
    code, out = await run("add", receiver.url, "-e", "rating.received", "--description", "CRM")
    assert code == 0, out
    secret = re.search(r"signing secret \(shown once\): (whsec_\S+)", out)
    assert secret is not None
    endpoint = re.search(r"\(([0-9a-f-]{36})\)", out)
    assert endpoint is not None

    code, out = await run("list", "--json")
    assert code == 0
    [listed] = orjson.loads(out)
    assert (listed["url"], listed["event_types"], listed["description"]) == (
        receiver.url, ["rating.received"], "CRM",
    )  # fmt: skip
    assert secret.group(1) not in out
    code, out = await run("list")
    assert code == 0
    assert "enabled" in out  # a table, whatever width rich gave it

    code, out = await run("rotate-secret", receiver.url, "--overlap-hours", "1")
    assert code == 0, out
    assert "the previous secret stays valid until" in out
    rotated = re.search(r"signing secret \(shown once\): (whsec_\S+)", out)
    assert rotated is not None
    assert rotated.group(1) != secret.group(1)

    # The daemon picks the endpoint up (its subscriptions refresh), a try fails: receiver down.
    collector = hooks_api.app[OUTBOUND_WEBHOOKS].collector
    collector.changed()

    async def known() -> bool:
        return collector.subscribed(tenant.id)

    await eventually(known, what="the daemon's subscriptions")
    await _rate(hooks_api, tenant.id, uuid.uuid4(), 5)

    async def tried() -> bool:
        items = (await deliveries(hooks_api, admin)).items
        return bool(items) and items[0].last_attempt_at is not None

    await eventually(tried, what="a failed try")
    code, out = await run("disable", endpoint.group(1))
    assert (code, out.strip()) == (0, f"disabled {receiver.url}")
    code, out = await run("deliveries", "--state", "dead", "--json")
    assert code == 0
    [dead] = orjson.loads(out)
    assert (dead["state"], dead["last_error"]) == ("dead", "disabled by an admin")

    code, out = await run("replay", "--all-dead")
    assert code == 1
    assert out.startswith("error: endpoint ")
    assert "is disabled" in out

    await receiver.start()
    try:
        code, out = await run("enable", receiver.url)
        assert (code, out.strip()) == (0, f"enabled {receiver.url} (1 dead letter(s) to replay)")
        code, out = await run("replay", "--all-dead", "--endpoint", receiver.url)
        assert (code, out.strip()) == (0, "1 delivery(ies) queued again")
        hooks_api.app[OUTBOUND_WEBHOOKS].runner.wake()
        await receiver.got(1)

        async def delivered() -> bool:
            items = (await deliveries(hooks_api, admin)).items
            return any(d.state is DeliveryState.DELIVERED for d in items)

        await eventually(delivered, what="the replay delivered")
        code, out = await run("deliveries", "--endpoint", receiver.url, "--json")
        assert code == 0
        states = [d["state"] for d in orjson.loads(out)]
        assert sorted(states) == ["dead", "delivered"]
        code, out = await run("deliveries")
        assert code == 0
        assert "deliver" in out  # a table, whatever width rich gave it
    finally:
        await receiver.stop()

    code, out = await run("add", "ftp://x", "-e", "rating.received")
    assert code == 1
    assert out.startswith("error: url: ")
    assert len(out.strip().splitlines()) == 1
    code, out = await run("add", "http://10.0.0.1/hook", "-e", "rating.received")
    assert code == 1
    assert "outbound_webhooks.http_allowed" in out
    code, out = await run("add", "https://crm.example.com/h", "-e", "no.such")
    assert code == 2  # typer's own usage error names the choices
    code, out = await run("replay", "not-an-id")
    assert (code, out.strip()) == (1, "error: 'not-an-id' is not a delivery id")

    code, out = await run("remove", receiver.url)
    assert (code, out.strip()) == (0, f"removed {receiver.url}")
    code, out = await run("remove", receiver.url)
    assert code == 1
    assert "no webhook endpoint" in out
