"""Durability under fire: simulated customers write while the daemon is killed with SIGKILL
several times; Meta's side (the simulator) delivers at least once, with duplicates and out of
order, and retries what got no 200. After the last restart every message the simulator got a
200 for is stored exactly once, and every notification that got no 200 was retried and stored.
It runs twice: customers with phones, and customers known only by BSUID (hidden phones).
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol.whatsapp import NumberCreate
from pytake_daemon.whatsapp.numbers import add_number
from pytake_daemon.whatsapp.secretbox import load_secret_box
from pytake_simulator.config import (
    CustomersConfig,
    DeliveryConfig,
    NumberConfig,
    SimulatorConfig,
    TimingConfig,
)
from pytake_simulator.simulator import Simulator
from tests.conftest import MakeTenant
from tests.support import daemon_env, free_port
from tests.test_cross_process import Daemon, reaped, start_daemon, wait_ready
from tests.whatsapp.wa_support import WEBHOOK, digits

pytestmark = pytest.mark.timeout(240)

MESSAGES = 600
CUSTOMERS = 25
RATE = 150.0  # messages per second offered by the simulated customers
KILLS_AT = (120, 260, 400)  # acknowledged messages after which the daemon is killed


async def _stage_drained(admin_conn: Connection, tenant_id: uuid.UUID) -> None:
    deadline = asyncio.get_running_loop().time() + 120
    while await admin_conn.fetchval(
        "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND kind = 'ingest'", tenant_id
    ):
        assert asyncio.get_running_loop().time() < deadline, "ingest jobs left after 120 s"
        await asyncio.sleep(0.1)


def _at_least(count: Callable[[], int], threshold: int) -> Callable[[], bool]:
    return lambda: count() >= threshold


@pytest.mark.parametrize("hidden_phones", [False, True], ids=["phones", "bsuid-only"])
async def test_sigkill_under_load_loses_nothing_and_duplicates_nothing(
    settings: Settings,
    make_tenant: MakeTenant,
    admin_conn: Connection,
    tmp_path: Path,
    hidden_phones: bool,
) -> None:
    tenant = await make_tenant()
    number = NumberConfig(phone_number_id=digits(15), waba_id=digits(15), access_token="EAAGdur")
    app_secret = secrets.token_hex(16)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        await add_number(
            admin_conn,
            # The session's key (its state dir's): a daemon that can't decrypt every live number
            # is not ready, and other tests' numbers live in this database too.
            load_secret_box(settings),
            NumberCreate(
                phone_number_id=number.phone_number_id,
                waba_id=number.waba_id,
                access_token=number.access_token,
                app_secret=app_secret,
                verify_token="v",
            ),
        )
    port = free_port()
    sim = Simulator(
        SimulatorConfig(
            numbers=[number],
            app_secret=app_secret,
            webhook_url=f"http://127.0.0.1:{port}{WEBHOOK}",
            seed=11,
            customers=CustomersConfig(hidden_phone_share=1.0 if hidden_phones else 0.0),
            timing=TimingConfig(read_probability=0.0),
            delivery=DeliveryConfig(
                timeout=3.0,
                retry_base=0.05,
                retry_cap=0.5,
                max_attempts=200,
                concurrency=32,
                duplicate_rate=0.2,
                out_of_order_rate=0.2,
                out_of_order_hold=0.2,
                batch_max=3,
                batch_window=0.01,
            ),
        )
    )
    await sim.start("127.0.0.1", 0)
    await sim.start_runtime()
    env = daemon_env(settings, port=port)
    env.update(
        PYTAKE_WHATSAPP__GRAPH_BASE_URL=sim.base_url or "",
        PYTAKE_LOGGING__LEVEL="warning",
    )
    log = tmp_path / "daemon.log"
    daemons: list[Daemon] = []
    sent: list[str] = []

    async def customers_write() -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(MESSAGES):
            due = start + i / RATE
            # The open-loop schedule of the load itself, not synchronisation.
            await asyncio.sleep(max(0.0, due - loop.time()))
            customer = sim.customer(f"55119{i % CUSTOMERS:08d}", name=f"Customer {i % CUSTOMERS}")
            sent.append(await customer.send_text(f"message {i}"))

    def acked() -> int:
        return sum(1 for wamid in sent if sim.inbound_message(wamid).acked)

    try:
        with reaped(daemons):
            async with aiohttp.ClientSession() as session:
                daemons.append(start_daemon(env, log))
                await wait_ready(session, daemons[-1])
                load = asyncio.create_task(customers_write())
                for threshold in KILLS_AT:
                    await sim.wait_for(_at_least(acked, threshold), 60, f"{threshold} acks")
                    daemons[-1].signal(signal.SIGKILL)
                    daemons[-1].kill()
                    daemons.append(start_daemon(env, log))
                    await wait_ready(session, daemons[-1])
                await load
                await sim.wait_settled(timeout=90)
                # Acknowledged is queued: the last daemon stores what the killed ones had
                # claimed once their leases run out (jobs.lease_seconds).
                await _stage_drained(admin_conn, tenant.id)
    finally:
        await sim.stop()
        # Leave no live number behind for other tests' routing tables.
        await admin_conn.execute(
            "UPDATE whatsapp_numbers SET removed_at = now() WHERE tenant_id = $1", tenant.id
        )

    stats = sim.stats()
    assert stats.inbound_messages == MESSAGES
    # Nothing was given up on: every notification eventually got its 200.
    assert stats.deliveries_given_up == 0
    assert stats.inbound_acked == MESSAGES
    # The kills really hit deliveries in flight, and duplicates really were sent.
    assert stats.deliveries_retried > 0, stats
    assert stats.duplicates > 0, stats
    rows = await admin_conn.fetch(
        "SELECT wa_message_id, count(*) AS n FROM messages WHERE tenant_id = $1"
        " GROUP BY wa_message_id",
        tenant.id,
    )
    stored = {r["wa_message_id"]: r["n"] for r in rows}
    assert set(stored) == set(sent), {
        "missing": len(set(sent) - set(stored)),
        "unexpected": len(set(stored) - set(sent)),
    }
    assert all(n == 1 for n in stored.values())
    unread = await admin_conn.fetchval(
        "SELECT sum(unread_count) FROM conversations WHERE tenant_id = $1", tenant.id
    )
    # Counters moved once per message, not once per delivery.
    assert unread == MESSAGES
    # One contact per customer, however many deliveries raced: keyed by BSUID when the phone
    # is hidden (two writers inserting the same new customer meet on the unique key).
    contacts = await admin_conn.fetch(
        "SELECT wa_id, bsuid FROM contacts WHERE tenant_id = $1", tenant.id
    )
    assert len(contacts) == CUSTOMERS
    assert all(c["bsuid"] is not None for c in contacts)
    assert all((c["wa_id"] is None) == hidden_phones for c in contacts)
