"""Preferences (N4): quiet hours on the user's wall clock across midnight and a DST change,
do-not-disturb with its urgent exception, per-category switches, digests — every decision at a
pinned instant — and the API that stores them (the user's, else the tenant's defaults)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from pytake_daemon.notifications.preferences import (
    delivery,
    digest_due,
    effective,
    email_mode,
    in_quiet_hours,
)
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.notifications import (
    ChannelSwitches,
    Digest,
    Preferences,
    PreferencesOut,
    QuietHours,
)
from pytake_daemon.protocol.notifications import NotificationCategory as Cat
from pytake_daemon.protocol.notifications import NotificationSeverity as Sev
from tests.conftest import ApiClient, MakeTenant

NIGHT = QuietHours(start=time(22, 0), end=time(7, 0))
NY = "America/New_York"  # DST began 2026-03-08 at 02:00 local (EST, UTC-5, then EDT, UTC-4)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "zone", "quiet"),
    [
        (utc(2026, 3, 7, 2, 59), NY, False),  # 21:59 EST
        (utc(2026, 3, 7, 3, 0), NY, True),  # 22:00 EST
        (utc(2026, 3, 7, 4, 59), NY, True),  # 23:59, before midnight
        (utc(2026, 3, 7, 5, 1), NY, True),  # 00:01, after midnight
        (utc(2026, 3, 7, 11, 59), NY, True),  # 06:59 EST
        (utc(2026, 3, 7, 12, 0), NY, False),  # 07:00 EST: over
        # The same UTC time a day later is an hour later on the wall clock (EDT).
        (utc(2026, 3, 8, 11, 30), NY, False),  # 07:30 EDT
        (utc(2026, 3, 7, 11, 30), NY, True),  # 06:30 EST
        (utc(2026, 3, 8, 2, 30), NY, False),  # 21:30 EST on the 7th
        (utc(2026, 3, 8, 7, 30), NY, True),  # 03:30 EDT: the night the clocks went forward
        (utc(2026, 3, 7, 11, 30), "Europe/Lisbon", False),  # 11:30 in Lisbon
    ],
)
def test_quiet_hours_are_read_on_the_users_wall_clock(
    instant: datetime, zone: str, quiet: bool
) -> None:
    assert in_quiet_hours(NIGHT, zone, instant) is quiet


def test_quiet_hours_and_do_not_disturb_let_only_urgent_ones_through() -> None:
    at_night = utc(2026, 3, 8, 5, 0)  # 01:00 EDT
    prefs = Preferences(timezone=NY, quiet_hours=NIGHT)
    assert delivery(prefs, Cat.ASSIGNMENT, Sev.WARNING, at_night).console is False
    urgent = delivery(prefs, Cat.AI_ALERT, Sev.URGENT, at_night)
    assert (urgent.console, urgent.desktop) == (True, True)
    daytime = utc(2026, 3, 8, 15, 0)
    assert delivery(prefs, Cat.ASSIGNMENT, Sev.INFO, daytime).console is True

    dnd = Preferences(dnd_until=daytime + timedelta(hours=1))
    assert delivery(dnd, Cat.MENTION, Sev.WARNING, daytime).desktop is False
    assert delivery(dnd, Cat.MENTION, Sev.URGENT, daytime).desktop is True
    strict = dnd.model_copy(update={"dnd_allow_urgent": False})
    assert delivery(strict, Cat.MENTION, Sev.URGENT, daytime).desktop is False
    # Do-not-disturb ends at its end time.
    assert delivery(dnd, Cat.MENTION, Sev.INFO, daytime + timedelta(hours=1)).desktop is True

    quiet_category = Preferences(
        categories={Cat.MESSAGE: ChannelSwitches(console=False, sound=True)}
    )
    shown = delivery(quiet_category, Cat.MESSAGE, Sev.INFO, daytime)
    assert (shown.console, shown.desktop, shown.sound) == (False, True, True)


def test_email_mode_and_digests_due_by_the_users_clock() -> None:
    hourly = Preferences(categories={Cat.MENTION: ChannelSwitches(email=True)})
    assert email_mode(hourly, Cat.MENTION, Sev.INFO) == ("pending", True)
    assert email_mode(hourly, Cat.MENTION, Sev.URGENT) == ("pending", False)
    assert email_mode(hourly, Cat.ASSIGNMENT, Sev.INFO) == ("none", False)
    off = hourly.model_copy(update={"digest": Digest.OFF})
    assert email_mode(off, Cat.MENTION, Sev.URGENT) == ("none", False)

    t = utc(2026, 3, 8, 12, 0)
    assert digest_due(hourly, None, t)
    assert not digest_due(hourly, t - timedelta(minutes=59), t)
    assert digest_due(hourly, t - timedelta(hours=1), t)

    daily = Preferences(timezone=NY, digest=Digest.DAILY)
    # 08:00 local is 13:00 UTC before the change and 12:00 UTC after it.
    assert not digest_due(daily, utc(2026, 3, 6, 13, 0), utc(2026, 3, 7, 12, 59))  # 07:59 EST
    assert digest_due(daily, utc(2026, 3, 6, 13, 0), utc(2026, 3, 7, 13, 0))  # 08:00 EST
    assert digest_due(daily, utc(2026, 3, 7, 13, 0), utc(2026, 3, 8, 12, 0))  # 08:00 EDT
    assert not digest_due(daily, utc(2026, 3, 8, 12, 0), utc(2026, 3, 8, 23, 0))  # same day
    assert digest_due(daily, utc(2026, 3, 8, 12, 0), utc(2026, 3, 9, 12, 0))


def test_a_user_without_a_category_follows_the_tenants_switch_for_it() -> None:
    tenant = Preferences(
        categories={Cat.GOAL: ChannelSwitches(console=False)}, per_minute_cap=5
    ).model_dump(mode="json")
    mine = Preferences(categories={Cat.MENTION: ChannelSwitches(sound=True)}).model_dump(
        mode="json"
    )
    prefs, source = effective(mine, tenant)
    assert source == "user"
    assert prefs.categories[Cat.GOAL].console is False
    assert prefs.categories[Cat.MENTION].sound is True
    assert effective(None, tenant)[0].per_minute_cap == 5
    assert effective(None, None)[1] == "default"


async def test_preferences_are_stored_per_user_over_the_tenants_defaults(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    agent, admin = tenant[Role.AGENT], tenant[Role.ADMIN]
    base = "/api/v1/notifications"

    async def mine() -> PreferencesOut:
        resp = await api.get(f"{base}/preferences", headers=agent.headers)
        assert resp.status == 200, await resp.text()
        return PreferencesOut.model_validate(await resp.json())

    first = await mine()
    assert first.source == "default"
    # Every category spelled out, ours where nobody chose: what the console's form shows.
    assert set(first.preferences.categories) == set(Cat)
    assert first.preferences.categories[Cat.SECURITY].email is True
    assert first.preferences.categories[Cat.MESSAGE].email is False
    resp = await api.put(
        f"{base}/settings",
        json={"defaults": {"digest": "daily", "timezone": "Europe/Lisbon"}, "retention_days": 30},
        headers=admin.headers,
    )
    assert resp.status == 200, await resp.text()
    assert ((await mine()).source, (await mine()).preferences.digest) == ("tenant", "daily")
    body = {
        "timezone": NY,
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "dnd_until": "2026-12-05T18:00:00Z",
        "per_minute_cap": 12,
        "digest": "immediate",
        "categories": {
            "message": {"console": True, "desktop": False, "email": False, "sound": True}
        },
    }
    resp = await api.put(f"{base}/preferences", json=body, headers=agent.headers)
    assert resp.status == 200, await resp.text()
    stored = await mine()
    assert stored.source == "user"
    assert (stored.preferences.quiet_hours, stored.preferences.per_minute_cap) == (NIGHT, 12)
    assert stored.preferences.categories[Cat.MESSAGE].desktop is False
    # Another user of the tenant still has the defaults.
    resp = await api.get(f"{base}/preferences", headers=tenant[Role.SUPERVISOR].headers)
    assert PreferencesOut.model_validate(await resp.json()).source == "tenant"
    resp = await api.delete(f"{base}/preferences", headers=agent.headers)
    assert resp.status == 204
    assert (await mine()).source == "tenant"
