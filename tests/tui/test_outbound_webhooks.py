"""The outbound webhooks screen (admins, from the palette): endpoints, the selected endpoint's
deliveries, the dead letters with replay on Enter, enable/disable; agents don't get it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.outbound_webhooks import DeliveryState

from .helpers import wait_until
from .outbound_webhooks_support import (
    CRM,
    GONE,
    WebhooksClient,
    open_webhooks,
    palette_entry,
    person,
    webhooks_app,
)


async def test_dead_letters_replay_on_enter_and_enable(tmp_path: Path) -> None:
    client = WebhooksClient("x", me=person(Role.ADMIN))
    app = webhooks_app(tmp_path, client)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_webhooks(pilot)
        assert [e.id for e in screen.endpoints] == [CRM, GONE]
        # The first endpoint is selected: its deliveries, newest first.
        assert [d.event_type.value for d in screen.deliveries] == [
            "message.received", "rating.received", "message.received",
        ]  # fmt: skip

        # The selection moves to the disabled endpoint: its deliveries follow.
        screen.query_one("#webhook-endpoints", DataTable).focus()
        loads = screen.loads
        await pilot.press("down")
        await wait_until(pilot, lambda: screen.loads > loads, "the second endpoint's deliveries")
        assert {d.endpoint_id for d in screen.deliveries} == {GONE}

        # d: every dead letter; Enter on the CRM's replays it.
        loads = screen.loads
        await pilot.press("d")
        await wait_until(pilot, lambda: screen.loads > loads and screen.dead_only, "dead letters")
        assert all(d.state is DeliveryState.DEAD for d in screen.deliveries)
        assert len(screen.deliveries) == 2
        deliveries = screen.query_one("#webhook-deliveries", DataTable)
        deliveries.focus()
        crm_dead = screen.deliveries[0]
        assert crm_dead.endpoint_id == CRM
        await pilot.press("enter")
        await wait_until(pilot, lambda: client.replayed == [crm_dead.id], "the replay")
        status = screen.query_one("#webhooks-status", Static)
        await wait_until(pilot, lambda: "Replay queued" in str(status.render()), "the status")

        # The 410'd endpoint's dead letter: refused until it is enabled again.
        gone_row = next(i for i, d in enumerate(screen.deliveries) if d.endpoint_id == GONE)
        deliveries.move_cursor(row=gone_row)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "enable it first" in str(status.render()), "the refusal")
        assert len(client.replayed) == 1

        screen.query_one("#webhook-endpoints", DataTable).focus()
        await pilot.press("e")  # on the selected (disabled) endpoint
        await wait_until(pilot, lambda: client.endpoints[1].enabled, "enabled again")
        await wait_until(pilot, lambda: screen.endpoints[1].enabled, "the list reloaded")
        deliveries.focus()
        gone_row = next(i for i, d in enumerate(screen.deliveries) if d.endpoint_id == GONE)
        deliveries.move_cursor(row=gone_row)
        await pilot.press("p")
        await wait_until(pilot, lambda: len(client.replayed) == 2, "the second replay")

        # Back to the selected endpoint's deliveries: the replay waits there; it is not dead,
        # so Enter on it is refused with the reason.
        loads = screen.loads
        await pilot.press("d")
        await wait_until(pilot, lambda: not screen.dead_only and screen.loads > loads, "back")
        assert screen.deliveries[0].state is DeliveryState.PENDING
        deliveries.move_cursor(row=0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Only dead letters" in str(status.render()), "the reason")
        assert len(client.replayed) == 2


async def _offered(tmp_path: Path, role: Role) -> bool:
    app = webhooks_app(tmp_path / role.value, WebhooksClient("x", me=person(role)))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.me is not None, "session")
        return palette_entry(app) is not None


async def test_agents_and_supervisors_do_not_get_it(tmp_path: Path) -> None:
    assert [await _offered(tmp_path, role) for role in Role] == [
        role.at_least(Role.ADMIN) for role in Role
    ]
