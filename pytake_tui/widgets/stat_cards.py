"""Today, this week and this month side by side: one bordered card each."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from pytake_daemon.protocol.agents import AgentMetrics
from pytake_tui.dashboard_view import card_lines
from pytake_tui.i18n import N_, _

CARDS = (("today", N_("Today")), ("week", N_("This week")), ("month", N_("This month")))


class StatCards(Horizontal):
    """The figures of :class:`AgentMetrics`, a card per period."""

    def compose(self) -> ComposeResult:
        for key, title in CARDS:
            card = Static("…", id=f"card-{key}", classes="stat-card")
            card.border_title = _(title)
            yield card

    def show(self, metrics: AgentMetrics) -> None:
        periods = {"today": metrics.today, "week": metrics.week, "month": metrics.month}
        for key, period in periods.items():
            self.query_one(f"#card-{key}", Static).update("\n".join(card_lines(period)))
