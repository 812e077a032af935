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
from textual.widgets import Footer, Header, Static

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
from pytake_tui.screens.system import SystemScreen
from pytake_tui.screens.tenant_profile import TenantProfileScreen
from pytake_tui.widgets.admin_pages import AdminPage, AdminPageList

ADMIN_PAGES: list[AdminPage] = [
    AdminPage(
        "users",
        "Users",
        "invite, roles, disable, sessions and tokens",
        build=lambda c: AdminUsersScreen(client=c.client, me=c.me),
    ),
    AdminPage(
        "invitations",
        "Invitations",
        "pending, accepted, expired; resend, revoke",
        build=lambda c: AdminInvitationsScreen(client=c.client),
    ),
    AdminPage(
        "queues",
        "Queues",
        "hours, holidays, capacity, overflow, timeouts, messages",
        build=lambda c: AdminQueuesScreen(client=c.client),
    ),
    AdminPage(
        "agents",
        "Agents",
        "skills, departments, capacity, working hours",
        build=lambda c: AdminAgentsScreen(client=c.client),
    ),
    AdminPage(
        "templates",
        "Message templates",
        "review status, sync from Meta, submit for review",
        build=lambda c: AdminTemplatesScreen(client=c.client),
    ),
    AdminPage("replies", "Canned responses", "the team's replies (f12)", "replies"),
    AdminPage(
        "ai",
        "AI analysis",
        "languages, thresholds, alert rules, suggestion sources",
        build=lambda c: AiSettingsScreen(client=c.client),
    ),
    AdminPage("insights", "Intents and insights", "sentiment, intents (f6)", "insights"),
    AdminPage("audit", "Audit log", "who changed what (f7)", "audit"),
    AdminPage(
        "tenant",
        "Business profile",
        "name, segment, time zone, language, business hours",
        build=lambda c: TenantProfileScreen(client=c.client),
    ),
    AdminPage(
        "numbers",
        "WhatsApp numbers",
        "add, rotate secrets, test against Meta, remove",
        build=lambda c: NumbersAdminScreen(client=c.client),
    ),
    AdminPage(
        "webhooks",
        "Outbound webhooks",
        "endpoints, deliveries, dead letters, replay",
        build=lambda c: OutboundWebhooksScreen(client=c.client, me=c.me, clock=c.clock),
    ),
    AdminPage(
        "config",
        "Configuration export and import",
        "the tenant as YAML: export, diff, apply",
        build=lambda c: ConfigTransferScreen(client=c.client, me=c.me, directory=c.downloads),
    ),
    AdminPage(
        "api-tokens",
        "API tokens",
        "scripts' tokens: scopes, last use; create, revoke",
        build=lambda c: ApiTokensScreen(client=c.client),
    ),
    AdminPage(
        "system",
        "System",
        "host, daemon, PostgreSQL and Redis figures, lags; live",
        build=lambda c: SystemScreen(client=c.client),
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
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, context: SessionContext) -> None:
        super().__init__()
        self._session = context

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="admin-hub"):
            me = self._session.me
            yield Static(f"Admin · {me.tenant_name} ({me.tenant_slug})", id="admin-title")
            yield AdminPageList(ADMIN_PAGES, me, id="admin-pages")
            yield Static("enter opens a page · escape goes back", id="admin-hint")
        yield Footer()

    @on(AdminPageList.Chosen)
    async def _chosen(self, message: AdminPageList.Chosen) -> None:
        await open_admin_page(self.app, message.page, self._session)
