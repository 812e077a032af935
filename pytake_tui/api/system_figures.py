"""The System screen's call: one reading of the host, the daemon, PostgreSQL and Redis."""

from __future__ import annotations

from pytake_daemon.protocol.system_figures import SystemFigures
from pytake_tui.api.transport import API_PREFIX, Endpoints


class SystemFigureEndpoints(Endpoints):
    """``/system/figures``."""

    async def system_figures(self) -> SystemFigures:
        """The figures now; counters as running totals (admins)."""
        return await self._transport.get(SystemFigures, f"{API_PREFIX}/system/figures")
