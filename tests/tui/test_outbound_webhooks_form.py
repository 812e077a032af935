"""Outbound webhooks in the console: register an endpoint (the refusal under its field, the
secret shown once), change its events, disable and delete it after a question; and the same
calls against the real daemon."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, SelectionList, Static

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.outbound_webhooks import (
    EndpointCreate,
    EndpointUpdate,
    WebhookEventType,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.screens.admin_confirm import ConfirmChange
from pytake_tui.screens.outbound_webhooks_form import EndpointFormDialog, WebhookSecretDialog
from tests.conftest import ApiClient, MakeTenant

from .helpers import wait_until
from .outbound_webhooks_support import (
    CRM,
    GONE,
    NEW,
    SECRET,
    WebhooksClient,
    open_webhooks,
    person,
    webhooks_app,
)

T = WebhookEventType


def _error(dialog: EndpointFormDialog, field: str) -> str:
    line = dialog.query_one(f"#error-{field}", Static)
    return str(line.render()) if line.display else ""


async def test_register_shows_refusals_under_fields_then_the_secret_once(tmp_path: Path) -> None:
    client = WebhooksClient("x", me=person(Role.ADMIN))
    app = webhooks_app(tmp_path, client)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_webhooks(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, EndpointFormDialog), "the form")
        dialog = app.screen
        assert isinstance(dialog, EndpointFormDialog)

        # The protocol's refusal, before anything is sent: a URL that is no URL.
        await pilot.press(*"ftp://files", "enter")
        await wait_until(pilot, lambda: "http(s) URL" in _error(dialog, "url"), "url's error")
        assert len(client.endpoints) == 2

        # No event chosen: said under the events.
        events = dialog.query_one("#field-event_types", SelectionList)
        events.deselect_all()
        url = dialog.query_one("#field-url", Input)
        url.value = "https://10.0.0.7/hooks"
        dialog.action_save()
        await wait_until(pilot, lambda: bool(_error(dialog, "event_types")), "events' error")
        assert _error(dialog, "url") == ""

        # The daemon's refusal (its SSRF guard): under the URL; the form stays open.
        events.select(T.MESSAGE_RECEIVED)
        events.select(T.CONVERSATION_CLOSED)
        dialog.action_save()
        await wait_until(pilot, lambda: "private address" in _error(dialog, "url"), "refusal")
        assert _error(dialog, "event_types") == ""
        assert isinstance(app.screen, EndpointFormDialog)

        url.value = "https://erp.example.com/in"
        dialog.query_one("#field-description", Input).value = "the ERP"
        dialog.action_save()
        await wait_until(pilot, lambda: isinstance(app.screen, WebhookSecretDialog), "secret")
        assert app.screen.query_one("#webhook-secret", Input).value == SECRET
        created = next(e for e in client.endpoints if e.id == NEW)
        assert (created.url, created.description) == ("https://erp.example.com/in", "the ERP")
        assert created.event_types == [T.MESSAGE_RECEIVED, T.CONVERSATION_CLOSED]

        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back on the list")
        await wait_until(pilot, lambda: len(screen.endpoints) == 3, "the list reloaded")


async def test_change_disable_and_delete_after_a_question(tmp_path: Path) -> None:
    client = WebhooksClient("x", me=person(Role.ADMIN))
    app = webhooks_app(tmp_path, client)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_webhooks(pilot)
        screen.query_one("#webhook-endpoints", DataTable).focus()

        # Enter on the CRM: its form, the URL kept; one more event type.
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, EndpointFormDialog), "the form")
        dialog = app.screen
        assert dialog.query_one("#field-url", Input).disabled
        dialog.query_one("#field-event_types", SelectionList).select(T.MESSAGE_STATUS)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "saved")
        assert client.endpoints[0].event_types == [
            T.MESSAGE_RECEIVED, T.MESSAGE_STATUS, T.RATING_RECEIVED,
        ]  # fmt: skip

        # Disabling asks first; "n" keeps it enabled, "y" disables it.
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen, "kept")
        assert client.endpoints[0].enabled
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: not client.endpoints[0].enabled, "disabled")

        # Delete asks too; the endpoint and its deliveries go.
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmChange), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: [e.id for e in screen.endpoints] == [GONE], "deleted")
        assert all(d.endpoint_id != CRM for d in client.items)


async def test_agents_get_no_form(tmp_path: Path) -> None:
    """The screen is admins' only (the palette hides it); pushed anyway, the daemon refuses."""
    client = WebhooksClient("x", me=person(Role.AGENT))
    app = webhooks_app(tmp_path, client)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.me is not None and app.client is not None, "session")
        app.push_screen(EndpointFormDialog(client=client, endpoint=None))
        await wait_until(pilot, lambda: isinstance(app.screen, EndpointFormDialog), "the form")
        dialog = app.screen
        assert isinstance(dialog, EndpointFormDialog)
        await wait_until(pilot, lambda: bool(dialog.query("#field-url")), "the fields")
        dialog.query_one("#field-url", Input).value = "https://crm.example.com/x"
        dialog.action_save()
        form_error = dialog.query_one("#form-error", Static)
        await wait_until(pilot, lambda: "admin role" in str(form_error.render()), "the refusal")


async def test_client_registers_changes_and_removes(
    proxied_api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    server = str(proxied_api.make_url("")).rstrip("/")
    async with DaemonClient(server, token=tenant[Role.ADMIN].token) as admin:
        created = await admin.create_webhook_endpoint(
            EndpointCreate(url="https://crm.example.com/hooks", event_types=[T.MESSAGE_SENT])
        )
        assert created.secret.startswith("whsec_")
        changed = await admin.update_webhook_endpoint(
            created.endpoint.id,
            EndpointUpdate(description="CRM", event_types=[T.MESSAGE_SENT, T.CONTACT_UPDATED]),
        )
        assert changed.description == "CRM"
        assert set(changed.event_types) == {T.MESSAGE_SENT, T.CONTACT_UPDATED}
        with pytest.raises(DaemonError) as private:
            await admin.create_webhook_endpoint(
                EndpointCreate(url="https://10.0.0.7/hooks", event_types=[T.MESSAGE_SENT])
            )
        assert private.value.status == 422
        assert [f.loc for f in private.value.fields] == ["body.url"]
        await admin.delete_webhook_endpoint(created.endpoint.id)
        assert (await admin.webhook_endpoints()).items == []
        with pytest.raises(DaemonError) as gone:
            await admin.delete_webhook_endpoint(created.endpoint.id)
        assert gone.value.status == 404
