"""The console's language: chosen from the profile, PYTAKE_LANG, the tenant and the locale, and
switched from Settings → Profile without a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Select
from textual.widgets._footer import FooterKey

from pytake_i18n import get_language
from pytake_tui.console_language import console_language
from pytake_tui.screens import SettingsScreen
from pytake_tui.widgets.key_footer import KeyFooter

from .chat_support import chat_ready, scripted_app
from .fake_daemon import alice
from .fake_world import demo_world
from .helpers import wait_until


def test_the_profile_wins_then_the_option_then_the_tenant_then_the_locale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    me = alice()
    assert console_language(me.model_copy(update={"language": "en"}), "pt_BR") == "en"
    assert console_language(me.model_copy(update={"tenant_language": "pt_BR"}), "en") == "en"
    assert console_language(me.model_copy(update={"tenant_language": "en"}), None) == "en"
    assert console_language(me, None) == "pt_BR"  # the system locale
    assert console_language(None, "en") == "en"  # the login form: no profile yet
    assert console_language(None, None) == "pt_BR"


def _settings(app: Any) -> SettingsScreen:
    screen = app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


def _footer_words(app: Any) -> set[str]:
    return {key.description for key in app.screen.query(FooterKey)}


async def test_switching_the_profile_language_changes_the_console_without_restart(
    tmp_path: Path,
) -> None:
    portuguese = alice().model_copy(update={"language": "pt_BR"})
    app = scripted_app(tmp_path, demo_world(), me=portuguese)
    async with app.run_test(size=(160, 48)) as pilot:
        await chat_ready(pilot, 4)
        assert get_language() == "pt_BR"
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen), "settings")
        before = _settings(app)
        assert str(before.query_one("#change-password", Button).label) == "Trocar senha"
        assert {"Sair", "Ajuda", "Conversas"} <= _footer_words(app)

        before.query_one("#language", Select).value = "en"

        def english() -> bool:
            screen = app.screen
            return (
                isinstance(screen, SettingsScreen)
                and screen is not before
                and str(screen.query_one("#change-password", Button).label) == "Change password"
            )

        await wait_until(pilot, english, "the settings again, in English")
        await pilot.pause()
        assert get_language() == "en"
        assert app.me is not None
        assert app.me.language == "en"
        assert {"Quit", "Help", "Chat"} <= _footer_words(app)
        assert "Sair" not in _footer_words(app)
        # The screens kept from before are built again in English when visited.
        await pilot.press("f2")
        chat = await chat_ready(pilot, 4)
        assert "Quit" in {label for _key, label in chat.query_one(KeyFooter).items()}


def _no_count() -> None:
    pass


async def test_the_title_is_written_again_at_the_switch_not_at_the_next_event(
    tmp_path: Path,
) -> None:
    portuguese = alice().model_copy(update={"language": "pt_BR"})
    app = scripted_app(tmp_path, demo_world(), me=portuguese)
    async with app.run_test(size=(160, 48)) as pilot:
        await chat_ready(pilot, 4)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen), "settings")
        await wait_until(pilot, lambda: app.title != "PyTake", "the first unread count")
        # No count from here on: only the switch itself may write the title again.
        await wait_until(pilot, lambda: app._unread_timer is None, "no count pending")
        # Replaced on this instance only, so no count can race the switch; mypy forbids
        # assigning to methods.
        app._schedule_unread_count = _no_count  # type: ignore[method-assign]
        app._count_unread = _no_count  # type: ignore[method-assign,assignment]
        app._show_unread(1234)  # as a stats answer would set it
        assert app.title == "PyTake (1.234)"
        _settings(app).query_one("#language", Select).value = "en"
        await wait_until(pilot, lambda: get_language() == "en", "the switch")
        await pilot.pause()
        assert app.title == "PyTake (1,234)"
