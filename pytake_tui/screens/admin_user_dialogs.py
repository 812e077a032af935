"""The users page's dialogs: invite a person, change a role, and the one-time code shown when
the invitation could not be e-mailed."""

from __future__ import annotations

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from pytake_daemon.protocol import Role, UserOut
from pytake_daemon.protocol.invitations import InvitationCreate, InvitationSent
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, local_moment
from pytake_tui.vocabulary import role_name
from pytake_tui.widgets.admin_form import (
    FOCUS_KEYS,
    FieldRow,
    FormError,
    daemon_problems,
    show_problems,
    validation_problems,
)
from pytake_tui.widgets.invite_queues import InviteQueues

_CSS = "admin_user_dialogs.tcss"


def role_options(by: Role) -> list[tuple[str, Role]]:
    """The roles ``by`` may give: nobody makes an account above their own (the daemon's rule)."""
    return [(role_name(r), r) for r in Role if by.at_least(r)]


class InviteDialog(ModalScreen[InvitationSent | None]):
    """E-mail, role and the queues an agent will serve; ``ctrl+s`` or enter invites, escape
    cancels."""

    CSS_PATH = _CSS
    BINDINGS = [
        *FOCUS_KEYS,
        Binding("escape", "dismiss(None)", N_("Cancel")),
        Binding("ctrl+s", "invite", N_("Invite")),
    ]

    def __init__(self, client: DaemonClient, by: Role) -> None:
        super().__init__()
        self._client = client
        self._by = by

    def compose(self) -> ComposeResult:
        with Vertical(classes="admin-dialog"):
            yield Static(_("Invite a person"), classes="dialog-title")
            yield FieldRow(_("E-mail"), Input(id="invite-email"), name="email")
            roles = Select(role_options(self._by), value=Role.AGENT, allow_blank=False, id="role")
            yield FieldRow(_("Role"), roles, name="role")
            queues = InviteQueues(self._client)
            yield FieldRow(_("Queues an agent serves (space ticks)"), queues,
                           name="queue_ids")  # fmt: skip
            yield FormError()
            yield Static(
                _("The code is e-mailed when SMTP is set up, else shown once here."),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Invite (ctrl+s)"), id="invite", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#invite-email", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#invite")
    def action_invite(self) -> None:
        role = self.query_one("#role", Select).value
        try:
            body = InvitationCreate(
                email=self.query_one("#invite-email", Input).value,
                role=role,
                queue_ids=self.query_one(InviteQueues).selected,
            )
        except ValidationError as error:
            show_problems(self, validation_problems(error))
            return
        self._send(body)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, exit_on_error=False, group="invite")
    async def _send(self, body: InvitationCreate) -> None:
        try:
            sent = await self._client.invite(body.email, body.role, body.queue_ids)
        except DaemonError as error:
            show_problems(self, daemon_problems(error))
            return
        self.dismiss(sent)


class RoleDialog(ModalScreen[Role | None]):
    """Pick the user's new role; enter or ``ctrl+s`` changes it."""

    CSS_PATH = _CSS
    BINDINGS = [
        *FOCUS_KEYS,
        Binding("escape", "dismiss(None)", N_("Cancel")),
        Binding("ctrl+s", "change", N_("Change")),
    ]

    def __init__(self, user: UserOut, by: Role) -> None:
        super().__init__()
        self._user = user
        self._by = by

    def compose(self) -> ComposeResult:
        options = role_options(self._by)
        with Vertical(classes="admin-dialog"):
            yield Static(_("Role of {name}").format(name=self._user.name), classes="dialog-title")
            value = self._user.role if self._by.at_least(self._user.role) else options[0][1]
            yield Select(options, value=value, allow_blank=False, id="new-role")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Change (ctrl+s)"), id="change", variant="primary")
                yield Button(_("Cancel"), id="cancel")

    @on(Button.Pressed, "#change")
    def action_change(self) -> None:
        value = self.query_one("#new-role", Select).value
        self.dismiss(value if isinstance(value, Role) else None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class CodeDialog(ModalScreen[None]):
    """The invitation's code, shown this once (the daemon keeps only its hash)."""

    CSS_PATH = _CSS
    BINDINGS = [Binding("escape,enter", "dismiss(None)", N_("Close"))]

    def __init__(self, sent: InvitationSent) -> None:
        super().__init__()
        self._sent = sent

    def compose(self) -> ComposeResult:
        sent = self._sent
        with Vertical(classes="admin-dialog"):
            title = (
                _("Password reset for {email}")
                if sent.invitation.resets_user_id
                else _("Invitation for {email}")
            )
            yield Static(
                title.format(email=sent.invitation.email),
                classes="dialog-title",
            )
            yield Static(
                _("Not e-mailed ({why}). Pass this code on; it is not shown again:").format(
                    why=sent.email_error
                )
                if sent.email_error
                else _("Not e-mailed. Pass this code on; it is not shown again:")
            )
            yield Input(sent.code or "", id="invite-code")
            yield Static(
                _("pytake tui --invite CODE · expires {moment}").format(
                    moment=local_moment(sent.invitation.expires_at)
                ),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close"), id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
