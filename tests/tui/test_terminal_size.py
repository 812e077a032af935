"""The console forgets an inherited COLUMNS/LINES on a terminal (they froze it at 80x24 in a
160x48 tmux window: tests/e2e/test_wizard_terminal.py shows it end to end)."""

from __future__ import annotations

from pytake_tui.terminal_size import forget_inherited_size


def test_a_terminal_drops_the_inherited_size() -> None:
    env = {"COLUMNS": "80", "LINES": "24", "TERM": "xterm"}
    assert forget_inherited_size(env, is_terminal=True) == ["COLUMNS", "LINES"]
    assert env == {"TERM": "xterm"}


def test_output_that_is_no_terminal_keeps_them() -> None:
    env = {"COLUMNS": "80", "LINES": "24"}
    assert forget_inherited_size(env, is_terminal=False) == []
    assert env == {"COLUMNS": "80", "LINES": "24"}
