"""Tab and shift+Tab in the admin forms as a terminal delivers them in one read (a paste, a fast
typist, tmux's ``send-keys "host" Tab "2525"``): each piece of text lands in the field the keys
before it lead to (issue 19 walkthrough: it went into the field the Tab left, as on the login
form before issue 17). Against the real daemon: what it stores is what was meant."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import Input

from pytake_daemon.protocol import Role
from pytake_tui.screens.smtp_settings import SmtpSettingsScreen
from tests.conftest import ApiClient, MakeTenant

from .admin_support import real_app, server_of, session_of, signed_in
from .helpers import wait_until

DEADLINE = 30.0
NAMES = {".": "full_stop", "@": "at"}


def burst(*pieces: str) -> list[events.Key]:
    """Key events for text and named keys ("⇥" Tab, "⇤" shift+Tab), as one read delivers them."""
    keys: list[events.Key] = []
    for piece in pieces:
        if piece == "⇥":
            keys.append(events.Key("tab", "\t"))
        elif piece == "⇤":
            keys.append(events.Key("shift+tab", None))
        else:
            keys += [events.Key(c if c.isalnum() else NAMES[c], c) for c in piece]
    return keys


async def test_a_burst_with_tabs_fills_each_field(
    api: ApiClient, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    app = real_app(tmp_path, server_of(api), admin.token, admin.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        screen = SmtpSettingsScreen(client=session_of(app).client)
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.loaded == 1, "the settings read", DEADLINE)
        # host ⇥ port ⇥ (security) ⇥ user ⇥ password ⇥ from, then back twice to the user.
        keys = burst("mail.loja.test", "⇥", "2525", "⇥", "⇥", "relay", "⇥", "pw", "⇥",
                     "a@loja.test", "⇤", "⇤", "x")  # fmt: skip
        for key in keys:  # posted without a pause between: one read's worth
            app.post_message(key)
        await wait_until(pilot, lambda: screen.focused is not None
                         and screen.focused.id == "field-username", "the focus back")  # fmt: skip
        await pilot.pause()
        values = {name: screen.query_one(f"#field-{name}", Input).value
                  for name in ("host", "port", "username", "password", "from_address")}  # fmt: skip
        # A field gets the text after the Tab that led to it (its old text selected, replaced).
        assert values == {"host": "mail.loja.test", "port": "2525", "username": "x",
                          "password": "pw", "from_address": "a@loja.test"}  # fmt: skip
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.saved is not None, "saved", DEADLINE)
    resp = await api.get("/api/v1/notifications/smtp", headers=admin.headers)
    assert await resp.json() == {
        "host": "mail.loja.test", "port": 2525, "security": "starttls", "username": "x",
        "password_set": True, "from_address": "a@loja.test",
    }  # fmt: skip
