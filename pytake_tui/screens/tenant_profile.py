"""The Tenant page: the business profile (name, segment, time zone, language, business hours)
outside the wizard, with the wizard's own step widget; the admin hub links here."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header

from pytake_tui.client import DaemonClient
from pytake_tui.i18n import N_, _
from pytake_tui.widgets.admin_form import FOCUS_KEYS
from pytake_tui.widgets.footer import Footer
from pytake_tui.widgets.onboarding_profile import ProfileStep


class TenantProfileScreen(Screen[None]):
    """Owners and admins change the profile; the daemon checks it as in the wizard."""

    CSS_PATH = "tenant_profile.tcss"
    BINDINGS = [*FOCUS_KEYS, Binding("escape", "close", N_("Close"))]

    def __init__(self, *, client: DaemonClient) -> None:
        super().__init__()
        self.client = client

    def compose(self) -> ComposeResult:
        yield Header()
        yield ProfileStep(self.client, id="tenant-profile")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Tenant")
        self.sub_title = _("Business profile")

    def on_step_pane_recorded(self) -> None:
        self.notify(_("Business profile saved"))

    def action_close(self) -> None:
        self.dismiss(None)
