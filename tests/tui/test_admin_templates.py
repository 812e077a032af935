"""Admin → Templates against the real daemon and the simulator playing Meta: sync, a bad name
said under its field, a placeholder without its example said under the examples, and a
submission for review whose components reach the daemon (and Meta) as the form built them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import DataTable

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role
from pytake_tui.client import DaemonClient
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.admin_template_form import TemplateFormScreen
from pytake_tui.screens.admin_templates import AdminTemplatesScreen
from tests.conftest import MakeTenant
from tests.whatsapp.wa_support import simulated_world, stop_simulated_world

from .admin_support import real_app, session_of, shown, signed_in
from .helpers import MessageLog, wait_until


def _error(form: Any, name: str) -> str:
    line = form.query_one(f"#error-{name}")
    return str(line.render()) if line.display else ""


async def test_an_admin_syncs_and_submits_a_template(
    aiohttp_client: Any,
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    tmp_path: Path,
) -> None:
    world = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=19)
    try:
        admin = world.tenant[Role.ADMIN]
        server = str(world.api.make_url("")).rstrip("/")
        app = real_app(tmp_path, server, admin.token, admin.email)
        log = MessageLog()
        async with app.run_test(size=(160, 48), message_hook=log) as pilot:
            await signed_in(pilot)
            screen = AdminTemplatesScreen(client=session_of(app).client)
            await shown(pilot, screen)
            assert screen.templates == []
            loads = screen.loads
            await pilot.press("s")
            await wait_until(pilot, lambda: screen.loads > loads, "the synced list")
            synced = len(screen.templates)
            assert synced > 0
            assert any(" new, " in n for n in log.notifications())

            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, TemplateFormScreen), "form")
            form = app.screen
            assert isinstance(form, TemplateFormScreen)
            form.fill(
                name="Order Ready", language="pt_BR", header="Pedido {{1}}",
                header_example="8812", body="Olá {{1}}, seu pedido {{2}} está pronto.",
                body_examples="Ana", footer="Loja Acme", quick_replies="Obrigado, Ajuda",
            )  # fmt: skip
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: "1 given" in _error(form, "body_examples"), "ex")
            form.fill(body_examples="Ana | 8812")
            await pilot.press("ctrl+s")
            await wait_until(
                pilot, lambda: "expected format" in _error(form, "name"), "the name error"
            )
            assert _error(form, "body_examples") == ""
            form.fill(name="order_ready")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: app.screen is screen, "back on the list")
            assert "order_ready" in [t.name for t in screen.templates]
            assert "submitted: PENDING" in log.notifications()[-1]

        async with DaemonClient(server, token=admin.token) as client:
            templates = (await client.all_templates()).items
        made = next(t for t in templates if t.name == "order_ready")
        assert (made.language, made.category) == ("pt_BR", "UTILITY")
        assert made.components == [
            {"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}",
             "example": {"header_text": ["8812"]}},
            {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} está pronto.",
             "example": {"body_text": [["Ana", "8812"]]}},
            {"type": "FOOTER", "text": "Loja Acme"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Obrigado"},
                                            {"type": "QUICK_REPLY", "text": "Ajuda"}]},
        ]  # fmt: skip
        assert len(templates) == synced + 1
    finally:
        await stop_simulated_world(world, world.api)


async def test_an_admin_deletes_a_template_after_a_question(
    aiohttp_client: Any,
    settings: Settings,
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    tmp_path: Path,
) -> None:
    world = await simulated_world(aiohttp_client, settings, endpoints, await make_tenant(), seed=23)
    try:
        admin = world.tenant[Role.ADMIN]
        server = str(world.api.make_url("")).rstrip("/")
        async with DaemonClient(server, token=admin.token) as client:
            await client.sync_templates()
        app = real_app(tmp_path, server, admin.token, admin.email)
        log = MessageLog()
        async with app.run_test(size=(160, 48), message_hook=log) as pilot:
            await signed_in(pilot)
            screen = AdminTemplatesScreen(client=session_of(app).client)
            await shown(pilot, screen)
            await wait_until(pilot, lambda: bool(screen.templates), "the templates")
            names = [t.name for t in screen.templates]
            row = names.index("spring_sale")
            screen.query_one("#admin-templates", DataTable).move_cursor(row=row)
            await pilot.press("delete")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "question")
            await pilot.press("n")  # kept: nothing asked of Meta
            await wait_until(pilot, lambda: app.screen is screen, "back")
            assert "spring_sale" in [t.name for t in screen.templates]
            await pilot.press("delete")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "question")
            await pilot.press("y")
            await wait_until(
                pilot, lambda: "spring_sale" not in [t.name for t in screen.templates], "deleted"
            )
            assert "deleted at Meta and here" in log.notifications()[-1]
        waba = world.sim.default_number.waba_id
        assert all(r.definition.name != "spring_sale" for r in world.sim.store.templates[waba])
        async with DaemonClient(server, token=admin.token) as client:
            left = [t.name for t in (await client.all_templates()).items]
        assert sorted(left) == sorted(n for n in names if n != "spring_sale")
    finally:
        await stop_simulated_world(world, world.api)
