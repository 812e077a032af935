"""End to end through a real terminal (issue 17): a real daemon process seeded exactly as
``pytake demo`` seeds it (``pytake_cli.demo_seed``: its tenant, number, queues and bilingual flow),
the WhatsApp simulator playing the customers, and the demo's supervisor watching the queue
monitor in ``pytake tui`` inside tmux.

* A customer whose first message is a question, not a greeting, is answered by the flow (its
  universal trigger), asks for a person by tapping Support, and waits in the monitor; the
  customer was told the hand-over before their place in the line, on the phone and in the thread.
* A conversation closed while waiting, written into again by the customer, comes back to the
  queue it was last in (``pytake_daemon/attendance/reopen.py``) and shows in the monitor again.

The demo's tenant, accounts and number are fixed names, so every test of this module seeds the
same tenant, as a second ``pytake demo`` run does (the seeding finds what is there); each test
has customers of its own and looks only at them. The demo's two agents are set offline after
seeding: with nobody on duty a customer who asks for a person stays in the waiting column.

The terminal is 100 columns wide, below the monitor's narrow width: it shows one column at a
time, the waiting one unless another key was pressed, so a customer's row on screen is a row of
the column the tab line names.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from pytake_cli import demo_seed
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import ConversationOut
from pytake_daemon.protocol.agents import AgentOut, AgentStatus, AgentStatusUpdate
from pytake_daemon.protocol.conversations import (
    ConversationList,
    ConversationStatus,
    ConversationStatusUpdate,
)
from pytake_simulator.config import NumberConfig, SimulatorConfig
from pytake_simulator.simulator import Simulator
from pytake_simulator.state import OutboundMessage
from tests.whatsapp.wa_support import digits

from .test_chat_terminal import eventually, log_in, serving
from .test_terminal import TMUX, Terminal

pytestmark = pytest.mark.skipif(
    TMUX is None, reason="tmux is required: scripts/bootstrap.sh installs it"
)

OPENER = "Cadê o meu pedido? Já faz uma semana"
HAND_OVER = "Vou te passar para o suporte."
PLACE = re.compile(r"Você é o número \d+ na fila Support\b")
MENU = "Como podemos ajudar?"


@dataclass
class Demo:
    url: str
    sim: Simulator
    api: demo_seed.Api
    """Logged in as the demo's owner."""
    supervisor_password: str


@pytest.fixture
async def demo(settings: Settings, endpoints: Endpoints, tmp_path: Path) -> AsyncIterator[Demo]:
    """The daemon and the simulator with the demo's own number and secrets, seeded by
    ``demo_seed`` as ``pytake demo`` does, the demo's agents off duty."""
    sim = Simulator(SimulatorConfig.fast(numbers=[NumberConfig()], webhook_url=None, seed=17))
    async with serving(settings, tmp_path, sim) as url, aiohttp.ClientSession() as http:
        credentials = await demo_seed.seed_accounts(
            settings, endpoints, tmp_path / demo_seed.CREDENTIALS_FILE, language="en"
        )
        api = demo_seed.Api(http, url)
        # English names, whatever the machine's locale: the screen is read for "Support".
        workspace = await demo_seed.seed_workspace(api, credentials, language="en")
        off_duty = AgentStatusUpdate(status=AgentStatus.OFFLINE)
        for agent_id in workspace.agents.values():
            await api.call("PUT", f"/api/v1/agents/{agent_id}/status", AgentOut, off_duty)
        yield Demo(url, sim, api, credentials.passwords[demo_seed.SUPERVISOR.email])


def waiting_row(screen: str, name: str) -> str | None:
    """``name``'s row in the waiting column, in the Support queue: place, contact, queue and
    priority cells in that order (a toast naming the customer, or a row of another column, has
    neither the place first nor the priority after the queue)."""
    row = re.compile(rf"│\s*\d+\s+{re.escape(name)}\s+Support\s+(normal|high|URGENT)\b")
    return next((line for line in screen.splitlines() if row.search(line)), None)


async def open_monitor(term: Terminal) -> None:
    """F4, then wait for the board's first load (until then its columns are empty and say
    nothing)."""
    term.keys("F4")
    await eventually(
        lambda: "1 Waiting (" in term.screen() and "Loading the queues" not in term.screen(),
        "the queue monitor, loaded",
        term.screen,
        timeout=30,
    )


def texts(sent: list[OutboundMessage]) -> list[str]:
    """What the customer read, one string per message (a menu by its question)."""
    said = []
    for message in sent:
        body = message.body
        if message.type == "text":
            said.append(body["text"]["body"])
        elif message.type == "interactive":
            said.append(body["interactive"]["body"]["text"])
        else:
            said.append(message.type)
    return said


async def hand_over(sim: Simulator, customer: str, name: str, opener: str) -> list[str]:
    """The customer writes ``opener``, gets the flow's menu and taps Support; returns what they
    were told, once the queue told them their place."""
    phone = sim.customer(customer, name=name)
    await phone.send_text(opener)
    [menu] = await sim.wait_for_outbound(to=customer, timeout=20)
    assert menu.type == "interactive", texts([menu])
    buttons = menu.body["interactive"]["action"]["buttons"]
    support = next(b["reply"] for b in buttons if "Support" in b["reply"]["title"])
    await phone.reply_button(support["id"], support["title"], context_id=menu.id)
    told = await sim.wait_for_outbound(to=customer, count=3, timeout=20)
    return texts(told)


