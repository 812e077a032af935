"""The System screen's host panel: CPU, memory and the state dir's disk (psutil, daemon side)."""

from __future__ import annotations

from pytake_tui.i18n import N_
from pytake_tui.widgets.system_panel import SystemPanel


class SystemHostPanel(SystemPanel):
    TITLE = N_("Host")
    KEYS = ("host.cpu", "host.memory", "host.disk")
