"""The reports screen's charts, drawn with plotext: messages per local hour of the period (by
day on long periods) and the CSAT trend per day."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, time

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plotext import PlotextPlot

from pytake_daemon.protocol.reports import ReportOut
from pytake_i18n import format_skeleton
from pytake_tui.chart_axis import value_ticks
from pytake_tui.i18n import _

HOURLY_UP_TO_DAYS = 2
"""Up to this many days the volume chart has a bar per hour; beyond, a bar per day."""
TICKS = 6


def _day(day: date) -> str:
    """A day on an axis, month and day in the reader's order: "3/28" / "28/03"."""
    return format_skeleton("Md", datetime.combine(day, time()))


def _ticks(count: int) -> list[int]:
    """About :data:`TICKS` evenly spread positions out of ``count``, always the first."""
    if count <= 0:
        return []
    step = max(1, math.ceil(count / TICKS))
    return list(range(0, count, step))


class ReportCharts(Horizontal):
    """Volumes on the left, the CSAT trend on the right."""

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="chart-volume")
        yield PlotextPlot(id="chart-csat")

    def show(self, report: ReportOut) -> None:
        self._volumes(report)
        self._csat(report)

    def _volumes(self, report: ReportOut) -> None:
        plot = self.query_one("#chart-volume", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        days = (report.last_day - report.first_day).days + 1
        labels: list[str]
        inbound: list[int]
        outbound: list[int]
        if days <= HOURLY_UP_TO_DAYS:
            # Local hours with their own labels: the repeated autumn hour shows twice.
            labels = [p.start.strftime("%Hh") for p in report.hourly]
            inbound = [p.inbound for p in report.hourly]
            outbound = [p.outbound for p in report.hourly]
            plt.title(_("Messages per hour (in / out)"))
        else:
            per_day: defaultdict[date, list[int]] = defaultdict(lambda: [0, 0])
            for p in report.hourly:
                per_day[p.start.date()][0] += p.inbound
                per_day[p.start.date()][1] += p.outbound
            ordered = sorted(per_day)
            labels = [_day(d) for d in ordered]
            inbound = [per_day[d][0] for d in ordered]
            outbound = [per_day[d][1] for d in ordered]
            plt.title(_("Messages per day (in / out)"))
        positions = list(range(len(labels)))
        if positions:
            # plotext takes one colour and label per stacked series; its stub says one in all.
            plt.stacked_bar(  # type: ignore[call-arg]
                positions,
                [inbound, outbound],
                labels=[_("in"), _("out")],
                color=["cyan", "magenta"],  # type: ignore[arg-type]
                width=0.7,
            )
            ticks = _ticks(len(positions))
            plt.xticks([float(i) for i in ticks], [labels[i] for i in ticks])
            # Whole messages on the axis, about four ticks, headroom for the legend.
            top = max((a + b for a, b in zip(inbound, outbound, strict=True)), default=0)
            plt.yticks(*value_ticks(0, top, whole=True))
            plt.ylim(0, max(4, math.ceil(top * 1.3)))
        plot.refresh()

    def _csat(self, report: ReportOut) -> None:
        plot = self.query_one("#chart-csat", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        rated = [(i, d) for i, d in enumerate(report.csat_trend) if d.average is not None]
        plt.title(_("CSAT per day (1-5)") if rated else _("CSAT: no ratings in the period"))
        plt.ylim(0, 5.5)
        plt.yticks([1, 2, 3, 4, 5])
        if report.csat_trend:
            plt.xlim(-0.5, len(report.csat_trend) - 0.5)
            ticks = _ticks(len(report.csat_trend))
            labels = [_day(report.csat_trend[i].day) for i in ticks]
            plt.xticks([float(i) for i in ticks], labels)
        if rated:
            xs = [float(i) for i, _ in rated]
            ys = [d.average or 0.0 for _, d in rated]
            plt.plot(xs, ys, marker="braille", color="green")
            plt.scatter(xs, ys, marker="dot", color="green")
        plot.refresh()