async def conversation_of(api: demo_seed.Api, customer: str) -> ConversationOut:
    found = await api.call("GET", f"/api/v1/conversations?q={customer}", ConversationList)
    [conversation] = found.items
    return conversation


async def until_status(
    api: demo_seed.Api, customer: str, status: ConversationStatus, timeout: float = 20.0
) -> None:
    """Poll the customer's conversation until it has ``status`` (the fan-out decides a
    reopened conversation after the webhook's 200, with nothing on screen to wait on)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (seen := (await conversation_of(api, customer)).status) is not status:
        assert asyncio.get_running_loop().time() < deadline, f"still {seen}, not {status}"
        await asyncio.sleep(0.1)


async def test_a_question_first_is_answered_and_waits_in_the_monitor(
    demo: Demo, tmp_path: Path
) -> None:
    term = Terminal(tmp_path)
    screen = term.screen
    name, customer = "Bia Torres", digits(12)
    try:
        await log_in(term, demo.url, tmp_path, demo_seed.SUPERVISOR.email, demo.supervisor_password)
        await open_monitor(term)

        told = await hand_over(demo.sim, customer, name, OPENER)
        # The flow answered the question with its menu; the hand-over came before the place.
        assert MENU in told[0], told
        assert told[1].startswith(HAND_OVER), told
        assert PLACE.match(told[2]), told
        await eventually(
            lambda: waiting_row(screen(), name) is not None, f"{name} waiting in Support", screen
        )

        # Enter opens the selected row's thread, read-only: the same order there.
        term.keys("Enter")
        await eventually(lambda: "read-only" in screen(), "the read-only thread", screen)
        await eventually(lambda: PLACE.search(screen()) is not None, "the place told", screen)
        lines = screen().splitlines()
        hand_over_at = next(n for n, line in enumerate(lines) if HAND_OVER in line)
        place_at = next(n for n, line in enumerate(lines) if PLACE.search(line))
        assert hand_over_at < place_at, screen()
        term.keys("Escape")
        term.keys("C-q")
    finally:
        term.close()


async def test_a_closed_conversation_written_into_again_is_back_in_its_queue(
    demo: Demo, tmp_path: Path
) -> None:
    term = Terminal(tmp_path)
    screen = term.screen
    name, customer = "Caio Prado", digits(12)
    try:
        await log_in(term, demo.url, tmp_path, demo_seed.SUPERVISOR.email, demo.supervisor_password)
        await open_monitor(term)
        await hand_over(demo.sim, customer, name, "Oi, quero trocar um tamanho")
        await eventually(
            lambda: waiting_row(screen(), name) is not None, f"{name} waiting in Support", screen
        )

        # Closed while waiting (as the owner, over the API): gone from the waiting column.
        conversation = await conversation_of(demo.api, customer)
        closing = ConversationStatusUpdate(status=ConversationStatus.RESOLVED)
        path = f"/api/v1/conversations/{conversation.id}/status"
        closed = await demo.api.call("PATCH", path, ConversationOut, closing)
        assert closed.status is ConversationStatus.RESOLVED
        await eventually(
            lambda: waiting_row(screen(), name) is None, f"{name} off the waiting column", screen
        )
        term.keys("3")  # the history column: the attendance ended there
        ended = re.compile(rf"│\s*(done|abandoned|timed out|moved)\s+{re.escape(name)}\s+Support")
        await eventually(lambda: ended.search(screen()) is not None, "the ended item", screen)
        term.keys("1")
        await eventually(lambda: ended.search(screen()) is None, "the waiting column", screen)
        sent_before = len(demo.sim.outbound_messages(to=customer))

        # A 👍 on the last thing the business said leaves it closed (the report: a 👍
        # reopened it, open in no queue and invisible here). The webhook's 200 reopens it until
        # the fan-out decides, so wait for the decision before looking at the screen.
        phone = demo.sim.customer(customer, name=name)
        await demo.sim.wait_acked(await phone.react("👍"), timeout=20)
        await until_status(demo.api, customer, ConversationStatus.RESOLVED)
        assert waiting_row(screen(), name) is None, screen()

        # The customer writes again: the conversation is back in Support (its last queue, not
        # the tenant's default, Sales), waiting, in the monitor; the flow did not start over.
        await phone.send_text("Ainda não resolveram, e agora?")
        await eventually(
            lambda: waiting_row(screen(), name) is not None,
            f"{name} back in the Support queue",
            screen,
        )
        reopened = await conversation_of(demo.api, customer)
        assert reopened.status is ConversationStatus.OPEN
        assert reopened.queue is not None
        assert reopened.queue.name == "Support"
        assert not any(
            MENU in t for t in texts(demo.sim.outbound_messages(to=customer))[sent_before:]
        )
        term.keys("C-q")
    finally:
        term.close()
