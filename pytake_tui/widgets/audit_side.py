"""The audit screen's side parts: the typed filters (actor, action, target, text) and the
security alerts with the last hour's spikes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pytake_daemon.protocol.audit import SecurityAlertOut, TrendOut
from pytake_tui.audit_view import alert_line, trend_line
from pytake_tui.i18n import _

FILTER_DEBOUNCE_SECONDS = 0.3
_FIELDS = ("actor", "action", "target", "text")


class AuditFilterInputs(Horizontal):
    """Four fields; posts :class:`Typed` after a pause in typing (or at once on enter)."""

    class Typed(Message):
        """The fields' values, by name (actor, action, target, text)."""

        def __init__(self, values: dict[str, str], submitted: bool) -> None:
            super().__init__()
            self.values = values
            self.submitted = submitted

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(id="filter-actor", placeholder=_("actor"))
        yield Input(id="filter-action", placeholder=_("action"))
        yield Input(id="filter-target", placeholder=_("target id"))
        yield Input(id="filter-text", placeholder=_("/ search"))

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        # Wait for a pause in typing: one request for a word, not one per letter.
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(FILTER_DEBOUNCE_SECONDS, lambda: self._post(False))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._post(True)

    def _post(self, submitted: bool) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        values = {name: self.query_one(f"#filter-{name}", Input).value for name in _FIELDS}
        self.post_message(self.Typed(values, submitted))


class AuditAlertsPanel(Vertical):
    """The latest security alerts (enter opens the first entry behind one) and the spikes."""

    class AlertChosen(Message):
        def __init__(self, alert: SecurityAlertOut) -> None:
            super().__init__()
            self.alert = alert

    def __init__(self, *, clock: Callable[[], datetime], id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self.alerts: list[SecurityAlertOut] = []

    def compose(self) -> ComposeResult:
        yield Static(_("Security alerts"), classes="side-title")
        yield OptionList(id="audit-alerts")
        yield Static(_("Spikes, last hour"), classes="side-title")
        yield Static(id="audit-spikes")

    def show(self, alerts: list[SecurityAlertOut], trends: list[TrendOut] | None = None) -> None:
        """The alerts (newest first), and the spikes among ``trends`` when given."""
        self.alerts = alerts
        options = self.query_one("#audit-alerts", OptionList)
        options.clear_options()
        now = self._clock()
        if not alerts:
            options.add_option(Option(Content(_("none")), disabled=True))
        else:
            options.add_options(
                Option(Content(alert_line(alert, now)), id=str(alert.id)) for alert in alerts
            )
        if trends is not None:
            lines = [trend_line(trend) for trend in trends if trend.spike] or [_("none")]
            self.query_one("#audit-spikes", Static).update(Content("\n".join(lines)))

    def focus_alerts(self) -> None:
        """Pick an alert with the cursor."""
        options = self.query_one("#audit-alerts", OptionList)
        options.focus()
        if options.highlighted is None and options.option_count:
            options.highlighted = 0

    @on(OptionList.OptionSelected, "#audit-alerts")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        alert = next((a for a in self.alerts if str(a.id) == event.option.id), None)
        if alert is not None and alert.entry_ids:
            self.post_message(self.AlertChosen(alert))
