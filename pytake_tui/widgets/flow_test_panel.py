"""The flow editor's test conversation: what the customer says, replayed against the saved
flow on each line, and the transcript the daemon's dry run gives back.

It owns the conversation (its lines and last result); the editor owns the graph, so each run
is posted as :class:`FlowTestPanel.Ran` and the editor lights the path it took.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from pytake_daemon.protocol.flows import FlowTestResult
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.flow_draft import script_request
from pytake_tui.i18n import _

RESET_COMMAND = "/reset"


def transcript_text(result: FlowTestResult) -> Text:
    """The test conversation as the panel shows it."""
    text = Text()
    for line in result.transcript:
        if line.who == "customer":
            text.append(_("you: "), "bold cyan")
        elif line.who == "bot":
            text.append(_("bot: "), "bold green")
        else:
            text.append("· ", "dim")
        text.append(f"{line.text}\n", "dim" if line.who == "system" else "")
    if not result.steps:
        text.append(_("The flow did not start: no trigger matched.") + "\n", "yellow")
    for step in result.steps:
        if step.error:
            text.append(f"{step.node_id}: {step.error}\n", "red")
    for failure in result.failures:
        text.append(f"{failure}\n", "red")
    return text


class FlowTestPanel(Vertical):
    """Hidden until toggled; ``saved_flow`` names the flow a run may test (None: unsaved)."""

    class Ran(Message):
        """A run's result, or None when the conversation was restarted."""

        def __init__(self, result: FlowTestResult | None) -> None:
            super().__init__()
            self.result = result

    def __init__(
        self,
        *,
        client: DaemonClient,
        saved_flow: Callable[[], uuid.UUID | None],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._client = client
        self._saved_flow = saved_flow
        self.lines: list[str] = []
        """What the customer said, replayed on each run."""
        self.result: FlowTestResult | None = None

    def compose(self) -> ComposeResult:
        yield Static(_("Test · /tap ID  /wait  /reset"), id="test-title")
        with VerticalScroll(id="transcript"):
            yield Static(id="transcript-text")
        yield Input(placeholder=_("customer says…"), id="say")

    def toggle(self) -> bool:
        """Show or hide the panel; True when it is shown (and its input has the focus)."""
        self.display = not self.display
        if self.display:
            self.query_one("#say", Input).focus()
        return bool(self.display)

    def restart(self) -> None:
        self.lines, self.result = [], None
        self.query_one("#transcript-text", Static).update("")
        self.post_message(self.Ran(None))

    @on(Input.Submitted, "#say")
    def _said(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.input.value = ""
        if not text:
            return
        if text == RESET_COMMAND:
            self.restart()
            return
        flow_id = self._saved_flow()
        if flow_id is None:
            self.notify(_("The test runs the saved flow: save first (ctrl+s)"), severity="warning")
            return
        self.lines.append(text)
        self._run(flow_id, list(self.lines))

    @work(exclusive=True, exit_on_error=False, group="test")
    async def _run(self, flow_id: uuid.UUID, lines: list[str]) -> None:
        try:
            result = await self._client.test_flow(flow_id, script_request(lines))
        except DaemonError as error:
            self.lines = self.lines[:-1]
            self.notify(error.message, title=_("Test failed"), severity="error")
            return
        self.result = result
        self.query_one("#transcript-text", Static).update(transcript_text(result))
        self.query_one("#transcript", VerticalScroll).scroll_end(animate=False)
        self.post_message(self.Ran(result))
