"""Each action's rate in the last hour against its own baseline: the same hour of the
previous weeks (weekly seasonality: Monday 10:00 is compared with earlier Mondays 10:00)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from pytake_daemon.audit.chain import EntryLike
from pytake_daemon.config import AuditSettings
from pytake_daemon.protocol.audit import TrendList, TrendOut

WINDOW = timedelta(hours=1)


def compare(rows: Iterable[EntryLike], *, end: datetime, settings: AuditSettings) -> TrendList:
    """Build the trend list from ``(action, weeks_ago, count)`` rows; spikes first."""
    current: dict[str, int] = defaultdict(int)
    past: dict[str, int] = defaultdict(int)
    for row in rows:
        target = current if row["weeks_ago"] == 0 else past
        target[row["action"]] += int(row["count"])
    weeks = settings.trend_weeks
    items = []
    for action in sorted(current.keys() | past.keys()):
        now, baseline = current[action], past[action] / weeks
        ratio = now / baseline if baseline else None
        spike = now >= settings.trend_min_count and (
            ratio is None or ratio >= settings.trend_spike_factor
        )
        items.append(
            TrendOut(action=action, current=now, baseline=baseline, ratio=ratio, spike=spike)
        )
    items.sort(key=lambda t: (not t.spike, -t.current, t.action))
    return TrendList(window_start=end - WINDOW, window_end=end, weeks=weeks, items=items)
