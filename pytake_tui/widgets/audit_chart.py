"""Audit entries over time: one stacked bar per hour or day, failures on top of successes."""

from __future__ import annotations

from typing import Any

from textual_plotext import PlotextPlot

from pytake_i18n import format_number
from pytake_tui.audit_view import Bar

_TICKS = 6
"""Labelled buckets along the axis: more would run into each other on 80 columns."""


class AuditChart(PlotextPlot):
    """Counts per bucket as stacked bars (``show`` replaces the data)."""

    def show(self, bars: list[Bar]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.frame(False)
        if not bars:
            self.refresh()
            return
        xs = [float(i) for i in range(len(bars))]
        ok = [bar.count - bar.failures for bar in bars]
        failed = [bar.failures for bar in bars]
        # One colour per series; plotext's stubs type ``color`` as a single colour.
        colors: Any = ["green", "red"]
        plt.stacked_bar(xs, [ok, failed], color=colors, width=0.8, minimum=0)
        every = max(1, len(bars) // _TICKS)
        plt.xticks(xs[::every], [bar.label for bar in bars[::every]])
        top = max(bar.count for bar in bars)
        if top:
            plt.yticks([0.0, float(top)], [format_number(0), format_number(top)])
        else:
            plt.yticks([0.0], [format_number(0)])
        self.refresh()
