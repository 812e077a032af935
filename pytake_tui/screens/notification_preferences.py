"""Notification preferences (issue 18, N4): which channels each category reaches, quiet hours,
do-not-disturb, the per-minute cap and the e-mail digest, stored on the daemon per user.

``p`` in the notification center or "Notification preferences" in the command palette. It reads
``GET /api/v1/notifications/preferences`` and saves with ``PUT``; "Reset" deletes the user's own
and shows the tenant's defaults they follow again. Admins and owners flip "tenant defaults" to
edit ``/api/v1/notifications/settings`` in the same form. The daemon judges every value: a 422
puts its sentence under the field it names (a toast for one the form doesn't show).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Header, Input, Label, Select, Static

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.notifications import Digest, Preferences
from pytake_i18n import format_skeleton
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _
from pytake_tui.messages import report_failure
from pytake_tui.notification_form import (
    DIGEST_LABELS,
    FIELDS,
    FormValues,
    document,
    field_named,
    sentence,
    values_of,
    zone_of,
)
from pytake_tui.widgets.channel_grid import ChannelGrid
from pytake_tui.widgets.footer import Footer

Source = Literal["user", "tenant", "default"]
SOURCE_TEXT: dict[Source, str] = {
    "user": N_("Your own preferences."),
    "tenant": N_("You follow your organisation's defaults; saving makes these your own."),
    "default": N_("You follow PyTake's defaults; saving makes these your own."),
}
TENANT_TEXT = N_("The tenant's defaults: what every user without preferences of their own gets.")


class NotificationPreferencesScreen(Screen[None]):
    """The form; escape closes it without saving."""

    CSS_PATH = "notification_preferences.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "close", N_("Close")),
    ]

    class Loaded(Message):
        def __init__(self, prefs: Preferences, source: Source | None, retention: int) -> None:
            super().__init__()
            self.prefs = prefs
            self.source = source
            """None: the tenant's defaults."""
            self.retention = retention

    class Refused(Message):
        """The daemon's 422, one sentence per field."""

        def __init__(self, error: DaemonError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, client: DaemonClient, me: Me, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._clock = clock
        self.tenant_mode = False
        """True: the form edits the tenant's defaults (admins and owners)."""
        self.source: Source | None = None
        self.retention_days = 90
        """The tenant's retention, sent back unchanged with its defaults."""
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="prefs-form"):
            with Horizontal(classes="prefs-row"):
                yield Static(_("Notification preferences"), id="prefs-heading")
                yield Static(_("Loading…"), id="prefs-source")
                yield Checkbox(_("tenant defaults"), compact=True, id="prefs-tenant")
            yield Static(
                _("Channels per category · arrows move, space or enter switches"),
                classes="prefs-section",
            )
            yield ChannelGrid(id="prefs-channels")
            yield Static(id="error-categories", classes="prefs-error")
            with Horizontal(classes="prefs-row"):
                yield Label(_("Time zone"), classes="prefs-label")
                yield Input(placeholder=_("e.g. America/Sao_Paulo"), compact=True, id="prefs-zone")
                yield Static(id="prefs-zone-now", classes="prefs-hint")
            yield Static(id="error-timezone", classes="prefs-error")
            with Horizontal(classes="prefs-row"):
                yield Label(_("Quiet hours"), classes="prefs-label")
                yield Input(placeholder="22:00", compact=True, id="prefs-quiet-start")
                yield Label(_("to"), classes="prefs-to")
                yield Input(placeholder="07:00", compact=True, id="prefs-quiet-end")
                yield Static(id="prefs-quiet-hint", classes="prefs-hint")
            yield Static(id="error-quiet_hours", classes="prefs-error")
            with Horizontal(classes="prefs-row"):
                yield Label(_("DND until"), classes="prefs-label")
                yield Input(placeholder=_("HH:MM or YYYY-MM-DD HH:MM"), compact=True,
                            id="prefs-dnd")  # fmt: skip
                yield Checkbox(_("urgent still reaches me"), compact=True, id="prefs-dnd-urgent")
            yield Static(id="error-dnd_until", classes="prefs-error")
            with Horizontal(classes="prefs-row"):
                yield Label(_("Per-minute cap"), classes="prefs-label")
                yield Input(compact=True, id="prefs-cap")
                yield Static(_("more in a minute are grouped into one"), classes="prefs-hint")
            yield Static(id="error-per_minute_cap", classes="prefs-error")
            with Horizontal(classes="prefs-row"):
                yield Label(_("E-mail digest"), classes="prefs-label")
                yield Select(
                    [(_(label), digest.value) for digest, label in DIGEST_LABELS.items()],
                    allow_blank=False,
                    compact=True,
                    id="prefs-digest",
                )
            yield Static(id="error-digest", classes="prefs-error")
            with Horizontal(id="prefs-buttons"):
                yield Button(_("Save"), id="prefs-save", variant="primary", compact=True)
                yield Button(_("Reset to tenant defaults"), id="prefs-reset", compact=True)
                yield Button(_("Close"), id="prefs-close", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#prefs-tenant").display = self._me.role.at_least(Role.ADMIN)
        # The switches first: left to Textual, an agent's focus went to the scrolling form
        # (the hidden admin checkbox comes before the grid), where arrows and space do nothing.
        self.query_one(ChannelGrid).focus()
        self._clear_errors()
        self._load()

    # Loading and showing

    @work(exclusive=True, exit_on_error=False, group="notification-preferences")
    async def _load(self) -> None:
        try:
            if self.tenant_mode:
                settings = await self._client.notification_settings()
                loaded = self.Loaded(settings.defaults, None, settings.retention_days)
            else:
                mine = await self._client.notification_preferences()
                loaded = self.Loaded(mine.preferences, mine.source, self.retention_days)
        except DaemonError as error:
            report_failure(self, error, _("Could not read the preferences"))
            return
        self.post_message(loaded)

    def on_notification_preferences_screen_loaded(self, message: Loaded) -> None:
        self.source, self.retention_days = message.source, message.retention
        self.show(values_of(message.prefs, self._clock()))
        self.loaded = True

    def show(self, values: FormValues) -> None:
        """Put ``values`` in the form's fields."""
        self.query_one("#prefs-source", Static).update(
            _(TENANT_TEXT) if self.source is None else _(SOURCE_TEXT[self.source])
        )
        self.query_one(ChannelGrid).load(values.switches)
        self.query_one("#prefs-zone", Input).value = values.timezone
        self.query_one("#prefs-quiet-start", Input).value = values.quiet_start
        self.query_one("#prefs-quiet-end", Input).value = values.quiet_end
        self.query_one("#prefs-dnd", Input).value = values.dnd_until
        self.query_one("#prefs-dnd-urgent", Checkbox).value = values.dnd_allow_urgent
        self.query_one("#prefs-cap", Input).value = values.per_minute_cap
        self.query_one("#prefs-digest", Select).value = values.digest.value
        self.query_one("#prefs-reset").display = self.source == "user"
        self._show_zone(values.timezone)

    def values(self) -> FormValues:
        """What the form's fields hold now."""
        digest = self.query_one("#prefs-digest", Select).value
        return FormValues(
            switches=dict(self.query_one(ChannelGrid).switches),
            timezone=self.query_one("#prefs-zone", Input).value,
            quiet_start=self.query_one("#prefs-quiet-start", Input).value,
            quiet_end=self.query_one("#prefs-quiet-end", Input).value,
            dnd_until=self.query_one("#prefs-dnd", Input).value,
            dnd_allow_urgent=self.query_one("#prefs-dnd-urgent", Checkbox).value,
            per_minute_cap=self.query_one("#prefs-cap", Input).value,
            digest=Digest(digest) if isinstance(digest, str) else Digest.HOURLY,
        )

    @on(Input.Changed, "#prefs-zone")
    def _zone_typed(self, event: Input.Changed) -> None:
        self._show_zone(event.value)

    def _show_zone(self, name: str) -> None:
        zone = zone_of(name)
        now = (
            _("now {time} there").format(time=format_skeleton("Hm", self._clock(), zone))
            if zone
            else _("not a zone")
        )
        self.query_one("#prefs-zone-now", Static).update(now)
        where = name.strip() if zone else _("your time zone")
        self.query_one("#prefs-quiet-hint", Static).update(
            _("in {where} · only urgent ones pass · empty: none").format(where=where)
        )

    def _clear_errors(self) -> None:
        for name in FIELDS:
            error = self.query_one(f"#error-{name}", Static)
            error.update("")
            error.display = False

    # Saving

    def action_save(self) -> None:
        if self.loaded:
            self._clear_errors()
            self._save(document(self.values(), self._clock()))

    @work(exclusive=True, exit_on_error=False, group="notification-preferences")
    async def _save(self, body: dict[str, Any]) -> None:
        try:
            if self.tenant_mode:
                saved = await self._client.put_notification_defaults(body, self.retention_days)
                loaded = self.Loaded(saved.defaults, None, saved.retention_days)
            else:
                mine = await self._client.put_notification_preferences(body)
                loaded = self.Loaded(mine.preferences, mine.source, self.retention_days)
        except DaemonError as error:
            if error.status == 422 and error.fields:
                self.post_message(self.Refused(error))
            else:
                report_failure(self, error, _("Could not save the preferences"))
            return
        self.post_message(loaded)
        self.notify(_("Tenant defaults saved") if self.tenant_mode else _("Preferences saved"))

    def on_notification_preferences_screen_refused(self, message: Refused) -> None:
        shown: dict[str, list[str]] = {}
        unplaced: list[str] = []
        for problem in message.error.fields:
            name = field_named(problem.loc)
            if name is None:
                unplaced.append(f"{problem.loc}: {sentence(problem.msg)}")
            else:
                shown.setdefault(name, []).append(sentence(problem.msg))
        for name, sentences in shown.items():
            error = self.query_one(f"#error-{name}", Static)
            error.update("; ".join(dict.fromkeys(sentences)))
            error.display = True
        if shown:
            first = self.query_one(f"#error-{next(n for n in FIELDS if n in shown)}")
            self.query_one("#prefs-form", VerticalScroll).scroll_to_widget(first)
        detail = "; ".join(unplaced) or _("see the fields marked in red")
        self.notify(detail, title=_("Not saved"), severity="warning")

    # Reset, tenant mode, closing

    @on(Button.Pressed, "#prefs-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#prefs-reset")
    def _reset_pressed(self) -> None:
        self._clear_errors()
        self._reset()

    @work(exclusive=True, exit_on_error=False, group="notification-preferences")
    async def _reset(self) -> None:
        try:
            await self._client.reset_notification_preferences()
            mine = await self._client.notification_preferences()
        except DaemonError as error:
            report_failure(self, error, _("Could not reset the preferences"))
            return
        self.post_message(self.Loaded(mine.preferences, mine.source, self.retention_days))
        self.notify(_("You follow the tenant's defaults again"))

    @on(Checkbox.Changed, "#prefs-tenant")
    def _tenant_switched(self, event: Checkbox.Changed) -> None:
        self.tenant_mode = event.value
        self.loaded = False
        self._clear_errors()
        self._load()

    @on(Button.Pressed, "#prefs-close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        self.dismiss(None)
