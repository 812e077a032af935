"""The audit entries, one row each: when, who, what, the outcome's mark and the target."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from pytake_daemon.protocol.audit import AuditEntryOut, Outcome
from pytake_tui.audit_view import OUTCOME_MARKS, actor_name, when
from pytake_tui.audit_words import action_name, target_name
from pytake_tui.i18n import _

_OUTCOME_STYLES = {
    Outcome.SUCCESS: "green",
    Outcome.FAILURE: "red",
    Outcome.DENIED: "yellow",
    Outcome.ERROR: "bold red",
}


class AuditTable(DataTable[Text]):
    """Rows keyed by entry id; :meth:`show` keeps the cursor on the entry it was on."""

    def __init__(self, *, clock: Callable[[], datetime], id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._clock = clock

    def on_mount(self) -> None:
        self.add_column(_("when"), width=11, key="when")
        self.add_column(_("who"), width=18, key="who")
        self.add_column(_("action"), width=24, key="action")
        self.add_column(" ", width=1, key="outcome")
        self.add_column(_("target"), key="target")

    def cells(self, entry: AuditEntryOut, names: dict[uuid.UUID, str]) -> tuple[Text, ...]:
        return (
            Text(when(entry.at, self._clock())),
            Text(actor_name(entry, names)),
            Text(action_name(entry.action)),
            Text(OUTCOME_MARKS[entry.outcome], style=_OUTCOME_STYLES[entry.outcome]),
            Text(target_name(entry)),
        )

    def append(self, entries: list[AuditEntryOut], names: dict[uuid.UUID, str]) -> None:
        """Older entries below the shown ones (the next page)."""
        for entry in entries:
            self.add_row(*self.cells(entry, names), key=str(entry.id))

    def show(
        self,
        entries: list[AuditEntryOut],
        names: dict[uuid.UUID, str],
        kept: uuid.UUID | None,
    ) -> None:
        """Replace the rows; the cursor goes back to ``kept`` when it is still listed."""
        self.clear()
        self.append(entries, names)
        if kept is not None:
            row = next((i for i, e in enumerate(entries) if e.id == kept), 0)
            self.move_cursor(row=row, animate=False, scroll=True)
