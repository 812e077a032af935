"""Step 3: invite the team by e-mail with a role and, for agents, the queues they will serve
(``/api/v1/invitations``; the queues made in step 4 show when the step is opened again). A code
that could not be e-mailed is shown once here, to pass on."""

from __future__ import annotations

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Select, Static

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.invitations import InvitationCreate
from pytake_daemon.protocol.onboarding import StepName, StepStatus
from pytake_tui.client import DaemonError
from pytake_tui.i18n import _, ngettext
from pytake_tui.vocabulary import role_name
from pytake_tui.widgets.admin_form import validation_problems
from pytake_tui.widgets.invite_queues import InviteQueues
from pytake_tui.widgets.onboarding_step import Field, StepPane, daemon_problems

ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


class TeamStep(StepPane):
    step = StepName.TEAM

    def compose(self) -> ComposeResult:
        yield Static(_("Team"), classes="step-title")
        yield Static(
            _("Invite people by e-mail; each joins with a single-use code (pytake tui --invite)."),
            classes="step-help",
        )
        yield Field(_("E-mail"), Input(id="email"), name="email")
        yield Field(
            _("Role"),
            Select([(role_name(r), r) for r in ROLES], allow_blank=False, id="role"),
            name="role",
        )
        queues = InviteQueues(self.client)
        yield Field(_("Queues an agent serves (space ticks)"), queues, name="queue_ids")
        yield self.problem_line()
        yield Static("", classes="step-ok", id="team-invited")
        with Horizontal(classes="step-buttons"):
            yield Button(_("Invite"), id="team-invite", variant="primary")
            yield Button(_("Team is complete"), id="team-done")

    @on(Button.Pressed, "#team-invite")
    @on(Input.Submitted)
    def invite(self) -> None:
        role = self.query_one("#role", Select).value
        try:
            body = InvitationCreate(
                email=self.query_one("#email", Input).value.strip(),
                role=role,
                queue_ids=self.query_one(InviteQueues).selected,
            )
        except ValidationError as error:
            self.show_problems(validation_problems(error))
            return
        self.clear_problems()
        self._invite(body)

    @work(exclusive=True, exit_on_error=False, group="team-invite")
    async def _invite(self, body: InvitationCreate) -> None:
        try:
            sent = await self.client.invite(body.email, body.role, body.queue_ids)
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        line = self.query_one("#team-invited", Static)
        how = (
            _("e-mailed")
            if sent.emailed
            else _("code {code} (shown once: pass it on)").format(code=sent.code)
        )
        served = len(sent.invitation.queue_ids)
        who = _("{email} as {role}").format(
            email=sent.invitation.email, role=role_name(sent.invitation.role)
        )
        if served:
            who += ngettext(", {n} queue", ", {n} queues", served).format(n=served)
        said = f"{who}: {how}"
        line.update(f"{line.render()}\n{said}".strip())
        self.query_one("#email", Input).value = ""

    @on(Button.Pressed, "#team-done")
    def done(self) -> None:
        self._done()

    @work(exclusive=True, exit_on_error=False, group="team-done")
    async def _done(self) -> None:
        try:
            state = await self.client.set_onboarding_step(self.step, StepStatus.DONE)
        except DaemonError as error:
            self.show_problems(daemon_problems(error))
            return
        self.post_message(self.Recorded(state))
