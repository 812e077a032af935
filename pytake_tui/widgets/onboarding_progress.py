"""The setup's progress for owners and admins (issue 19, OB2), on the dashboard and the
activity screen: steps done, the next one, and the key that continues the wizard.

Hidden until the daemon says the setup is unfinished, so it costs nothing once the tenant is
live, and says nothing to a daemon that has no wizard. It reads the state again every
:data:`REFRESH_SECONDS` while unfinished (another admin may be carrying the setup on), and
when clicked opens the wizard as the key does.
"""

from __future__ import annotations

from textual import events, work
from textual.widgets import Static

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.onboarding import OnboardingState
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import _
from pytake_tui.vocabulary import step_title

REFRESH_SECONDS = 15.0
CONTINUE_KEY = "ctrl+w"


def may_onboard(me: Me | None) -> bool:
    """The wizard and this widget are for owners and admins."""
    return me is not None and me.role.at_least(Role.ADMIN)


def progress_line(state: OnboardingState) -> str:
    step = next((s for s in state.steps if s.step == state.next_step), None)
    upcoming = (
        _("next: {step}").format(step=step_title(step.step))
        if step
        else _("next: run the go-live check")
    )
    return _("Setup: {done} of {total} steps done · {upcoming} · {key} to continue").format(
        done=state.completed, total=len(state.steps), upcoming=upcoming, key=CONTINUE_KEY
    )


class OnboardingProgress(Static):
    DEFAULT_CSS = """
    OnboardingProgress {
        display: none;
        height: auto;
        padding: 0 1;
        background: $warning 20%;
        color: $text;
    }
    """

    def __init__(self, client: DaemonClient, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._client = client
        self.state: OnboardingState | None = None

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(REFRESH_SECONDS, self.reload)

    @work(exclusive=True, exit_on_error=False, group="onboarding-progress")
    async def reload(self) -> None:
        if self.state is not None and self.state.finished:
            return
        try:
            state = await self._client.onboarding()
        except DaemonError:
            return  # no wizard on that daemon, or not reachable now: stay as shown
        self.show_state(state)

    def show_state(self, state: OnboardingState) -> None:
        self.state = state
        self.display = not state.finished
        self.update(progress_line(state))

    async def on_click(self, event: events.Click) -> None:
        await self.app.run_action("onboarding")
