"""The reports screen's questions: custom dates, where to export the current view, and a
scheduled e-mail subscription. Bad input is said under the field; the dialog stays open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from pytake_daemon.protocol.report_schedules import Audience, Frequency, ScheduleCreate
from pytake_daemon.protocol.reports import MAX_DAYS, Dataset, ExportFormat
from pytake_tui.i18n import N_, _
from pytake_tui.report_view import Period, dataset_name, frequency_name, weekday_name


class _Dialog(ModalScreen[object]):
    CSS_PATH = "report_dialogs.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def _error(self, text: str) -> None:
        self.query_one(".dialog-error", Static).update(text)

    def _buttons(self, ok: str) -> ComposeResult:
        yield Static("", classes="dialog-error")
        with Horizontal(classes="dialog-buttons"):
            yield Button(ok, id="dialog-ok", variant="primary")
            yield Button(_("Cancel (esc)"), id="dialog-cancel")

    @on(Button.Pressed, "#dialog-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#dialog-ok")
    @on(Input.Submitted)
    def _ok(self) -> None:
        self.submit()

    def submit(self) -> None:
        """Each dialog reads its own fields (the subclasses); this base only wires the keys."""
        raise NotImplementedError


class CustomPeriodDialog(_Dialog):
    """Two local dates, both included (at most a year)."""

    def __init__(self, first: date, last: date) -> None:
        super().__init__()
        self._first, self._last = first, last

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Custom period (your time zone)"), classes="dialog-title")
            yield Label(_("First day (YYYY-MM-DD)"))
            yield Input(self._first.isoformat(), id="first-day")
            yield Label(_("Last day (YYYY-MM-DD)"))
            yield Input(self._last.isoformat(), id="last-day")
            yield from self._buttons(_("Show"))

    def submit(self) -> None:
        try:
            first = date.fromisoformat(self.query_one("#first-day", Input).value.strip())
            last = date.fromisoformat(self.query_one("#last-day", Input).value.strip())
        except ValueError:
            self._error(_("Dates are YYYY-MM-DD, e.g. 2026-03-28"))
            return
        if last < first:
            self._error(_("The last day is before the first"))
        elif (last - first).days + 1 > MAX_DAYS:
            self._error(_("A report covers at most {days} days").format(days=MAX_DAYS))
        else:
            self.dismiss(Period(None, first, last))


@dataclass(frozen=True, slots=True)
class ExportChoice:
    dataset: Dataset
    format: ExportFormat
    path: Path


EXPORTABLE = (
    Dataset.SUMMARY, Dataset.BREAKDOWN, Dataset.HOURLY, Dataset.HEATMAP, Dataset.CSAT,
    Dataset.INTENTS, Dataset.ERRORS,
)  # fmt: skip


class ExportDialog(_Dialog):
    """Which table of the current view, which format, and the file it goes to."""

    def __init__(self, dataset: Dataset, folder: Path, name: str) -> None:
        super().__init__()
        self._dataset = dataset
        self._folder = folder
        self._pattern = name
        """``{dataset}`` and ``{format}`` in it are filled in as the choices change."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Export the current view"), classes="dialog-title")
            with Horizontal(classes="dialog-row"):
                yield Select(
                    [(dataset_name(d), d) for d in EXPORTABLE], value=self._dataset,
                    allow_blank=False, id="export-dataset",
                )  # fmt: skip
                yield Select(
                    [(f.value.upper(), f) for f in ExportFormat], value=ExportFormat.CSV,
                    allow_blank=False, id="export-format",
                )  # fmt: skip
            yield Label(_("File"))
            yield Input(self._path(), id="export-path")
            yield from self._buttons(_("Export"))

    def _path(self) -> str:
        dataset = self.query_one("#export-dataset", Select).value if self.is_mounted else None
        fmt = self.query_one("#export-format", Select).value if self.is_mounted else None
        name = self._pattern.format(
            dataset=getattr(dataset, "value", self._dataset.value),
            format=getattr(fmt, "value", ExportFormat.CSV.value),
        )
        return str(self._folder / name)

    @on(Select.Changed)
    def _rename(self) -> None:
        path = self.query_one("#export-path", Input)
        # Only a path the user hasn't edited follows the choices.
        if Path(path.value).parent == self._folder:
            path.value = self._path()

    def submit(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self._error(_("Say where the file goes"))
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self._error(_("{path} is a folder: add a file name").format(path=path))
            return
        if not path.parent.is_dir() and path.parent != self._folder:
            # The console's own folder is made when the file is written; another is a typo.
            self._error(_("No folder {path}").format(path=path.parent))
            return
        dataset = self.query_one("#export-dataset", Select).value
        fmt = self.query_one("#export-format", Select).value
        assert isinstance(dataset, Dataset)
        assert isinstance(fmt, ExportFormat)
        self.dismiss(ExportChoice(dataset, fmt, path))


_HOUR = N_("The hour is a whole number from 0 to 23")


class SubscribeDialog(_Dialog):
    """A scheduled e-mail of this report (its queue, if drilled into one) in my time zone."""

    def __init__(self, tz: str, *, may_team: bool) -> None:
        super().__init__()
        self._tz = tz
        self._may_team = may_team

    def compose(self) -> ComposeResult:
        audiences = [(_("me"), Audience.USER)]
        if self._may_team:
            audiences.append((_("the team (supervisors+)"), Audience.TEAM))
        with Vertical(classes="dialog"):
            yield Static(
                _("E-mail this report ({zone})").format(zone=self._tz), classes="dialog-title"
            )
            with Horizontal(classes="dialog-row"):
                yield Select(
                    [(frequency_name(f), f) for f in Frequency], value=Frequency.WEEKLY,
                    allow_blank=False, id="subscribe-frequency",
                )  # fmt: skip
                yield Select(audiences, value=Audience.USER, allow_blank=False, id="subscribe-to")
            # Without it a weekly e-mail could only ever leave on Mondays (the protocol's default).
            yield Label(_("Weekday (weekly)"))
            yield Select(
                [(weekday_name(day), day) for day in range(7)], value=0,
                allow_blank=False, id="subscribe-weekday",
            )  # fmt: skip
            yield Label(_("Local hour (0-23)"))
            yield Input("8", id="subscribe-hour")
            yield from self._buttons(_("Subscribe"))

    def submit(self) -> None:
        frequency = self.query_one("#subscribe-frequency", Select).value
        audience = self.query_one("#subscribe-to", Select).value
        weekday = self.query_one("#subscribe-weekday", Select).value
        try:
            hour = int(self.query_one("#subscribe-hour", Input).value.strip())
        except ValueError:
            self._error(_(_HOUR))
            return
        try:
            body = ScheduleCreate(
                audience=audience, frequency=frequency, tz=self._tz, hour=hour, weekday=weekday
            )
        except ValidationError:
            # The hour is the only typed field (the rest are choices): pydantic's sentence
            # ("Input should be less than or equal to 23") would be English in any language.
            self._error(_(_HOUR))
            return
        self.dismiss(body)
