"""The admin area (owners and admins): one list of pages, each its own screen or a link to a
console destination that already does the job.

A page is added by appending one :class:`AdminPage` to :data:`ADMIN_PAGES`; the hub, Settings →
Admin and the command palette's "Admin" entry all list it from there.
"""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, Static

from pytake_tui.i18n import N_, _
from pytake_tui.navigation import SessionContext
from pytake_tui.screens.admin_agents import AdminAgentsScreen
from pytake_tui.screens.admin_invitations import AdminInvitationsScreen
from pytake_tui.screens.admin_queues import AdminQueuesScreen
from pytake_tui.screens.admin_templates import AdminTemplatesScreen
from pytake_tui.screens.admin_users import AdminUsersScreen
from pytake_tui.screens.ai_settings import AiSettingsScreen
from pytake_tui.screens.api_tokens import ApiTokensScreen
from pytake_tui.screens.config_transfer import ConfigTransferScreen
from pytake_tui.screens.numbers_admin import NumbersAdminScreen
from pytake_tui.screens.outbound_webhooks import OutboundWebhooksScreen
from pytake_tui.screens.smtp_settings import SmtpSettingsScreen
from pytake_tui.screens.system import SystemScreen
from pytake_tui.screens.tenant_profile import TenantProfileScreen
from pytake_tui.widgets.admin_pages import AdminPage, AdminPageList
from pytake_tui.widgets.footer import Footer

ADMIN_PAGES: list[AdminPage] = [
    AdminPage(
        "users",
        N_("Users"),
        N_("invite, roles, disable, sessions and tokens"),
        build=lambda c: AdminUsersScreen(client=c.client, me=c.me),
    ),
    AdminPage(
        "invitations",
        N_("Invitations"),
        N_("pending, accepted, expired; resend, revoke"),
        build=lambda c: AdminInvitationsScreen(client=c.client),
    ),
    AdminPage(
        "queues",
        N_("Queues"),
        N_("hours, holidays, capacity, overflow, timeouts, messages"),
        build=lambda c: AdminQueuesScreen(client=c.client),
    ),
    AdminPage(
        "agents",
        N_("Agents"),
        N_("skills, departments, capacity, working hours"),
        build=lambda c: AdminAgentsScreen(client=c.client),
    ),
    AdminPage(
        "templates",
        N_("Message templates"),
        N_("review status, sync from Meta, submit for review"),
        build=lambda c: AdminTemplatesScreen(client=c.client),
    ),
    AdminPage("replies", N_("Canned responses"), N_("the team's replies (f12)"), "replies"),
    AdminPage(
        "ai",
        N_("AI analysis"),
        N_("languages, thresholds, alert rules, suggestion sources"),
        build=lambda c: AiSettingsScreen(client=c.client),
    ),
    AdminPage("insights", N_("Intents and insights"), N_("sentiment, intents (f6)"), "insights"),
    AdminPage("audit", N_("Audit log"), N_("who changed what (f7)"), "audit"),
    AdminPage(
        "tenant",
        N_("Business profile"),
        N_("name, segment, time zone, language, business hours"),
        build=lambda c: TenantProfileScreen(client=c.client),
    ),
    AdminPage(
        "numbers",
        N_("WhatsApp numbers"),
        N_("add, rotate secrets, test against Meta, remove"),
        build=lambda c: NumbersAdminScreen(client=c.client),
    ),
    AdminPage(
        "webhooks",
        N_("Outbound webhooks"),
        N_("endpoints, deliveries, dead letters, replay"),
        build=lambda c: OutboundWebhooksScreen(client=c.client, me=c.me, clock=c.clock),
    ),
    AdminPage(
        "config",
        N_("Configuration export and import"),
        N_("the tenant as YAML: export, diff, apply"),
        build=lambda c: ConfigTransferScreen(client=c.client, me=c.me, directory=c.downloads),
    ),
    AdminPage(
        "api-tokens",
        N_("API tokens"),
        N_("scripts' tokens: scopes, last use; create, revoke"),
        build=lambda c: ApiTokensScreen(client=c.client),
    ),
    AdminPage(
        "system",
        N_("System"),
        N_("host, daemon, PostgreSQL and Redis figures, lags; live"),
        build=lambda c: SystemScreen(client=c.client),
    ),
    AdminPage(
        "smtp",
        N_("E-mail (SMTP)"),
        N_("the mail server for invitations and reports; a test e-mail"),
        build=lambda c: SmtpSettingsScreen(client=c.client),
    ),
]
"""The admin area's pages, in the order listed; append one entry to add a page."""


async def open_admin_page(app: App[object], page: AdminPage, context: SessionContext) -> None:
    """Push the page's screen, or go to the destination it links to."""
    if page.build is not None:
        await app.push_screen(page.build(context))
    elif page.destination is not None:
        await app.run_action(f"go('{page.destination}')")


class AdminScreen(Screen[None]):
    """The hub: every admin page the user's role may open."""

    CSS_PATH = "admin.tcss"
    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back"))]

    def __init__(self, context: SessionContext) -> None:
        super().__init__()
        self._session = context

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="admin-hub"):
            me = self._session.me
            yield Static(
                _("Admin · {tenant_name} ({tenant_slug})").format(
                    tenant_name=me.tenant_name, tenant_slug=me.tenant_slug
                ),
                id="admin-title",
            )
            yield AdminPageList(ADMIN_PAGES, me, id="admin-pages")
            yield Static(_("enter opens a page · escape goes back"), id="admin-hint")
        yield Footer()

    @on(AdminPageList.Chosen)
    async def _chosen(self, message: AdminPageList.Chosen) -> None:
        await open_admin_page(self.app, message.page, self._session)
