"""The System screen's Redis panel: used memory, clients and a PING's round trip."""

from __future__ import annotations

from pytake_daemon.protocol.system_figures import SystemFigures
from pytake_tui.i18n import N_
from pytake_tui.widgets.system_panel import SystemPanel


class SystemRedisPanel(SystemPanel):
    TITLE = N_("Redis")
    KEYS = ("redis.memory", "redis.clients", "redis.ping")

    def problem(self, figures: SystemFigures) -> str | None:
        return figures.redis_error
