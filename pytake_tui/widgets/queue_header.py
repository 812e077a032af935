"""The queue monitor's header: the dashboard's figures and the AI's latest alert."""

from __future__ import annotations

import uuid

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content

from pytake_tui.alert_words import alert_detail
from pytake_tui.i18n import _, ngettext, styled_format
from pytake_tui.insights_view import RULE_TITLES
from pytake_tui.queue_board import QueueBoard, duration
from pytake_tui.widgets.queue_columns import TextLine, contact_label


class QueueHeader(Vertical):
    """``7 waiting · avg wait 1m00s · 2 online, 1 busy · 67% abandoned`` and the alerts strip."""

    DEFAULT_CSS = "QueueHeader { height: auto; }"

    def compose(self) -> ComposeResult:
        yield TextLine(id="metrics")
        yield TextLine(id="alerts")

    def show(self, board: QueueBoard, queue_filter: uuid.UUID | None) -> None:
        """The figures for one queue (or all) and the latest alert."""
        metrics = board.metrics(queue_filter)
        scope: list[tuple[str, str] | str] = []
        if queue_filter is not None:
            scope = [(board.queue_name(queue_filter), "bold $text-accent"), ": "]
        avg = "—" if metrics.avg_wait_seconds is None else duration(metrics.avg_wait_seconds)
        abandoned = "—" if metrics.abandonment is None else f"{metrics.abandonment:.0%}"
        line = styled_format(
            _(
                "{waiting} waiting · avg wait {avg} · {online} online, {busy} busy"
                " · {abandoned} abandoned"
            ),
            "bold",
            waiting=metrics.waiting,
            avg=avg,
            online=metrics.agents_online,
            busy=metrics.agents_busy,
            abandoned=abandoned,
        )
        self.query_one("#metrics", TextLine).update(Content.assemble(*scope, line))
        alerts = self.query_one("#alerts", TextLine)
        latest = next(reversed(board.alerts.values()), None)
        if alerts.display != (latest is not None):
            alerts.display = latest is not None
        if latest is not None:
            shown = board.item_of(latest.conversation_id)
            who = contact_label(shown) if shown is not None else _("a conversation")
            count = len(board.alerts)
            # The rule's name as the Insights screen says it (the wire carries the enum value).
            title = RULE_TITLES.get(latest.rule.value)
            rule = _(title) if title else latest.rule.value.replace("_", " ")
            alerts.update(
                Content.assemble(
                    ("⚠ " + ngettext("{n} alert", "{n} alerts", count).format(n=count), "bold"),
                    " · "
                    + _("latest: {who}: {rule} — {detail}").format(
                        who=who, rule=rule, detail=alert_detail(latest.detail)
                    ),
                )
            )
