"""The notification preferences form against the real daemon (app, PostgreSQL, Redis): saving
changes what the daemon stores, a 422 lands under its field without a traceback, reset follows
the tenant's defaults again, and an admin edits those defaults; plus the form's words.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from textual.coordinate import Coordinate
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.notifications import (
    ChannelSwitches,
    Digest,
    NotificationCategory,
    PreferencesOut,
    QuietHours,
    TenantNotificationSettings,
)
from pytake_tui.notification_form import dnd_instant, field_named, sentence
from pytake_tui.screens.notification_preferences import NotificationPreferencesScreen
from pytake_tui.widgets.channel_grid import ChannelGrid
from tests.conftest import ApiClient, MakeTenant
from tests.support import Member

from .helpers import MessageLog, wait_until
from .notifications_support import (
    NotificationsClient,
    daemon_console,
    notifications_app,
    open_center,
)

Cat = NotificationCategory
PREFS = "/api/v1/notifications/preferences"


async def stored(api: ApiClient, member: Member) -> PreferencesOut:
    resp = await api.get(PREFS, headers=member.headers)
    assert resp.status == 200, await resp.text()
    return PreferencesOut.model_validate(await resp.json())


async def open_form(pilot: Pilot[Any]) -> NotificationPreferencesScreen:
    await open_center(pilot, 0)
    await pilot.press("p")
    app = pilot.app
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, NotificationPreferencesScreen) and app.screen.loaded,
        "the form filled",
    )
    form = app.screen
    assert isinstance(form, NotificationPreferencesScreen)
    return form


async def type_into(
    pilot: Pilot[Any], form: NotificationPreferencesScreen, at: str, text: str
) -> None:
    field = form.query_one(at, Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)


async def flip(
    pilot: Pilot[Any], form: NotificationPreferencesScreen, cat: Cat, column: int
) -> None:
    grid = form.query_one(ChannelGrid)
    grid.focus()
    grid.cursor_coordinate = Coordinate(list(Cat).index(cat), column)
    await pilot.press("space")


async def test_saving_the_form_changes_what_the_daemon_stores(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    assert (await stored(api, agent)).source == "default"
    log = MessageLog()
    app = daemon_console(api, agent, tmp_path)
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        form = await open_form(pilot)
        # The daemon spells out every category: ours e-mail security, not messages.
        assert form.query_one(ChannelGrid).switches[Cat.SECURITY].email is True
        assert "PyTake's defaults" in str(form.query_one("#prefs-source", Static).render())
        assert form.query_one("#prefs-reset").display is False  # nothing of mine to reset
        assert form.query_one("#prefs-tenant").display is False  # an agent: no tenant switch

        # As a person types: the form opens on the switches (assignment's console).
        assert isinstance(app.focused, ChannelGrid)
        await pilot.press("right", "right", "space")  # assignment e-mail on
        await flip(pilot, form, Cat.MESSAGE, 2)  # desktop off
        await flip(pilot, form, Cat.MENTION, 4)  # sound on
        await type_into(pilot, form, "#prefs-zone", "America/New_York")
        await type_into(pilot, form, "#prefs-quiet-start", "22:00")
        await type_into(pilot, form, "#prefs-quiet-end", "07:30")
        await type_into(pilot, form, "#prefs-dnd", "2030-01-02 18:00")
        await pilot.click("#prefs-dnd-urgent")  # urgent no longer passes do-not-disturb
        await type_into(pilot, form, "#prefs-cap", "25")
        form.query_one("#prefs-digest", Select).value = Digest.DAILY.value
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Preferences saved" in str(log.notifications()), "saved")

        mine = await stored(api, agent)
        assert mine.source == "user"
        prefs = mine.preferences
        assert prefs.categories[Cat.ASSIGNMENT] == ChannelSwitches(email=True)
        assert prefs.categories[Cat.MESSAGE] == ChannelSwitches(desktop=False)
        assert prefs.categories[Cat.MENTION] == ChannelSwitches(sound=True)
        assert prefs.categories[Cat.SECURITY].email is True  # untouched, kept
        assert prefs.timezone == "America/New_York"
        assert prefs.quiet_hours == QuietHours(start=time(22), end=time(7, 30))
        # 18:00 on New York's clock in January (EST, UTC-5).
        assert prefs.dnd_until == datetime(2030, 1, 2, 23, 0, tzinfo=UTC)
        assert prefs.dnd_allow_urgent is False
        assert (prefs.per_minute_cap, prefs.digest) == (25, Digest.DAILY)
        await wait_until(pilot, lambda: form.query_one("#prefs-reset").display, "reset offered")

        # Reset: the daemon forgets them and the form shows the defaults again.
        await pilot.click("#prefs-reset")
        await wait_until(pilot, lambda: form.source == "default", "the defaults again")
        assert (await stored(api, agent)).source == "default"
        assert form.query_one("#prefs-zone", Input).value == "UTC"
        assert not [m for m in log.of(Notify) if m.notification.severity == "error"]


async def test_a_refusal_is_shown_under_its_field_without_a_traceback(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    log = MessageLog()
    app = daemon_console(api, agent, tmp_path)
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        form = await open_form(pilot)
        await type_into(pilot, form, "#prefs-zone", "Mars/Olympus")
        await type_into(pilot, form, "#prefs-cap", "0")
        await type_into(pilot, form, "#prefs-quiet-start", "25:00")
        await type_into(pilot, form, "#prefs-quiet-end", "07:00")
        await pilot.press("ctrl+s")

        def error(name: str) -> str:
            return str(form.query_one(f"#error-{name}", Static).render())

        await wait_until(pilot, lambda: "Mars/Olympus" in error("timezone"), "the zone's error")
        # The daemon's own sentences, under their fields; none under the others.
        assert error("timezone").startswith("unknown time zone 'Mars/Olympus'")
        assert error("per_minute_cap") == "Must be 1 or more"
        assert "time" in error("quiet_hours")
        assert form.query_one("#error-digest").display is False
        assert str(form.query_one("#prefs-zone-now", Static).render()) == "not a zone"
        toasts = log.of(Notify)
        assert [t.notification.title for t in toasts] == ["Not saved"]
        assert not any("Traceback" in t.notification.message for t in toasts)
        assert isinstance(app.screen, NotificationPreferencesScreen)  # the form stays open
    assert (await stored(api, agent)).source == "default"  # nothing was stored


async def test_an_admin_edits_the_tenants_defaults_in_the_same_form(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin, agent = tenant[Role.ADMIN], tenant[Role.AGENT]
    log = MessageLog()
    app = daemon_console(api, admin, tmp_path)
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        form = await open_form(pilot)
        assert form.query_one("#prefs-tenant").display is True
        form.query_one("#prefs-tenant", Checkbox).value = True
        await wait_until(pilot, lambda: form.loaded and form.source is None, "the defaults")
        await flip(pilot, form, Cat.GOAL, 1)  # goals: no toast
        form.query_one("#prefs-digest", Select).value = Digest.OFF.value
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Tenant defaults saved" in str(log.notifications()), "ok")

    resp = await api.get("/api/v1/notifications/settings", headers=admin.headers)
    settings = TenantNotificationSettings.model_validate(await resp.json())
    assert settings.defaults.digest is Digest.OFF
    assert settings.defaults.categories[Cat.GOAL].console is False
    assert settings.retention_days == 90  # sent back as read
    mine = await stored(api, agent)  # an agent without their own follows them
    assert (mine.source, mine.preferences.digest) == ("tenant", Digest.OFF)
    admins = await stored(api, admin)
    assert admins.source == "tenant"  # the admin's own were not touched


def test_do_not_disturb_is_read_on_the_users_clock() -> None:
    # 23:00 UTC is 18:00 in São Paulo: "18:00" is tomorrow's, "19:00" today's.
    now = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    assert dnd_instant("18:00", "America/Sao_Paulo", now) == "2026-12-06T18:00:00-03:00"
    assert dnd_instant("19:00", "America/Sao_Paulo", now) == "2026-12-05T19:00:00-03:00"
    # New York's spring-forward day keeps the wall-clock hour: 09:00 EDT.
    assert dnd_instant("2026-03-08 09:00", "America/New_York", now) == "2026-03-08T09:00:00-04:00"
    # What the form can't read goes as typed, for the daemon to refuse by name.
    assert dnd_instant("tomorrow", "UTC", now) == "tomorrow"
    assert dnd_instant("25:00", "UTC", now) == "25:00"
    assert dnd_instant(" ", "UTC", now) is None


def test_a_refusals_loc_names_the_forms_field() -> None:
    assert field_named("body.quiet_hours.start") == "quiet_hours"
    assert field_named("body.defaults.timezone") == "timezone"
    assert field_named("body.categories.sla.email") == "categories"
    assert field_named("body.retention_days") is None
    assert sentence("Value error, unknown time zone") == "unknown time zone"


async def test_the_palette_opens_the_form_from_anywhere(tmp_path: Path) -> None:
    app = notifications_app(tmp_path, NotificationsClient([]))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.me is not None, "the session")
        [command] = [
            c for c in app.get_system_commands(app.screen) if c.title == "Notification preferences"
        ]
        command.callback()
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, NotificationPreferencesScreen) and app.screen.loaded,
            "the form",
        )
        form = app.screen
        assert isinstance(form, NotificationPreferencesScreen)
        assert form.query_one("#prefs-zone", Input).value == "America/Sao_Paulo"
        assert form.query_one("#prefs-dnd", Input).value == "2025-03-14 12:00"  # São Paulo's
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is not form, "closed")
