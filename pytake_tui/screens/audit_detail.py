"""One audit entry: who, what, to what, from where, and its before/after difference."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from pytake_daemon.protocol.audit import AuditEntryOut
from pytake_i18n import format_skeleton
from pytake_tui.audit_view import (
    OUTCOME_MARKS,
    Change,
    FieldChange,
    actor_name,
    changes,
    outcome_label,
    value_text,
)
from pytake_tui.audit_words import action_name, actor_kind, target_name
from pytake_tui.i18n import N_, _, pgettext

_LABEL_WIDTH = 8
_MARKS = {Change.ADDED: "+", Change.REMOVED: "-", Change.CHANGED: "~"}


def facts(
    entry: AuditEntryOut, names: Mapping[uuid.UUID, str] | None = None
) -> Iterator[tuple[str, str]]:
    """The entry's fields worth reading, as (label, value); empty ones are left out."""
    at = entry.at.astimezone(UTC)
    day = format_skeleton("yMd", at, UTC)
    yield _("when"), _("{moment} UTC").format(moment=f"{day} {at:%H:%M:%S}")
    who = actor_name(entry, names)
    role = f" ({entry.actor_role})" if entry.actor_role else ""
    yield _("who"), f"{who}{role} · {actor_kind(entry.actor_type)}"
    worded = action_name(entry.action)
    yield _("what"), worded if worded == entry.action else f"{worded} · {entry.action}"
    target = target_name(entry, whole=True)
    if target:
        yield _("target"), target
    status = f" · HTTP {entry.status}" if entry.status is not None else ""
    yield _("outcome"), f"{OUTCOME_MARKS[entry.outcome]} {outcome_label(entry.outcome)}{status}"
    origin = " · ".join(part for part in (entry.ip, entry.user_agent) if part)
    if origin:
        yield pgettext("audit", "from"), origin
    request = " ".join(part for part in (entry.method, entry.route) if part)
    if request:
        yield _("request"), request
    if entry.request_id:
        yield _("req. id"), entry.request_id
    yield _("chain"), f"#{entry.seq} · {entry.hash[:16]}…"


def change_line(change: FieldChange) -> Content:
    mark = (f"{_MARKS[change.change]} ", "bold")
    name = (change.field, "bold")
    match change.change:
        case Change.ADDED:
            return Content.assemble(mark, name, ": ", value_text(change.after))
        case Change.REMOVED:
            return Content.assemble(mark, name, ": ", value_text(change.before))
        case Change.CHANGED:
            before, after = value_text(change.before), value_text(change.after)
            return Content.assemble(mark, name, ": ", before, " → ", after)


class AuditDetailScreen(ModalScreen[None]):
    """The entry over the log; escape (or enter) closes it."""

    CSS_PATH = "audit_detail.tcss"
    BINDINGS = [Binding("escape,enter,q", "dismiss", N_("Close"))]

    def __init__(self, entry: AuditEntryOut, names: Mapping[uuid.UUID, str] | None = None) -> None:
        super().__init__()
        self.entry = entry
        self._names = names or {}

    def compose(self) -> ComposeResult:
        entry = self.entry
        with Vertical(id="audit-detail"):
            yield Static(
                Content.assemble(
                    (action_name(entry.action), "bold"),
                    " ",
                    _("by {actor}").format(actor=actor_name(entry, self._names)),
                ),
                id="audit-detail-title",
            )
            with VerticalScroll(id="audit-detail-body"):
                for label, value in facts(entry, self._names):
                    yield Static(
                        Content.assemble((label.ljust(_LABEL_WIDTH), "bold"), " ", value),
                        classes="fact",
                    )
                found = changes(entry.diff)
                yield Static(
                    _("Difference") if found else _("No difference recorded"), id="audit-diff-title"
                )
                for change in found:
                    yield Static(change_line(change), classes=f"change -{change.change.value}")
            yield Static(_("escape closes this"), id="audit-detail-hint")
