"""Textual's own words on the command palette, in the console's language: "No matches found",
the theme list's search field and its theme names; Textual's English-only "Keys" panel is not
offered ("Help" is)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandInput, CommandList, CommandPalette

from pytake_i18n import set_language
from pytake_tui import build_app
from pytake_tui.i18n import _
from pytake_tui.key_guide import Palette

from .helpers import wait_until


def _no_matches(palette: CommandPalette) -> str | None:
    options = palette.query_one(CommandList)
    for index in range(options.option_count):
        option = options.get_option_at_index(index)
        if option.id == palette._NO_MATCHES:
            # The no-matches option's prompt is a Static-like renderable holder (Textual types
            # it as a union including str).
            return str(option.prompt.renderable)  # type: ignore[union-attr]
    return None


@pytest.mark.parametrize(
    ("language", "nothing", "themes", "dark"),
    [
        ("en", "No matches found", "Search for themes…", "Textual dark"),
        ("pt_BR", "Nada encontrado", "Buscar temas…", "Textual escuro"),
    ],
)
async def test_the_palettes_own_words(
    tmp_path: Path, language: str, nothing: str, themes: str, dark: str
) -> None:
    app = build_app(server="http://127.0.0.1:9", credentials_path=tmp_path / "c.json")
    async with app.run_test(size=(120, 40)) as pilot:
        set_language(language)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Keys" not in titles
        assert "Teclas" not in titles
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, Palette), "the palette")
        palette = app.screen
        assert isinstance(palette, Palette)
        await pilot.press(*"zzqqx")
        await wait_until(pilot, lambda: _no_matches(palette) is not None, "no matches", 5)
        assert _no_matches(palette) == nothing
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is not palette, "the palette closed")
        theme = next(c for c in app.get_system_commands(app.screen) if c.title == _("Theme"))
        theme.callback()
        await wait_until(pilot, lambda: bool(app.screen.query(CommandInput)), "the theme list")
        assert isinstance(app.screen, Palette)
        assert app.screen.query_one(CommandInput).placeholder == themes
        # The themes by name, the variants worded (Textual lists "textual-dark").
        listed = app.screen.query_one(CommandList)

        def names() -> list[str]:
            return [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]

        await pilot.press(*"textual")
        await wait_until(pilot, lambda: dark in names(), "the theme by its name", 5)
        assert not any("textual-" in name for name in names()), names()
