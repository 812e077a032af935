"""Admin → Invitations: every invitation and password reset of the tenant with its state
(pending, accepted, revoked, expired; never a code), ``r`` to resend one (a new code and expiry;
the old code stops working), ``x`` to revoke one (asked first). New ones are sent from Users
(``i``, ``p``).
Another admin's invitation, resend or revocation, and an acceptance (``invitation_changed``,
``user_changed``), show by themselves (``admin_live.py``).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from pytake_daemon.protocol.events import UserChanged
from pytake_daemon.protocol.invitations import (
    InvitationChanged,
    InvitationOut,
    InvitationStatus,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, local_moment, pgettext
from pytake_tui.messages import report_failure
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.screens.admin_live import LivePage
from pytake_tui.screens.admin_user_dialogs import CodeDialog
from pytake_tui.vocabulary import invitation_status, role_name
from pytake_tui.widgets.footer import Footer

EMPTY = N_("No invitations yet: Users → i invites a person, p resets a password.")
_OPEN = (InvitationStatus.PENDING, InvitationStatus.EXPIRED)


class AdminInvitationsScreen(LivePage):
    """Newest first, as the daemon lists them."""

    CSS_PATH = "admin_invitations.tcss"
    LIVE_EVENTS = (UserChanged, InvitationChanged)
    BINDINGS = [
        Binding("r", "resend", N_("Resend")),
        Binding("x,delete", "revoke", N_("Revoke")),
        Binding("ctrl+r", "reload", N_("Refresh")),
        Binding("escape", "app.pop_screen", N_("Back")),
    ]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self._client = client
        self.invitations: list[InvitationOut] = []
        self.loads = 0
        """How many times a fresh list was shown (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="invitations-page"):
            yield DataTable(id="admin-invitations", cursor_type="row", zebra_stripes=True)
            yield Static("", id="invitations-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#admin-invitations", DataTable)
        for label, key, width in (
            (_("e-mail"), "email", 24),
            (pgettext("invitation", "for"), "kind", 11),
            (_("role"), "role", 13),
            (_("state"), "state", 9),
            (_("expires"), "expires", 16),
        ):
            table.add_column(label, key=key, width=width)
        self.action_reload()

    @property
    def highlighted(self) -> InvitationOut | None:
        row = self.query_one("#admin-invitations", DataTable).cursor_row
        return self.invitations[row] if 0 <= row < len(self.invitations) else None

    @work(exclusive=True, exit_on_error=False, group="admin-invitations")
    async def action_reload(self) -> None:
        try:
            listed = await self._client.invitations()
        except DaemonError as error:
            report_failure(self, error, _("Could not load the invitations"))
            return
        self.show(listed.items)

    def show(self, invitations: list[InvitationOut]) -> None:
        """Show the invitations as listed (newest first), the cursor where it was."""
        table = self.query_one("#admin-invitations", DataTable)
        row = table.cursor_row
        self.invitations = invitations
        table.clear()
        for i in invitations:
            kind = pgettext("invitation", "reset") if i.resets_user_id else _("joining")
            expires = local_moment(i.expires_at)
            status = invitation_status(i.status)
            table.add_row(i.email, kind, role_name(i.role), status, expires, key=str(i.id))
        if invitations:
            table.move_cursor(row=min(row, len(invitations) - 1))
        self.query_one("#invitations-empty", Static).update("" if invitations else _(EMPTY))
        self.loads += 1

    def action_resend(self) -> None:
        invitation = self.highlighted
        if invitation is None:
            return
        if invitation.status not in _OPEN:
            self.notify(
                _("This invitation is {status}: nothing to resend.").format(
                    status=invitation_status(invitation.status)
                )
            )
            return
        self._resend(invitation)

    @work(exit_on_error=False, group="admin-invitations-change")
    async def _resend(self, invitation: InvitationOut) -> None:
        try:
            sent = await self._client.resend_invitation(invitation.id)
        except DaemonError as error:
            report_failure(self, error, _("Not resent"))
            return
        if sent.emailed:
            self.notify(_("A new code was e-mailed to {email}").format(email=invitation.email))
        else:
            self.app.push_screen(CodeDialog(sent))
        self.action_reload()

    def action_revoke(self) -> None:
        invitation = self.highlighted
        if invitation is None:
            return
        if invitation.status not in _OPEN:
            self.notify(
                _("This invitation is {status}: nothing to revoke.").format(
                    status=invitation_status(invitation.status)
                )
            )
            return

        confirm_then(
            self,
            _("Revoke the invitation for {email}?").format(email=invitation.email),
            _("Its code stops working at once; a new invitation can be sent later."),
            _("Revoke"),
            lambda: self._revoke(invitation),
        )

    @work(exit_on_error=False, group="admin-invitations-change")
    async def _revoke(self, invitation: InvitationOut) -> None:
        try:
            await self._client.revoke_invitation(invitation.id)
        except DaemonError as error:
            report_failure(self, error, _("Not revoked"))
            return
        self.notify(_("The invitation for {email} is revoked").format(email=invitation.email))
        self.action_reload()
