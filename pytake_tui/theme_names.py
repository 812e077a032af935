"""The theme list (``ctrl+p`` → Theme) with names a person reads, in the console's language.

Textual's ``ThemeProvider`` lists each theme by its identifier (``textual-dark``,
``rose-pine-moon``). This provider, built on Textual's public ``Provider``, lists the same themes
and sets the same ``App.theme``, by name: the proper names (Nord, Dracula) as their authors
write them, the light and dark variants worded from the catalog. A theme this table does not
know (a newer Textual's) is listed by its identifier.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from pytake_tui.i18n import N_, _

_NAMES = {
    "textual-dark": N_("Textual dark"),
    "textual-light": N_("Textual light"),
    "solarized-dark": N_("Solarized dark"),
    "solarized-light": N_("Solarized light"),
    "catppuccin-latte": "Catppuccin Latte",
    "catppuccin-mocha": "Catppuccin Mocha",
    "nord": "Nord",
    "gruvbox": "Gruvbox",
    "dracula": "Dracula",
    "tokyo-night": "Tokyo Night",
    "monokai": "Monokai",
    "flexoki": "Flexoki",
    "rose-pine": "Rosé Pine",
    "rose-pine-moon": "Rosé Pine Moon",
    "rose-pine-dawn": "Rosé Pine Dawn",
}
# Translated: the words of the variants; the proper names are said as written.
_WORDED = {"textual-dark", "textual-light", "solarized-dark", "solarized-light"}


def theme_name(theme: str) -> str:
    """A theme's name for the reader; its identifier when the table does not know it."""
    name = _NAMES.get(theme)
    if name is None:
        return theme
    return _(name) if theme in _WORDED else name


class ThemeNames(Provider):
    """Textual's themes by their names; choosing one sets ``App.theme`` as Textual's list does."""

    @property
    def commands(self) -> list[tuple[str, Callable[[], None]]]:
        def choose(theme: str) -> None:
            self.app.theme = theme

        return [
            (theme_name(theme), partial(choose, theme))
            for theme in self.app.available_themes
            if theme != "textual-ansi"  # Textual's own list leaves it out too
        ]

    async def discover(self) -> Hits:
        for name, callback in self.commands:
            yield DiscoveryHit(name, callback)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback in self.commands:
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), callback)
