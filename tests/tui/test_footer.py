"""The footer is redrawn when the keys it shows change, and only then."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from pytake_tui.widgets.footer import Footer

from .helpers import wait_until


class _Search(Input):
    BINDINGS = [Binding("ctrl+f", "clear", "Clear search")]


class _Form(App[None]):
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+s", "save", "Save")]

    def compose(self) -> ComposeResult:
        yield Input(id="name")
        yield Input(id="email")
        yield _Search(id="search")
        yield Footer()


def _keys(app: _Form) -> list[FooterKey]:
    return list(app.query(FooterKey))


async def test_tabbing_between_inputs_keeps_the_keys_and_a_new_binding_redraws_them() -> None:
    app = _Form()
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: bool(_keys(app)), "the footer's keys")
        shown = _keys(app)
        assert [k.key for k in shown] == ["ctrl+s"]
        # Same keys: the same widgets, not mounted and styled again.
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not None
        assert app.focused.id == "email"
        assert _keys(app) == shown
        # The search box brings a key of its own: drawn.
        await pilot.press("tab")
        await wait_until(pilot, lambda: len(_keys(app)) == 2, "the search's key")
        assert [k.description for k in _keys(app)] == ["Clear search", "Save"]
        # And gone again when the focus leaves it.
        app.query_one("#name", Input).focus()
        await wait_until(pilot, lambda: len(_keys(app)) == 1, "the search's key gone")
