"""The cached table of numbers a webhook is routed by: a burst that finds it stale reads it
once, not once per waiting webhook."""

from __future__ import annotations

import asyncio

from cryptography.fernet import Fernet

from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import create_pool
from pytake_daemon.whatsapp.routing import RoutingTable
from pytake_daemon.whatsapp.secretbox import SecretBox


async def test_a_burst_that_finds_the_table_stale_reads_it_once(
    endpoints: Endpoints, settings: Settings
) -> None:
    pool = await create_pool(endpoints.app_dsn.get_secret_value(), min_size=1, max_size=4)
    try:
        table = RoutingTable(pool, SecretBox([Fernet.generate_key()]), settings.whatsapp)
        # Fifty webhooks arrive together: the first reads; the others asked while that read
        # was already under way (it may predate what they need), so one more read answers
        # them all. Before, each of the fifty read the table in turn.
        await asyncio.gather(*(table.refresh() for _ in range(50)))
        assert table.reads == 2
        # A request made after the last read finished is not answered by it.
        await table.refresh()
        assert table.reads == 3
    finally:
        await pool.close()
