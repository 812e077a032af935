"""The System screen's message-path lags, in the order a message meets them: the webhook's
commit (ingest), the flow's oldest waiting step, the outbox's most overdue send, and Meta's
status callbacks back here."""

from __future__ import annotations

from pytake_tui.i18n import N_
from pytake_tui.widgets.system_panel import SystemPanel


class SystemLagsPanel(SystemPanel):
    TITLE = N_("Lags: ingest → flow → outbox → status")
    KEYS = ("lag.ingest", "lag.flow", "lag.outbox", "lag.status")
