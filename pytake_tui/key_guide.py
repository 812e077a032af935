"""What ``?`` and the command palette list: the keys of the current screen, the destinations,
and the icons the console draws (the legend that used to live only in docs/tui.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from rich.align import Align
from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.screen import Screen
from textual.widgets.option_list import Option

from pytake_daemon.protocol import Role
from pytake_tui.destinations import DESTINATIONS
from pytake_tui.i18n import N_, _
from pytake_tui.navigation import SessionContext
from pytake_tui.screens.admin import AdminScreen
from pytake_tui.screens.api_tokens import ApiTokensScreen
from pytake_tui.screens.config_transfer import ConfigTransferScreen
from pytake_tui.screens.notification_preferences import NotificationPreferencesScreen
from pytake_tui.screens.outbound_webhooks import OutboundWebhooksScreen
from pytake_tui.theme_names import ThemeNames
from pytake_tui.widgets.onboarding_progress import may_onboard

if TYPE_CHECKING:
    from pytake_tui.app import PyTakeApp

ICON_LEGEND: list[tuple[str, str]] = [
    ("▸", N_("assigned to you")),
    ("●N", N_("unread messages")),
    ("✱", N_("news since the list was sorted (o sorts again)")),
    ("⧗ ☾ ✓", N_("pending, snoozed, resolved")),
    ("◷ ✓ ✓✓", N_("pending, sent, delivered (✓✓ read: read)")),
    ("✗", N_("failed, with WhatsApp's reason")),
    ("↪", N_("a reply to an earlier message")),
    ("🔒", N_("an internal note (the customer never sees it)")),
    ("#tag ✎ N", N_("the conversation's tags and notes")),
    ("▼ ● ▲", N_("the AI's mood: negative, neutral, positive")),
    ("⚠", N_("an AI alert")),
    ("★", N_("the customer's rating")),
]
"""Each icon of the console and what it says (English msgids), as ``?`` shows it."""


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
            keys.append((app.get_key_display(binding), _(description)))
    keys.append((app.COMMAND_PALETTE_BINDING, _("Command palette")))
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
    yield SystemCommand(_("Help"), _("Show the keys of this screen"), app.action_help)
    yield SystemCommand(
        _("Toggle theme"), _("Switch between light and dark"), app.action_toggle_dark
    )
    if app.client is None:
        return
    for destination in [*DESTINATIONS, app.destination("settings")]:
        if destination is not None and destination.allowed(app.me):
            name = destination.name
            title = _(destination.title)
            yield SystemCommand(
                _("Go to {screen} ({key})").format(screen=title, key=destination.key),
                _(destination.description) if destination.description else title,
                lambda name=name: app.run_action(f"go('{name}')"),
            )
    if app.me is not None and app.me.role.at_least(Role.ADMIN):
        session = SessionContext(app.client, app.me, app.clock, app.downloads)
        yield SystemCommand(
            _("Admin"),
            _("Users, queues, agents, templates, replies, AI settings"),
            lambda: app.push_screen(AdminScreen(session)),
        )
    if may_onboard(app.me):
        yield SystemCommand(
            _("Set up PyTake (onboarding)"),
            _("The seven steps: profile, number, team, queues, automation, defaults, go-live"),
            app.action_onboarding,
        )
    if app.me is not None:
        client, me = app.client, app.me
        yield SystemCommand(
            _("Notification preferences"),
            _("Channels per category, quiet hours, do-not-disturb, cap, e-mail digest"),
            lambda: app.push_screen(
                NotificationPreferencesScreen(client=client, me=me, clock=app.clock)
            ),
        )
    if app.me is not None and app.me.role.at_least(Role.ADMIN):
        admin_client, admin = app.client, app.me
        yield SystemCommand(
            _("Configuration export and import"),
            _("The tenant's configuration as a YAML file: export, preview a file's diff, apply it"),
            lambda: app.push_screen(
                ConfigTransferScreen(client=admin_client, me=admin, directory=app.downloads)
            ),
        )
        yield SystemCommand(
            _("Outbound webhooks"),
            _("Endpoints of other systems, their deliveries and dead letters: replay"),
            lambda: app.push_screen(
                OutboundWebhooksScreen(client=admin_client, me=admin, clock=app.clock)
            ),
        )
        yield SystemCommand(
            _("API tokens"),
            _("Scripts' tokens: their scopes and last use; create one, revoke one"),
            lambda: app.push_screen(ApiTokensScreen(client=admin_client)),
        )
    # Every binding of the current screen and its focused widget, so the palette is complete.
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.description and active.enabled and active.node is not app:
            node, action = active.node, binding.action
            yield SystemCommand(
                _(binding.description),
                _("key: {key}").format(key=app.get_key_display(binding)),
                lambda node=node, action=action: app.run_action(action, node),
            )
    yield SystemCommand(_("Log out"), _("End the session on this machine"), app.action_logout)


# Textual's own words that reach the palette and ``?``: its system commands and the bindings
# every screen inherits. Textual writes them in English; marked here so the catalog has them.
TEXTUAL_WORDS = (
    N_("Theme"), N_("Change the current theme"),
    N_("Quit"), N_("Quit the application as soon as possible"),
    N_("Keys"), N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"), N_("Minimize the widget and restore to normal size"),
    N_("Maximize"), N_("Maximize the focused widget"),
    N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen"),
    N_("Focus Next"), N_("Focus Previous"), N_("Copy selected text"),
)  # fmt: skip


def palette_commands(
    app: PyTakeApp, screen: Screen[Any], textual: Iterable[SystemCommand]
) -> Iterator[SystemCommand]:
    """Textual's system commands in the console's language, then ours. Textual's "Keys" panel
    is left out: it lists every binding in English, and "Help" (``?``) says the same in the
    reader's language. "Theme" opens the theme list with its search field translated."""
    for command in textual:
        if command.callback in (app.action_show_help_panel, app.action_hide_help_panel):
            continue
        callback = command.callback
        if callback == app.action_change_theme:
            # A lambda, not a def: it closes over this call's app and is the command's value.
            callback = lambda: open_theme_palette(app)  # noqa: E731
        elif command.title == "Screenshot":
            # Textual's command delivers under its own name and says so in English; a lambda
            # for the same reason as the theme's.
            callback = lambda: app.set_timer(0.1, app.action_screenshot)  # noqa: E731
        yield command._replace(title=_(command.title), help=_(command.help), callback=callback)
    yield from session_commands(app, screen)


class Palette(CommandPalette):
    """Textual's command palette, saying "No matches found" in the console's language."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual words the line in English inside this method (6.x); the same countdown, with
        # the option's words from the catalog.
        self._stop_no_matches_countdown()

        def _show_no_matches() -> None:
            if search_value:
                words = Text(_("No matches found"), style="not bold")
                self.query_one(CommandList).add_option(
                    Option(Align.center(words), disabled=True, id=self._NO_MATCHES)
                )
                self._list_visible = True
            else:  # discovery mode: nothing to say about finding nothing
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, _show_no_matches)


def open_palette(app: App[Any]) -> None:
    """The command palette, its search field's placeholder in the console's language."""
    if app.use_command_palette and not CommandPalette.is_open(app):
        search = _("Search for commands…")
        app.push_screen(Palette(placeholder=search, id="--command-palette"))


def open_theme_palette(app: App[Any]) -> None:
    """Textual's themes (as ``App.search_themes`` lists them), by their names and with the
    placeholder in the reader's language (``theme_names``)."""
    app.push_screen(Palette(providers=[ThemeNames], placeholder=_("Search for themes…")))
