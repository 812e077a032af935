"""What ``?`` and the command palette list: the keys of the current screen, the destinations,
and the icons the console draws (the legend that used to live only in docs/tui.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from pytake_daemon.protocol import Role
from pytake_tui.destinations import DESTINATIONS
from pytake_tui.navigation import SessionContext
from pytake_tui.screens.admin import AdminScreen
from pytake_tui.screens.api_tokens import ApiTokensScreen
from pytake_tui.screens.config_transfer import ConfigTransferScreen
from pytake_tui.screens.notification_preferences import NotificationPreferencesScreen
from pytake_tui.screens.outbound_webhooks import OutboundWebhooksScreen
from pytake_tui.widgets.onboarding_progress import may_onboard

if TYPE_CHECKING:
    from pytake_tui.app import PyTakeApp

ICON_LEGEND: list[tuple[str, str]] = [
    ("▸", "assigned to you"),
    ("●N", "unread messages"),
    ("✱", "news since the list was sorted (o sorts again)"),
    ("⧗ ☾ ✓", "pending, snoozed, resolved"),
    ("◷ ✓ ✓✓", "pending, sent, delivered (✓✓ read: read)"),
    ("✗", "failed, with WhatsApp's reason"),
    ("↪", "a reply to an earlier message"),
    ("🔒", "an internal note (the customer never sees it)"),
    ("#tag ✎ N", "the conversation's tags and notes"),
    ("▼ ● ▲", "the AI's mood: negative, neutral, positive"),
    ("⚠", "an AI alert"),
    ("★", "the customer's rating"),
]
"""Each icon of the console and what it says, as ``?`` shows it."""


def help_keys(app: PyTakeApp, screen: Screen[Any]) -> list[tuple[str, str]]:
    """The keys of ``screen`` and its focused widget: ours, and Textual's the footer shows."""
    keys: list[tuple[str, str]] = []
    seen: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        description = binding.description
        if not description or description.lower() in seen or key == "ctrl+p":
            continue
        if binding.show or key in _own_keys(active.node):
            seen.add(description.lower())
            keys.append((app.get_key_display(binding), description))
    keys.append((app.COMMAND_PALETTE_BINDING, "Command palette"))
    return keys


def _own_keys(node: object) -> set[str]:
    """Keys bound by PyTake's own classes in ``node``'s hierarchy (not Textual's scrolling)."""
    keys: set[str] = set()
    for cls in type(node).__mro__:
        if cls.__module__.startswith("pytake_tui"):
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    keys.update(k.strip() for k in binding.key.split(","))
    return keys


def session_commands(app: PyTakeApp, screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The palette's entries beyond Textual's: help, theme, destinations, every key, log out."""
    yield SystemCommand("Help", "Show the keys of this screen", app.action_help)
    yield SystemCommand("Toggle theme", "Switch between light and dark", app.action_toggle_dark)
    if app.client is None:
        return
    for destination in [*DESTINATIONS, app.destination("settings")]:
        if destination is not None and destination.allowed(app.me):
            name = destination.name
            yield SystemCommand(
                f"Go to {destination.title} ({destination.key})",
                destination.description or destination.title,
                lambda name=name: app.run_action(f"go('{name}')"),
            )
    if app.me is not None and app.me.role.at_least(Role.ADMIN):
        session = SessionContext(app.client, app.me, app.clock, app.downloads)
        yield SystemCommand(
            "Admin",
            "Users, queues, agents, templates, replies, AI settings",
            lambda: app.push_screen(AdminScreen(session)),
        )
    if may_onboard(app.me):
        yield SystemCommand(
            "Set up PyTake (onboarding)",
            "The seven steps: profile, number, team, queues, automation, defaults, go-live",
            app.action_onboarding,
        )
    if app.me is not None:
        client, me = app.client, app.me
        yield SystemCommand(
            "Notification preferences",
            "Channels per category, quiet hours, do-not-disturb, cap, e-mail digest",
            lambda: app.push_screen(
                NotificationPreferencesScreen(client=client, me=me, clock=app.clock)
            ),
        )
    if app.me is not None and app.me.role.at_least(Role.ADMIN):
        admin_client, admin = app.client, app.me
        yield SystemCommand(
            "Configuration export and import",
            "The tenant's configuration as a YAML file: export, preview a file's diff, apply it",
            lambda: app.push_screen(
                ConfigTransferScreen(client=admin_client, me=admin, directory=app.downloads)
            ),
        )
        yield SystemCommand(
            "Outbound webhooks",
            "Endpoints of other systems, their deliveries and dead letters: replay",
            lambda: app.push_screen(
                OutboundWebhooksScreen(client=admin_client, me=admin, clock=app.clock)
            ),
        )
        yield SystemCommand(
            "API tokens",
            "Scripts' tokens: their scopes and last use; create one, revoke one",
            lambda: app.push_screen(ApiTokensScreen(client=admin_client)),
        )
    # Every binding of the current screen and its focused widget, so the palette is complete.
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.description and active.enabled and active.node is not app:
            node, action = active.node, binding.action
            yield SystemCommand(
                binding.description,
                f"key: {app.get_key_display(binding)}",
                lambda node=node, action=action: app.run_action(action, node),
            )
    yield SystemCommand("Log out", "End the session on this machine", app.action_logout)
