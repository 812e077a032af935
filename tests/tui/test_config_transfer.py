"""The configuration transfer screen, driven by Textual's pilot against the real daemon
(PostgreSQL, Redis): export to a file, preview a changed file's diff, decline, then confirm
and apply; a file with problems lists them by path and applies nothing."""

from __future__ import annotations

from pathlib import Path

import yaml
from textual.widgets import Button, DataTable, Input, Static

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.tenant_config import ChangeKind
from pytake_tui.client import DaemonClient
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.config_transfer import ConfigTransferScreen
from tests.conftest import ApiClient, MakeTenant
from tests.tenant_config.support import configure

from .config_transfer_support import host, screen_of
from .helpers import wait_until


def enabled(button: Button) -> bool:
    # A function, so mypy doesn't narrow ``disabled`` across the app's turns.
    return not button.disabled


async def exported(api: ApiClient, headers: dict[str, str]) -> str:
    response = await api.get("/api/v1/config/export", headers=headers)
    assert response.status == 200
    return await response.text()


async def test_export_preview_confirm_and_apply(
    api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    await configure(api, admin_conn, tenant)
    owner = tenant[Role.OWNER]
    client = DaemonClient(str(api.make_url("/")), token=owner.token)
    me = await client.me()
    app = host(tmp_path / "exports", client, me)
    async with client, app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ConfigTransferScreen), "screen")
        screen = screen_of(pilot)
        target = tmp_path / "exports" / f"{me.tenant_slug}-config.yaml"
        assert screen.query_one("#export-path", Input).value == str(target)

        await pilot.press("ctrl+s")
        await wait_until(pilot, target.exists, "the exported file")
        text = target.read_text(encoding="utf-8")
        assert text == await exported(api, owner.headers)

        # The admin edits the file: a bigger queue and one more intent.
        document = yaml.safe_load(text)
        document["queues"][1]["max_size"] = 25
        document["intents"].append({"name": "complaint", "keywords": ["reclamação"]})
        target.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        apply_button = screen.query_one("#apply", Button)
        assert not enabled(apply_button)

        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.result is not None, "the preview")
        assert screen.result is not None
        assert not screen.result.applied
        kinds = {(c.path, c.kind) for c in screen.result.changes if c.kind != "unchanged"}
        assert kinds == {("queues[1]", ChangeKind.CHANGED), ("intents[1]", ChangeKind.CREATED)}
        assert screen.query_one("#changes", DataTable).row_count == len(screen.result.changes)
        assert enabled(apply_button)
        assert text == await exported(api, owner.headers)  # a preview changes nothing

        # Declined: nothing happens.
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen, "back on the screen")
        assert text == await exported(api, owner.headers)

        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(
            pilot, lambda: screen.result is not None and screen.result.applied, "applied"
        )
        after = yaml.safe_load(await exported(api, owner.headers))
        assert after["queues"][1]["max_size"] == 25
        assert [i["name"] for i in after["intents"]] == ["complaint", "refund"]
        assert not enabled(apply_button)
        status = screen.query_one("#transfer-status", Static).render()
        assert "✓ applied: 1 created, 1 changed" in str(status)

        # A file with problems: each listed at its path, nothing applied, Apply off.
        document["queues"][0]["max_size"] = 0
        document["users"][0]["role"] = "emperor"
        target.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        before = await exported(api, owner.headers)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: bool(screen.problems), "the problems")
        assert [p.loc for p in screen.problems] == ["users[0].role", "queues[0].max_size"]
        listed = str(screen.query_one("#problems", Static).render())
        assert "queues[0].max_size: Must be 1 or more" in listed
        assert not enabled(apply_button)
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmChange)
        assert before == await exported(api, owner.headers)


async def test_an_agent_is_refused(api: ApiClient, make_tenant: MakeTenant, tmp_path: Path) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    client = DaemonClient(str(api.make_url("/")), token=agent.token)
    me = await client.me()
    app = host(tmp_path, client, me)
    async with client, app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ConfigTransferScreen), "screen")
        screen = screen_of(pilot)
        await pilot.press("ctrl+s")
        status = screen.query_one("#transfer-status", Static)
        await wait_until(pilot, lambda: "Export failed" in str(status.render()), "refusal")
        assert "admin role" in str(status.render())
        assert not (tmp_path / f"{me.tenant_slug}-config.yaml").exists()
