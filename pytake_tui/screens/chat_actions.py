"""The chat console's action dialogs: transfer, internal note, tags, canned responses, and the
confirmation before closing a conversation. Each dismisses with what the agent chose (or
``None``/``False`` on escape); the chat screen makes the calls."""

from __future__ import annotations

import uuid

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from pytake_daemon.protocol.agents import AgentOut
from pytake_daemon.protocol.ai import ReplyOut
from pytake_daemon.protocol.conversations import TransferRequest
from pytake_daemon.protocol.queues import QueueOut
from pytake_tui.i18n import N_, _, ngettext
from pytake_tui.replies import fill, one_line, parse_tags
from pytake_tui.vocabulary import agent_status, reply_kind

_CSS_PATH = "chat_actions.tcss"


class TransferPicker(ModalScreen[TransferRequest | None]):
    """Queues, then agents (with their status and load); an optional note for the next one."""

    CSS_PATH = _CSS_PATH
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(
        self,
        contact: str,
        queues: list[QueueOut],
        agents: list[AgentOut],
        me: uuid.UUID,
        *,
        allow_full: bool = False,
    ) -> None:
        super().__init__()
        self._contact = contact
        self._queues = [q for q in queues if q.active]
        self._agents = [a for a in agents if a.id != me]
        self._allow_full = allow_full
        """Supervisors may pick an agent at capacity (and are then asked to override)."""

    def compose(self) -> ComposeResult:
        options: list[Option | None] = [Option(_("Queues"), disabled=True)]
        options += [
            Option(
                f"  ⇢ {q.name} · "
                + ngettext("{n} waiting", "{n} waiting", q.waiting).format(n=q.waiting),
                id=f"q:{q.id}",
            )
            for q in self._queues
        ]
        options += [None, Option(_("Agents"), disabled=True)]
        options += [
            Option(
                f"  ☺ {a.name} · {agent_status(a.status)} · {a.active}/{a.capacity}"
                + (" " + _("full") if a.active >= a.capacity else ""),
                id=f"a:{a.id}",
                disabled=a.active >= a.capacity and not self._allow_full,
            )
            for a in self._agents
        ]
        with Vertical(id="dialog", classes="-tall"):
            yield Static(
                _("Transfer {contact} to…").format(contact=self._contact), classes="dialog-title"
            )
            yield OptionList(*options, id="targets")
            yield Input(
                id="transfer-note", placeholder=_("note for whoever picks it up (optional)")
            )
            yield Static(_("enter: transfer · tab: note · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        targets = self.query_one("#targets", OptionList)
        targets.action_first()
        self.set_focus(targets)

    @on(OptionList.OptionSelected, "#targets")
    def _chosen(self) -> None:
        self._transfer()

    @on(Input.Submitted, "#transfer-note")
    def _note_submitted(self) -> None:
        self._transfer()

    def _transfer(self) -> None:
        option = self.query_one("#targets", OptionList).highlighted_option
        if option is None or option.id is None:
            self.notify(_("Pick a queue or an agent"), severity="warning")
            return
        kind, _sep, raw = option.id.partition(":")
        target = uuid.UUID(raw)
        note = self.query_one("#transfer-note", Input).value.strip() or None
        if kind == "q":
            self.dismiss(TransferRequest(queue_id=target, note=note))
        else:
            self.dismiss(TransferRequest(agent_id=target, note=note))


class NoteEditor(ModalScreen[str | None]):
    """An internal note: several lines; ctrl+s saves."""

    CSS_PATH = _CSS_PATH
    BINDINGS = [
        Binding("escape", "dismiss(None)", N_("Cancel")),
        Binding("ctrl+s", "save", N_("Save note")),
    ]

    def __init__(self, contact: str) -> None:
        super().__init__()
        self._contact = contact

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                _("Internal note on {contact} — agents only, never sent").format(
                    contact=self._contact
                ),
                classes="dialog-title",
            )
            yield TextArea(id="note-body", soft_wrap=True, compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), id="save", variant="primary")
                yield Button(_("Cancel"), id="cancel")
            yield Static(_("ctrl+s: save · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#note-body", TextArea).focus()

    def action_save(self) -> None:
        body = self.query_one("#note-body", TextArea).text.strip()
        if not body:
            self.notify(_("Write the note first"), severity="warning")
            return
        self.dismiss(body)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)


