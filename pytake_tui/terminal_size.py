"""The console's size is its terminal's, not what the environment says.

Textual measures the terminal with :func:`shutil.get_terminal_size`, which prefers ``COLUMNS`` and
``LINES`` when they are set, and reads them again on every resize. A parent process that set
them for itself (GNU readline exports both when it starts, 80x24 when it has no terminal; some
shells and scripts export them) made the console draw in an 80x24 corner of a 160x48 tmux window
and never follow a resize: fields below row 24 were out of sight, so Tab seemed to lead nowhere
(issue 19's walk-through; tests/e2e/test_wizard_terminal.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping


def forget_inherited_size(
    environ: MutableMapping[str, str] | None = None, *, is_terminal: bool | None = None
) -> list[str]:
    """Drop ``COLUMNS`` and ``LINES`` when the console draws on a terminal (the terminal knows
    its size); the names dropped. Output that is no terminal keeps them (they are all it has)."""
    env = os.environ if environ is None else environ
    if is_terminal is None:
        stream = sys.__stdout__
        is_terminal = stream is not None and stream.isatty()
    if not is_terminal:
        return []
    return [name for name in ("COLUMNS", "LINES") if env.pop(name, None) is not None]
