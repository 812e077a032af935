"""The onboarding wizard's way in: it opens by itself when a tenant owner logs in and the
setup is not finished, and ``ctrl+w`` (or the palette, or the progress widget's key) opens it
for owners and admins at any time.

A base class of :class:`~pytake_tui.app.PyTakeApp`, like :mod:`pytake_tui.unread_title`.
"""

from __future__ import annotations

from textual import work
from textual.app import App
from textual.binding import Binding

from pytake_daemon.protocol import Me, Role
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_
from pytake_tui.screens.onboarding import OnboardingScreen
from pytake_tui.widgets.onboarding_progress import CONTINUE_KEY, may_onboard

ONBOARDING_KEY = CONTINUE_KEY


class OnboardingOffer(App[None]):
    BINDINGS = [Binding(ONBOARDING_KEY, "onboarding", N_("Set up"), show=False)]

    client: DaemonClient | None
    me: Me | None

    def action_onboarding(self) -> None:
        """Open the setup wizard (owners and admins)."""
        if self.client is None or not may_onboard(self.me) or self._onboarding_open():
            return
        assert self.me is not None
        self.push_screen(OnboardingScreen(client=self.client, me=self.me))

    def _onboarding_open(self) -> bool:
        return any(isinstance(s, OnboardingScreen) for s in self.screen_stack)

    @work(exclusive=True, exit_on_error=False, group="onboarding-offer")
    async def offer_onboarding(self, client: DaemonClient, me: Me) -> None:
        """At an owner's login: open the wizard if the setup is not finished."""
        if me.role is not Role.OWNER:
            return
        try:
            state = await client.onboarding()
        except DaemonError:
            return  # the progress widget says what it can; a login must not fail for this
        if not state.finished and self.client is client:
            self.action_onboarding()
