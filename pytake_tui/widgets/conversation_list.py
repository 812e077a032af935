"""The conversation list: one two-line row per conversation, in the inbox's order."""

from __future__ import annotations

import uuid
from datetime import datetime

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pytake_daemon.protocol import ConversationOut, ConversationStatus
from pytake_i18n import format_datetime
from pytake_tui.i18n import N_
from pytake_tui.message_view import clock
from pytake_tui.notifications import contact_name
from pytake_tui.preview_words import preview_line
from pytake_tui.replies import tags_label
from pytake_tui.widgets.system_line import assignment_label

_STATUS_MARK = {
    ConversationStatus.OPEN: "",
    ConversationStatus.PENDING: " ⧗",
    ConversationStatus.SNOOZED: " ☾",
    ConversationStatus.RESOLVED: " ✓",
}


FRESH_MARK = "✱"
"""News since the list was sorted: the row kept its place (``o`` sorts again)."""


def row(
    conversation: ConversationOut, me: uuid.UUID, now: datetime, *, fresh: bool = False
) -> Content:
    """``▸ Ana Souza ⧗ ✱  14:03 ●2 #vip`` over ``→ Bruno · Support`` and the last message's
    preview."""
    last = conversation.last_message_at
    when = ""
    if last is not None:
        same_day = last.astimezone().date() == now.astimezone().date()
        when = clock(last) if same_day else format_datetime(last.astimezone(), format="dd MMM")
    mine = "▸ " if conversation.assigned_user_id == me else "  "
    name = Content.styled(contact_name(conversation.contact), "bold")
    first = Content.assemble(mine, name, _STATUS_MARK[conversation.status])
    if fresh:
        first += Content.styled(f" {FRESH_MARK}", "bold $accent")
    first += Content.assemble("  ", (when, "dim"))
    if conversation.unread_count:
        first += Content.styled(f" ●{conversation.unread_count}", "bold $accent")
    if conversation.tags:
        # Last on the line: a narrow list cuts the tags before the name or the counter.
        first += Content.styled(f" {tags_label(conversation.tags)}", "$text-secondary")
    preview = " ".join(preview_line(conversation.last_message_preview).split()) or "—"
    # Who attends it leads the second line: a narrow list cuts the preview, not the name.
    if (attended := assignment_label(conversation)) is not None:
        lead = Content.styled(f"  {attended} ", "$text-secondary")
        return Content.assemble(first, "\n", lead, (preview, "dim"))
    return Content.assemble(first, "\n", ("  " + preview, "dim"))


class ConversationList(OptionList):
    """Keys: enter opens; ``s``/``a``/``p`` cycle the status, agent and period filters; ``o``
    sorts again (rows otherwise hold still while news arrives)."""

    BINDINGS = [
        # The filter chips above the list show these keys; the footer has no room for them.
        Binding("s", "cycle('status')", N_("Next status filter"), show=False),
        Binding("a", "cycle('agent')", N_("Next agent filter"), show=False),
        Binding("p", "cycle('period')", N_("Next period filter"), show=False),
        Binding("o", "resort", N_("Sort again")),
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
    ]

    class FilterCycled(Message):
        """The agent asked for the next value of one filter."""

        def __init__(self, which: str) -> None:
            super().__init__()
            self.which = which

    class ResortRequested(Message):
        """The agent asked to sort the rows again (newest news first)."""

    def action_cycle(self, which: str) -> None:
        self.post_message(self.FilterCycled(which))

    def action_resort(self) -> None:
        self.post_message(self.ResortRequested())

    @property
    def highlighted_id(self) -> uuid.UUID | None:
        option = self.highlighted_option
        return uuid.UUID(option.id) if option is not None and option.id else None

    def show(
        self,
        conversations: list[ConversationOut],
        me: uuid.UUID,
        now: datetime,
        fresh: set[uuid.UUID] | frozenset[uuid.UUID] = frozenset(),
    ) -> None:
        """Replace the rows, keeping the highlight on the same conversation."""
        keep = self.highlighted_id
        self.set_options(
            Option(row(c, me, now, fresh=c.id in fresh), id=str(c.id)) for c in conversations
        )
        ids = [str(c.id) for c in conversations]
        if keep is not None and str(keep) in ids:
            self.highlighted = ids.index(str(keep))
        elif conversations:
            self.highlighted = 0
