"""The System screen's PostgreSQL panel: connections, longest transaction, size, replication
and the dead-row share of the queue tables."""

from __future__ import annotations

from pytake_daemon.protocol.system_figures import QUEUE_TABLES, SystemFigures
from pytake_tui.i18n import N_
from pytake_tui.widgets.system_panel import SystemPanel


class SystemPostgresPanel(SystemPanel):
    TITLE = N_("PostgreSQL")
    KEYS = (
        "pg.connections",
        "pg.longest",
        "pg.size",
        "pg.replication",
        *(f"pg.dead.{table}" for table in QUEUE_TABLES),
    )

    def problem(self, figures: SystemFigures) -> str | None:
        return figures.postgres_error
