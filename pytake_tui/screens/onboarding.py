"""The seven-step onboarding wizard (issue 19, OB1): the steps on the left with their state
(stored by the daemon, so another admin continues where one stopped), the step on the right.

Each step is a widget of its own (``pytake_tui/widgets/onboarding_*.py``) that validates inline
and posts :class:`StepPane.Recorded` once the daemon has it; the screen then reads the state
again and moves to the first step neither done nor skipped. Any step can be skipped (``alt+s``)
and come back to from the list.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Header, OptionList, Static
from textual.widgets.option_list import Option

from pytake_daemon.protocol import Me
from pytake_daemon.protocol.onboarding import OnboardingState, StepName, StepStatus
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.vocabulary import step_status, step_title
from pytake_tui.widgets.footer import Footer
from pytake_tui.widgets.onboarding_automation import AutomationStep
from pytake_tui.widgets.onboarding_defaults import DefaultsStep
from pytake_tui.widgets.onboarding_golive import GoLiveStep
from pytake_tui.widgets.onboarding_number import NumberStep
from pytake_tui.widgets.onboarding_profile import ProfileStep
from pytake_tui.widgets.onboarding_queues import QueuesStep
from pytake_tui.widgets.onboarding_step import StepPane
from pytake_tui.widgets.onboarding_team import TeamStep

STEPS: list[StepName] = list(StepName)
MARKS = {StepStatus.DONE: "✓", StepStatus.SKIPPED: "↷", StepStatus.PENDING: "·"}


def step_line(index: int, title: str, status: StepStatus) -> str:
    return f"{MARKS[status]} {index + 1}. {title}"


class OnboardingScreen(Screen[None]):
    """Set up the tenant: profile, number, team, queues, automation, defaults, go-live."""

    CSS_PATH = "onboarding.tcss"
    BINDINGS = [
        Binding("escape", "close", N_("Close")),
        Binding("alt+s", "skip", N_("Skip step")),
        Binding("alt+n", "move(1)", N_("Next step")),
        Binding("alt+p", "move(-1)", N_("Previous step")),
        # As on the login and invitation forms: the focus moves as the Tab is read, so text
        # typed in one burst (a fast typist, a paste) never lands in the next field.
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
    ]

    def __init__(self, *, client: DaemonClient, me: Me) -> None:
        super().__init__()
        self.client = client
        self.me = me
        self.state: OnboardingState | None = None
        self.current: StepName = StepName.PROFILE

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="ob-body"):
            with Vertical(id="ob-side"):
                yield OptionList(id="ob-steps")
                yield Static("", id="ob-progress")
            with ContentSwitcher(initial="step-profile", id="ob-pane"):
                yield ProfileStep(self.client, id="step-profile")
                yield NumberStep(self.client, id="step-number")
                yield TeamStep(self.client, id="step-team")
                yield QueuesStep(self.client, id="step-queues")
                yield AutomationStep(self.client, id="step-automation")
                yield DefaultsStep(self.client, id="step-defaults")
                yield GoLiveStep(self.client, id="step-go_live")
        yield Static("", id="ob-status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Set up PyTake")
        self.query_one("#ob-side").border_title = _("Steps")
        self.query_one(OptionList).add_options(
            Option(step_line(i, step_title(s), StepStatus.PENDING), id=s.value)
            for i, s in enumerate(STEPS)
        )
        self.reload(move_on=True)

    @work(exclusive=True, exit_on_error=False, group="onboarding-state")
    async def reload(self, *, move_on: bool = False) -> None:
        try:
            state = await self.client.onboarding()
        except DaemonError as error:
            self.notify(error.message, title=_("Could not read the setup"), severity="error")
            return
        self.show_state(state, move_on=move_on)

    def show_state(self, state: OnboardingState, *, move_on: bool) -> None:
        self.state = state
        options = self.query_one(OptionList)
        for index, step in enumerate(state.steps):
            options.replace_option_prompt(
                step.step.value, step_line(index, step_title(step.step), step.status)
            )
        done = (
            _("Finished: PyTake is live")
            if state.finished
            else _("{done} of 7 done").format(done=state.completed)
        )
        self.query_one("#ob-progress", Static).update(done)
        if move_on:
            self.show_step(state.next_step or self.current)
        else:
            self._status()

    def show_step(self, step: StepName) -> None:
        self.current = step
        self.query_one(ContentSwitcher).current = f"step-{step.value}"
        # Where a person types next: the step's first field (the list keeps arrows and Enter).
        # (a step still loading its fields gets its first button; it focuses a field once in).
        fields = self.query_one(f"#step-{step.value}").query("Input, Select, Button")
        if fields:
            fields.first().focus()
        options = self.query_one(OptionList)
        options.highlighted = STEPS.index(step)
        self._status()

    def _status(self) -> None:
        line = _("Step {n} of 7").format(n=STEPS.index(self.current) + 1)
        if self.state is not None:
            step = self.state.steps[STEPS.index(self.current)]
            if step.status is not StepStatus.PENDING:
                status = step_status(step.status)
                if step.updated_by_name:
                    status = _("{status} by {name}").format(
                        status=status, name=step.updated_by_name
                    )
                line += f" · {status}"
        self.query_one("#ob-status", Static).update(line)

    @on(OptionList.OptionSelected, "#ob-steps")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.show_step(StepName(event.option.id))

    @on(StepPane.Recorded)
    def _recorded(self, message: StepPane.Recorded) -> None:
        if message.state is not None:
            self.show_state(message.state, move_on=message.state.steps[
                STEPS.index(self.current)].status is StepStatus.DONE)  # fmt: skip
        else:
            self.reload(move_on=self.current is not StepName.GO_LIVE)

    def action_move(self, by: int) -> None:
        self.show_step(STEPS[(STEPS.index(self.current) + by) % len(STEPS)])

    def action_skip(self) -> None:
        self._skip(self.current)

    @work(exclusive=True, exit_on_error=False, group="onboarding-skip")
    async def _skip(self, step: StepName) -> None:
        try:
            state = await self.client.set_onboarding_step(step, StepStatus.SKIPPED)
        except DaemonError as error:
            self.notify(error.message, title=_("Could not skip the step"), severity="error")
            return
        self.show_state(state, move_on=True)

    def action_close(self) -> None:
        self.dismiss(None)
