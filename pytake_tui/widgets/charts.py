"""The dashboard's charts, drawn in the terminal with plotext: messages per hour and first
reply per hour (today), satisfaction per day (the last two weeks)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual_plotext import PlotextPlot

from pytake_daemon.protocol.agents import AgentMetrics
from pytake_i18n import format_date
from pytake_tui.chart_axis import value_ticks
from pytake_tui.i18n import _

HOUR_TICKS = 3
"""A tick label every this many hours, so 24 of them don't collide at 80 columns."""


class AgentCharts(Grid):
    """One plot a series; the grid puts them in a column, or in a row on a wide terminal."""

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="chart-messages")
        yield PlotextPlot(id="chart-response")
        yield PlotextPlot(id="chart-satisfaction")

    def show(self, metrics: AgentMetrics) -> None:
        hours = [p.hour for p in metrics.hourly]
        ticks: list[float] = [h for h in hours if h % HOUR_TICKS == 0]
        labels = [f"{h:02.0f}h" for h in ticks]

        messages = self.query_one("#chart-messages", PlotextPlot)
        plt = messages.plt
        plt.clear_data()
        plt.clear_figure()
        counts = [p.messages_answered for p in metrics.hourly]
        plt.title(_("Messages per hour today ({count})").format(count=sum(counts)))
        if hours:
            plt.bar(hours, counts, color="cyan", width=0.6)
            plt.xticks(ticks, labels)
            # Whole messages on the axis, about four ticks whatever the busiest hour.
            plt.yticks(*value_ticks(0, max(counts), whole=True))
        messages.refresh()

        response = self.query_one("#chart-response", PlotextPlot)
        plt = response.plt
        plt.clear_data()
        plt.clear_figure()
        measured = [
            (p.hour, p.avg_first_response_seconds / 60)
            for p in metrics.hourly
            if p.avg_first_response_seconds is not None
        ]
        plt.title(
            _("First reply per hour today (min)") if measured else _("First reply: none today")
        )
        if measured:
            plt.bar([h for h, _ in measured], [m for _, m in measured], color="yellow", width=0.6)
            plt.xticks(ticks, labels)
            plt.xlim(-0.5, max(hours) + 0.5)
            plt.yticks(*value_ticks(0, max(m for _, m in measured)))
        response.refresh()

        satisfaction = self.query_one("#chart-satisfaction", PlotextPlot)
        plt = satisfaction.plt
        plt.clear_data()
        plt.clear_figure()
        rated = [p for p in metrics.daily if p.avg_satisfaction is not None]
        span = (
            f"{format_date(metrics.daily[0].day, format='dd/MM')}"
            f"-{format_date(metrics.daily[-1].day, format='dd/MM')}"
            if metrics.daily
            else ""
        )
        plt.title(
            _("Rating per day {span}").format(span=span) if rated else _("Ratings: none in 14 days")
        )
        plt.ylim(0, 5)
        plt.yticks(*value_ticks(0, 5, 5))
        if metrics.daily:
            # Days by position, the span in the title: plotext places text labels under bars a
            # cell left or right from one drawing to the next.
            plt.bar(
                list(range(len(metrics.daily))),
                [p.avg_satisfaction or 0 for p in metrics.daily],
                color="green",
                width=0.6,
            )
            plt.xticks([], [])
            plt.xlim(-1, len(metrics.daily))
        satisfaction.refresh()
