"""One concern of the System screen: a bordered panel of figures, one row each.

A row is the figure's name, its latest value, a sparkline of its recent samples and a detail
("3 of 20"); it takes the warning or error colour past the figure's thresholds
(:mod:`pytake_tui.system_view`). Each concern (host, daemon, PostgreSQL, Redis, lags) is a
subclass naming its figures and, where a server may not answer, the sentence that says so.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Sparkline, Static

from pytake_daemon.protocol.system_figures import SystemFigures
from pytake_tui.i18n import _
from pytake_tui.system_view import FIGURES, Figure, FigureHistory, Level, formatted


class FigureRow(Horizontal):
    """A figure: name, value, sparkline, detail."""

    def __init__(self, figure: Figure) -> None:
        super().__init__(id=f"figure-{figure.key.replace('.', '-')}", classes="figure-row")
        self.figure = figure
        self.level = Level.OK

    def compose(self) -> ComposeResult:
        yield Static(Content(self.figure.title()), classes="figure-label")
        yield Static("—", classes="figure-value")
        yield Sparkline([], classes="figure-trend")
        yield Static("", classes="figure-detail")

    def show(self, history: FigureHistory) -> None:
        point = history.latest.get(self.figure.key)
        value = point.value if point is not None else None
        self.level = self.figure.level(value)
        for level in Level:
            self.set_class(self.level is level and level is not Level.OK, f"-{level}")
        # Content, not markup: a detail may hold brackets.
        self.query_one(".figure-value", Static).update(Content(formatted(self.figure, value)))
        self.query_one(".figure-detail", Static).update(Content(point.detail if point else ""))
        series = history.series(self.figure.key)
        trend = self.query_one(Sparkline)
        trend.data = series
        # Never measured (no standby, a server down since the screen opened): a flat line would
        # read as "zero all along", so the space stays blank.
        trend.visible = bool(series)


class SystemPanel(Vertical):
    """A bordered list of figures; subclasses set ``TITLE`` and ``KEYS``."""

    TITLE: ClassVar[str] = ""
    """Marked with ``N_``, translated when the panel is built."""
    KEYS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="system-panel")
        self.border_title = _(self.TITLE)

    def compose(self) -> ComposeResult:
        yield Static("", classes="panel-problem")
        for key in self.KEYS:
            yield FigureRow(FIGURES[key])

    def problem(self, figures: SystemFigures) -> str | None:
        """Why this concern's figures are missing from the reading (a server not answering)."""
        return None

    def show(self, history: FigureHistory) -> None:
        document = history.document
        problem = self.problem(document) if document is not None else None
        notice = self.query_one(".panel-problem", Static)
        notice.display = problem is not None
        notice.update(Content.styled(f"✗ {problem}", "$text-error") if problem else "")
        for row in self.query(FigureRow):
            row.show(history)

    def levels(self) -> dict[str, Level]:
        """Each figure's colour as last shown (tests read it)."""
        return {row.figure.key: row.level for row in self.query(FigureRow)}