class TagEditor(ModalScreen[list[str] | None]):
    """The conversation's tags as one line, separated by commas; enter saves."""

    CSS_PATH = _CSS_PATH
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, contact: str, tags: list[str]) -> None:
        super().__init__()
        self._contact = contact
        self._tags = tags

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-short"):
            yield Static(
                _("Tags of {contact}").format(contact=self._contact), classes="dialog-title"
            )
            yield Input(
                ", ".join(self._tags), id="tags", placeholder=_("vip, refund, late delivery")
            )
            yield Static(
                _("separate with commas · enter: save · escape: cancel"), classes="dialog-hint"
            )

    def on_mount(self) -> None:
        self.query_one("#tags", Input).focus()

    @on(Input.Submitted, "#tags")
    def _save(self, event: Input.Submitted) -> None:
        self.dismiss(parse_tags(event.value))


class CannedPicker(ModalScreen[str | None]):
    """The tenant's canned responses and snippets; the highlighted one's text as it will be
    inserted (variables filled) on the right; enter inserts it into the draft."""

    CSS_PATH = _CSS_PATH
    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"))]

    def __init__(self, replies: list[ReplyOut], values: dict[str, str | None]) -> None:
        super().__init__()
        self._replies = replies
        self._values = values

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-tall"):
            yield Static(_("Canned responses"), classes="dialog-title")
            with Horizontal(id="canned-body"):
                yield OptionList(
                    *(
                        # The shortcut too, so the picker teaches what /… types faster.
                        Option(
                            f"{one_line(r.title, 40)} · "
                            + (f"/{r.shortcut}" if r.shortcut else reply_kind(r.kind)),
                            id=str(n),
                        )
                        for n, r in enumerate(self._replies)
                    ),
                    id="canned",
                )
                yield Static(id="canned-preview")
            yield Static(_("enter: insert into the draft · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        canned = self.query_one("#canned", OptionList)
        if not self._replies:
            self.query_one("#canned-preview", Static).update(
                _(
                    "No canned responses yet: add them on the Replies screen (f12), or on the "
                    "server with `pytake replies add`"
                )
            )
            return
        canned.highlighted = 0
        canned.focus()

    def _text(self, index: int) -> tuple[str, list[str]]:
        return fill(self._replies[index].body, self._values)

    @on(OptionList.OptionHighlighted, "#canned")
    def _preview(self, event: OptionList.OptionHighlighted) -> None:
        assert event.option.id is not None
        text, missing = self._text(int(event.option.id))
        note = (
            "\n\n" + _("(fill in: {fields})").format(fields=", ".join(missing)) if missing else ""
        )
        self.query_one("#canned-preview", Static).update(text + note)

    @on(OptionList.OptionSelected, "#canned")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        assert event.option.id is not None
        self.dismiss(self._text(int(event.option.id))[0])


class ConfirmClose(ModalScreen[bool]):
    """Closing ends the attendance and asks the customer for a rating: one more key first."""

    CSS_PATH = _CSS_PATH
    BINDINGS = [
        Binding("escape,n", "dismiss(False)", N_("Keep open")),
        Binding("y", "dismiss(True)", N_("Close")),
    ]

    def __init__(self, contact: str, attended: bool) -> None:
        super().__init__()
        self._contact = contact
        self._attended = attended

    def compose(self) -> ComposeResult:
        rating = (
            _("The customer will be asked to rate the attendance.")
            if self._attended
            else _("Nobody attends it: no rating will be asked.")
        )
        with Vertical(id="dialog", classes="-short"):
            yield Static(
                _("Close the conversation with {contact}?").format(contact=self._contact),
                classes="dialog-title",
            )
            yield Static(rating, id="close-rating")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close (y)"), id="close", variant="warning")
                yield Button(_("Keep open (n)"), id="keep")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#keep")
    def _keep(self) -> None:
        self.dismiss(False)
