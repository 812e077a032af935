"""Admin → E-mail (SMTP) against the real daemon and a real SMTP server (aiosmtpd, the
notifications' fixture): a refusal shows under its field, the settings are saved with the
password write-only (never shown back, kept when left blank), and the test e-mail arrives."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, Static

from pytake_daemon.protocol import Role
from pytake_tui.screens.smtp_settings import SmtpSettingsScreen
from tests.conftest import ApiClient, MakeTenant
from tests.notifications.conftest import SmtpServer, smtp_server

from .admin_support import real_app, server_of, session_of, signed_in
from .helpers import click_button, wait_until

__all__ = ["smtp_server"]  # the fixture, imported for this module's test

DEADLINE = 30.0


def _text(screen: SmtpSettingsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _fill(screen: SmtpSettingsScreen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#field-{name}", Input).value = value


async def test_an_admin_sets_the_smtp_server_and_sends_a_test(
    api: ApiClient, make_tenant: MakeTenant, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    app = real_app(tmp_path, server_of(api), admin.token, admin.email)
    async with app.run_test(size=(160, 48)) as pilot:
        await signed_in(pilot)
        screen = SmtpSettingsScreen(client=session_of(app).client)
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.loaded == 1, "the settings read", DEADLINE)
        assert screen.saved is None
        assert _text(screen, "#smtp-saved") == "No SMTP server yet."

        # The daemon's refusals, each under its field; nothing saved.
        _fill(screen, host="smtp example", port="none", from_address="not-an-address")
        await click_button(pilot, "#smtp-save", DEADLINE)
        await wait_until(pilot, lambda: bool(_text(screen, "#error-port")), "refused", DEADLINE)
        assert "whole number" in _text(screen, "#error-port")
        assert _text(screen, "#error-host")
        assert _text(screen, "#error-from_address")
        assert (await api.get("/api/v1/notifications/smtp", headers=admin.headers)).status == 404

        _fill(
            screen, host="127.0.0.1", port=str(smtp_server.port), username="relay",
            password="s3cret-relay", from_address="atendimento@loja.test",
        )  # fmt: skip
        screen.query_one("#field-security", Select).value = "none"
        await click_button(pilot, "#smtp-save", DEADLINE)
        await wait_until(pilot, lambda: screen.saved is not None, "saved", DEADLINE)
        assert not _text(screen, "#error-port")
        assert screen.query_one("#field-password", Input).value == ""  # never shown back
        assert "password set" in _text(screen, "#smtp-saved")
        assert "s3cret" not in _text(screen, "#smtp-saved")

        # Saved again without the password: the stored one is kept.
        _fill(screen, username="")
        await click_button(pilot, "#smtp-save", DEADLINE)
        await wait_until(pilot, lambda: "no login" in _text(screen, "#smtp-saved"), "again")
        assert "password set" in _text(screen, "#smtp-saved")

        # The test e-mail: a bad address is refused under its field, then one arrives.
        _fill(screen, to="nobody")
        await click_button(pilot, "#smtp-test", DEADLINE)
        await wait_until(pilot, lambda: bool(_text(screen, "#error-to")), "the address refused")
        _fill(screen, to="dono@loja.test")
        await click_button(pilot, "#smtp-test", DEADLINE)
        await wait_until(
            pilot, lambda: _text(screen, "#smtp-tested").startswith("✓"), "the test sent", DEADLINE
        )
        assert "dono@loja.test" in _text(screen, "#smtp-tested")

    resp = await api.get("/api/v1/notifications/smtp", headers=admin.headers)
    saved = await resp.json()
    assert saved == {
        "host": "127.0.0.1", "port": smtp_server.port, "security": "none", "username": None,
        "password_set": True, "from_address": "atendimento@loja.test",
    }  # fmt: skip
    # Only the test e-mail goes to this address; the admins' own notices (a settings change
    # outside business hours, at some hours of the week) may go through the server too.
    (message,) = [m for m in smtp_server.messages() if m["To"] == "dono@loja.test"]
    assert message["From"].endswith("atendimento@loja.test")
