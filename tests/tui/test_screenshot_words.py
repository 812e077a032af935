"""The screenshot notice in the console's language (issue 22): Textual's "Saved screenshot to …"
was English; the console delivers under its own name and says the outcome from its catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytake_i18n import use_language
from pytake_tui.screenshot_words import ScreenshotWords
from tests.tui.helpers import MessageLog, wait_until


class _App(ScreenshotWords):
    TITLE = "PyTake"


@pytest.mark.parametrize(
    ("language", "saved"),
    [("en", "Screenshot: Screenshot saved to "), ("pt_BR", "Captura de tela: Captura salva em ")],
)
async def test_the_screenshot_notice_is_in_the_console_language(
    tmp_path: Path, language: str, saved: str
) -> None:
    log = MessageLog()
    with use_language(language):
        app = _App()
        async with app.run_test(message_hook=log) as pilot:
            app.action_screenshot(filename="shot.svg", path=str(tmp_path))
            await wait_until(pilot, lambda: bool(log.notifications()), "the notice")
    [notice] = log.notifications()
    assert notice == f"{saved}{tmp_path / 'shot.svg'}"
    assert (tmp_path / "shot.svg").read_text(encoding="utf-8").startswith("<svg")
    assert "Saved screenshot" not in notice
