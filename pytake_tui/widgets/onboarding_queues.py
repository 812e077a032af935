"""Step 4: the queues the segment's flow hands customers to, created from the template with
the profile's hours and zone, a capacity and the skills an agent needs
(``/api/v1/onboarding/queue-template``, then ``POST /api/v1/queues`` for each)."""

from __future__ import annotations

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from pytake_daemon.protocol.onboarding import QueueSuggestion, StepName, StepStatus
from pytake_daemon.protocol.queues import QueueSettings
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _
from pytake_tui.widgets.admin_form import validation_problems
from pytake_tui.widgets.onboarding_hours import format_hours
from pytake_tui.widgets.onboarding_step import Field, StepPane, daemon_problems


class QueuesStep(StepPane):
    step = StepName.QUEUES

    def __init__(self, client: DaemonClient, *, id: str | None = None) -> None:
        super().__init__(client, id=id)
        self.suggestions: list[QueueSuggestion] = []

    def compose(self) -> ComposeResult:
        yield Static(_("Queues"), classes="step-title")
        yield Static("", classes="step-help", id="queues-help")
        yield Vertical(id="queue-rows")
        yield self.problem_line()
        yield Static("", classes="step-ok", id="queues-made")
        with Horizontal(classes="step-buttons"):
            yield Button(_("Create queues"), id="queues-create", variant="primary")
            yield Button(_("Reload template"), id="queues-reload")

    def on_show(self) -> None:
        # The template follows the profile's segment and hours: read when the step first
        # shows, not at every show (that would throw away what was typed; "Reload" reads again).
        if not self.suggestions:
            self.load()

    @on(Button.Pressed, "#queues-reload")
    def load(self) -> None:
        self._load()

    @work(exclusive=True, exit_on_error=False, group="queues-load")
    async def _load(self) -> None:
        try:
            template = await self.client.queue_template()
        except DaemonError as error:
            self.show_problems([("", error.message)])
            return
        self.suggestions = template.items
        first = template.items[0] if template.items else None
        hours = format_hours(first.business_hours) if first else ""
        zone = first.timezone if first else ""
        self.query_one("#queues-help", Static).update(
            _("From the {segment} template; open {value} ({zone}).").format(
                segment=template.segment, value=hours or _("always"), zone=zone
            )
        )
        rows = self.query_one("#queue-rows", Vertical)
        await rows.remove_children()
        for index, queue in enumerate(template.items):
            title = _("{name} (exists)").format(name=queue.name) if queue.exists else queue.name
            await rows.mount(
                Static(title, classes="step-title"),
                Horizontal(
                    Field(
                        _("Capacity (waiting)"),
                        Input("50", id=f"q{index}-max_size"),
                        name=f"q{index}-max_size",
                    ),
                    Field(
                        _("Skills (a, b)"),
                        Input(id=f"q{index}-required_skills"),
                        name=f"q{index}-required_skills",
                    ),
                    classes="queue-row",
                ),
            )
        if self.display and template.items:
            self.query_one("#q0-max_size", Input).focus()  # fmt: skip

    def settings(self) -> list[QueueSettings] | None:
        made: list[QueueSettings] = []
        problems: list[tuple[str, str]] = []
        for index, queue in enumerate(self.suggestions):
            if queue.exists:
                continue
            skills = self.query_one(f"#q{index}-required_skills", Input).value
            try:
                made.append(
                    QueueSettings.model_validate(
                        {
                            "name": queue.name,
                            "description": queue.description,
                            "timezone": queue.timezone,
                            "business_hours": queue.business_hours or None,
                            "max_size": self.query_one(f"#q{index}-max_size", Input).value,
                            "required_skills": [s.strip() for s in skills.split(",") if s.strip()],
                        }
                    )
                )
            except ValidationError as error:
                problems += [(f"q{index}-{f}", why) for f, why in validation_problems(error)]
        if problems:
            self.show_problems(problems)
            return None
        return made

    @on(Button.Pressed, "#queues-create")
    def create(self) -> None:
        queues = self.settings()
        if queues is not None:
            self.clear_problems()
            self._create(queues)

    @work(exclusive=True, exit_on_error=False, group="queues-create")
    async def _create(self, queues: list[QueueSettings]) -> None:
        names: list[str] = []
        try:
            for queue in queues:
                names.append((await self.client.create_queue(queue)).name)
            every = [q.name for q in self.suggestions]
            state = await self.client.set_onboarding_step(
                self.step, StepStatus.DONE, {"queues": every}
            )
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        self.query_one("#queues-made", Static).update(
            _("Created: {names}").format(names=", ".join(names))
            if names
            else _("The queues exist already.")
        )
        self.post_message(self.Recorded(state))
