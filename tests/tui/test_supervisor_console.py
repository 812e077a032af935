"""Issue 17 against the real daemon (app, PostgreSQL, Redis): a supervisor takes and transfers
the open conversation from the chat, and assigns and takes waiting items from the queue monitor;
an agent at capacity asks "… is at capacity (1/1). Assign anyway?" and only yes overrides. The
thread shows the system lines the daemon wrote, live; the header and the row who attends it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.protocol import ConversationOut, Role
from pytake_daemon.protocol.agents import AgentList
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.capacity_override import ConfirmOverride
from pytake_tui.screens.chat_actions import TransferPicker
from pytake_tui.screens.queue_dialogs import ChoicePicker
from pytake_tui.screens.queue_monitor import QueueMonitorScreen
from pytake_tui.widgets.conversation_list import ConversationList
from pytake_tui.widgets.system_line import SystemLine
from tests.conftest import ApiClient, MakeTenant
from tests.queues.conftest import settle
from tests.queues.support import conversations, queue_body
from tests.support import Member, TenantData

from .helpers import wait_until


@pytest.fixture
async def tenant(make_tenant: MakeTenant, admin_conn: Connection) -> AsyncIterator[TenantData]:
    made = await make_tenant()
    yield made
    await settle(admin_conn, [made.id])  # nothing left waiting for later tests' sweeps


async def _post(api: ApiClient, who: Member, path: str, body: dict[str, Any]) -> Any:
    resp = await api.post(path, json=body, headers=who.headers)
    assert resp.status in (200, 201), await resp.text()
    return await resp.json()


async def _busy_agent(api: ApiClient, tenant: TenantData, conversation: uuid.UUID) -> str:
    """The agent online with capacity 1, attending ``conversation``: at capacity. Their name."""
    supervisor, agent = tenant[Role.SUPERVISOR], tenant[Role.AGENT]
    resp = await api.put(
        f"/api/v1/agents/{agent.id}/status",
        json={"status": "online", "capacity": 1},
        headers=supervisor.headers,
    )
    assert resp.status == 200, await resp.text()
    path = f"/api/v1/conversations/{conversation}/assignment"
    await _post(api, supervisor, path, {"agent_id": str(agent.id)})
    resp = await api.get("/api/v1/agents", headers=supervisor.headers)
    agents = AgentList.model_validate(await resp.json()).items
    return next(a.name for a in agents if a.id == agent.id)


def _app(api: ApiClient, member: Member, tmp_path: Path) -> PyTakeApp:
    server = str(api.make_url("")).rstrip("/")
    credentials = tmp_path / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=server,
            token=member.token,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            email=member.email,
        )
    )
    app = build_app(server=server, credentials_path=credentials, downloads_dir=tmp_path)
    assert isinstance(app, PyTakeApp)
    return app


def _lines(chat: ChatScreen) -> list[str]:
    return [str(line.render()) for line in chat.query(SystemLine)]


def _header(chat: ChatScreen) -> str:
    return str(chat.query_one("#thread-title", Static).render())


async def _answer(pilot: Pilot[Any], key: str) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmOverride), "the question")
    await pilot.press(key)
    await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmOverride), "answered")


async def test_a_supervisor_takes_and_transfers_from_the_chat(
    api: ApiClient, tenant: TenantData, admin_conn: Connection, tmp_path: Path
) -> None:
    supervisor, agent = tenant[Role.SUPERVISOR], tenant[Role.AGENT]
    support = await _post(api, tenant[Role.ADMIN], "/api/v1/queues", queue_body("Support"))
    sales = await _post(api, tenant[Role.ADMIN], "/api/v1/queues", queue_body("Sales"))
    busy, chosen = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 2)
    bruno = await _busy_agent(api, tenant, busy)

    app = _app(api, supervisor, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        chat.open_conversation(chosen)
        await wait_until(pilot, lambda: chat.pane.open is not None, "the conversation open")
        assert not chat.footer_hides("take")  # a supervisor's footer lists alt+t

        # alt+t: in no queue, taking puts it in the default queue (Support) and on me.
        await pilot.press("alt+t")
        await wait_until(pilot, lambda: "Support" in _header(chat), "the header after take")
        opened = chat.pane.open
        assert opened is not None
        assert opened.assignee is not None
        assert opened.assignee.id == supervisor.id
        await wait_until(pilot, lambda: any("took it" in t for t in _lines(chat)), "the line")

        # ctrl+o to Bruno, at capacity: asked; no leaves it with me, yes overrides.
        for answer in ("n", "y"):
            await pilot.press("ctrl+o")
            await wait_until(pilot, lambda: isinstance(app.screen, TransferPicker), "picker")
            targets = app.screen.query_one("#targets", OptionList)
            targets.highlighted = targets.get_option_index(f"a:{agent.id}")
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmOverride), "asked")
            assert isinstance(app.screen, ConfirmOverride)
            assert app.screen.question == f"{bruno} is at capacity (1/1). Assign anyway?"
            await _answer(pilot, answer)
            if answer == "n":
                await pilot.pause()
                opened = chat.pane.open
                assert opened is not None
                assert opened.assignee is not None
                assert opened.assignee.id == supervisor.id
        await wait_until(pilot, lambda: f"→ {bruno} · Support" in _header(chat), "Bruno's")
        await wait_until(
            pilot,
            lambda: any(f"it to {bruno}, past capacity" in t for t in _lines(chat)),
            "the override's line",
        )
        rows = chat.query_one(ConversationList)
        index = rows.get_option_index(str(chosen))
        assert f"→ {bruno} · Support" in str(rows.get_option_at_index(index).prompt)

        # ctrl+o to a queue: it waits in Sales, nobody attends it.
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, TransferPicker), "picker")
        targets = app.screen.query_one("#targets", OptionList)
        targets.highlighted = targets.get_option_index(f"q:{sales['id']}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "→ waiting · Sales" in _header(chat), "in Sales")
        await wait_until(
            pilot, lambda: any("transferred it to Sales" in t for t in _lines(chat)), "the line"
        )

    async with DaemonClient(str(api.make_url("")).rstrip("/"), token=agent.token) as client:
        final: ConversationOut = await client.conversation(chosen)
    assert final.queue is not None
    assert (final.assignee, str(final.queue.id)) == (None, sales["id"])
    assert support["name"] == "Support"


async def test_a_supervisor_assigns_past_capacity_and_takes_from_the_monitor(
    api: ApiClient, tenant: TenantData, admin_conn: Connection, tmp_path: Path
) -> None:
    supervisor, agent = tenant[Role.SUPERVISOR], tenant[Role.AGENT]
    support = await _post(api, tenant[Role.ADMIN], "/api/v1/queues", queue_body("Support"))
    busy, first, second = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 3)
    bruno = await _busy_agent(api, tenant, busy)
    to_support = {"queue_id": support["id"]}
    await _post(api, supervisor, f"/api/v1/conversations/{first}/assignment", to_support)

    app = _app(api, supervisor, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, QueueMonitorScreen), "monitor")
        monitor = app.screen
        assert isinstance(monitor, QueueMonitorScreen)

        def waiting() -> set[uuid.UUID]:
            return {i.conversation_id for i in monitor.board.waiting.values()}

        await wait_until(pilot, lambda: waiting() == {first}, "the waiting item")
        monitor.query_one("#waiting").focus()
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoicePicker), "the agents")
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index(f"a:{agent.id}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmOverride), "asked")
        assert isinstance(app.screen, ConfirmOverride)
        assert app.screen.question == f"{bruno} is at capacity (1/1). Assign anyway?"
        await _answer(pilot, "y")
        await wait_until(pilot, lambda: not waiting(), "assigned past capacity")

        await _post(api, supervisor, f"/api/v1/conversations/{second}/assignment", to_support)
        await wait_until(pilot, lambda: waiting() == {second}, "the next waiting item")
        await pilot.press("m")
        await wait_until(pilot, lambda: not waiting(), "taken")

    async with DaemonClient(str(api.make_url("")).rstrip("/"), token=agent.token) as client:
        assigned = await client.conversation(first)
        taken = await client.conversation(second)
    assert assigned.assignee is not None
    assert taken.assignee is not None
    assert (assigned.assignee.id, taken.assignee.id) == (agent.id, supervisor.id)
