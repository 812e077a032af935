"""The queue monitor's modals: a picker (agent, queue, priority, filter) and a conversation
shown read-only."""

from __future__ import annotations

import uuid

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pytake_daemon.protocol import MessageOut
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.widgets.thread import BubbleRow, MessageBubble

DIALOGS_CSS = """
ChoicePicker, ConversationViewer { align: center middle; }
ChoicePicker > Vertical {
    width: 60; max-width: 90%; height: auto; max-height: 80%;
    border: round $accent; background: $surface; padding: 0 1;
}
ChoicePicker OptionList, ChoicePicker OptionList:focus {
    height: auto; max-height: 16; border: none;
}
.dialog-title { text-style: bold; color: $text-accent; }
.dialog-hint { color: $text-muted; }
ConversationViewer > Vertical {
    width: 90%; height: 90%; border: round $accent; background: $surface; padding: 0 1;
}
ConversationViewer VerticalScroll { height: 1fr; }
ConversationViewer MessageBubble {
    width: auto; max-width: 80%; height: auto; padding: 0 1; border: round $secondary 60%;
}
ConversationViewer MessageBubble.-out { margin-left: 1; border: round $primary; }
ConversationViewer MessageBubble.-failed { border: round $error; }
"""


class ChoicePicker(ModalScreen[str | None]):
    """Pick one of ``choices`` (id, label); dismisses with the id, or None on escape."""

    DEFAULT_CSS = DIALOGS_CSS
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, title: str, choices: list[tuple[str, str]], hint: str = "") -> None:
        super().__init__()
        self._title = title
        self._choices = choices
        self._hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="dialog-title")
            if self._choices:
                yield OptionList(*(Option(label, id=key) for key, label in self._choices))
            else:
                yield Static(_("Nothing to choose from."), classes="dialog-hint")
            yield Static(self._hint or "enter: choose · escape: cancel", classes="dialog-hint")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConversationViewer(ModalScreen[None]):
    """A conversation's latest messages as the chat shows them, without the composer."""

    DEFAULT_CSS = DIALOGS_CSS
    BINDINGS = [Binding("escape,q", "close", N_("Close"))]

    def __init__(self, client: DaemonClient, conversation_id: uuid.UUID, title: str) -> None:
        super().__init__()
        self._client = client
        self._conversation_id = conversation_id
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("{title} — read-only").format(title=self._title), classes="dialog-title")
            yield VerticalScroll(id="viewer-messages")
            yield Static(_("escape: close"), classes="dialog-hint")

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        try:
            page = await self._client.messages(self._conversation_id, limit=50)
        except DaemonError as error:
            self.notify(error.message, title=_("Could not load the conversation"), severity="error")
            self.dismiss(None)
            return
        await self.show(list(reversed(page.items)))

    async def show(self, messages: list[MessageOut]) -> None:
        scroll = self.query_one("#viewer-messages", VerticalScroll)
        if not messages:
            await scroll.mount(Static(_("No messages yet."), classes="dialog-hint"))
            return
        await scroll.mount_all(
            BubbleRow(MessageBubble(m), classes=f"-{m.direction}") for m in messages
        )
        self.call_after_refresh(scroll.scroll_end, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
