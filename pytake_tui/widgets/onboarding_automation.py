"""Step 5: pick a ready-made segment flow, read its test conversation (run in memory, nothing
sent), and publish it (``/api/v1/onboarding/segments``, ``…/automation``)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Select, Static

from pytake_daemon.protocol.onboarding import AutomationPreview, StepName
from pytake_tui.client import DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.widgets.onboarding_step import Field, StepPane, daemon_problems

WHO = {"customer": N_("Customer"), "bot": N_("Bot")}


def transcript_text(preview: AutomationPreview) -> str:
    lines = [
        f"→ {line.text}" if line.who == "system" else f"{_(WHO[line.who])}: {line.text}"
        for line in preview.transcript
    ]
    verdict = (
        _("✓ the test conversation passes")
        if preview.passed
        else "✗ " + "; ".join(preview.failures)
    )
    return "\n".join([*lines, verdict])


class AutomationStep(StepPane):
    step = StepName.AUTOMATION

    def compose(self) -> ComposeResult:
        yield Static(_("Automation"), classes="step-title")
        yield Static(
            _("A ready-made flow greets customers and hands them to your queues."),
            classes="step-help",
        )
        yield Field(_("Flow"), Select([], id="segment", prompt=_("Pick a flow")), name="segment")
        yield self.problem_line()
        yield Static("", classes="step-ok", id="automation-published")
        yield Static("", id="automation-preview")
        with Horizontal(classes="step-buttons"):
            yield Button(_("Publish this flow"), id="automation-publish", variant="primary")

    def on_show(self) -> None:
        # Read when the step shows: the profile's segment (step 1) picks the flow.
        self._load()

    @work(exclusive=True, exit_on_error=False, group="automation-load")
    async def _load(self) -> None:
        try:
            flows = await self.client.segment_flows()
            profile = await self.client.tenant_profile()
        except DaemonError as error:
            self.show_problems([("", error.message)])
            return
        select = self.query_one("#segment", Select)
        chosen = select.value
        select.set_options([(f"{f.name}: {f.description}", f.segment) for f in flows.items])
        if not isinstance(chosen, str) and any(f.segment == profile.segment for f in flows.items):
            chosen = profile.segment
        if isinstance(chosen, str):
            select.value = chosen
            self._preview(chosen)

    @on(Select.Changed, "#segment")
    def preview(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._preview(event.value)

    @work(exclusive=True, exit_on_error=False, group="automation-preview")
    async def _preview(self, segment: str) -> None:
        try:
            preview = await self.client.preview_segment_flow(segment)
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        self.query_one("#automation-preview", Static).update(transcript_text(preview))

    @on(Button.Pressed, "#automation-publish")
    def publish(self) -> None:
        segment = self.query_one("#segment", Select).value
        if not isinstance(segment, str):
            self.show_problems([("segment", _("Pick a flow first"))])
            return
        self.clear_problems()
        self._publish(segment)

    @work(exclusive=True, exit_on_error=False, group="automation-publish")
    async def _publish(self, segment: str) -> None:
        try:
            result = await self.client.publish_segment_flow(segment)
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        self.query_one("#automation-published", Static).update(
            _("Published {flow_name} (version {version})").format(
                flow_name=result.flow_name, version=result.version
            )
        )
        self.query_one("#automation-preview", Static).update(transcript_text(result.preview))
        self.post_message(self.Recorded(None))
