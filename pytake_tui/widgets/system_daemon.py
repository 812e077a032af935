"""The System screen's daemon panel: its own figures, from the registry ``/metrics`` renders."""

from __future__ import annotations

from pytake_tui.i18n import N_
from pytake_tui.widgets.system_panel import SystemPanel


class SystemDaemonPanel(SystemPanel):
    TITLE = N_("Daemon")
    KEYS = (
        "daemon.webhooks",
        "daemon.refused",
        "daemon.sends",
        "daemon.jobs",
        "daemon.job_age",
        "daemon.outbox",
        "daemon.websockets",
        "daemon.dropped",
        "daemon.loop_lag",
        "daemon.pool",
        "daemon.rss",
        "daemon.cpu",
    )
