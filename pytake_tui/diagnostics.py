"""What a running console is doing, on request: for a console that stops taking keys.

With ``PYTAKE_TUI_DIAGNOSTICS`` naming a directory, ``kill -USR1 PID`` writes every thread's
stack to ``stacks.txt`` there (faulthandler, from C: it works even while the event loop is stuck
in a call that never returns), and ``kill -USR2 PID`` writes the app's state to ``state.txt``:
the screens, which widget has the focus and whether the terminal has, what is disabled on the
way to it, and the event loop's tasks with where each waits. Nothing is written to the terminal,
which the console owns. Without the variable, nothing is installed.
"""

from __future__ import annotations

import asyncio
import faulthandler
import io
import os
import signal
from pathlib import Path
from types import FrameType
from typing import IO, Any

from textual.app import App
from textual.dom import DOMNode
from textual.widget import Widget

ENV = "PYTAKE_TUI_DIAGNOSTICS"


def install(app: App[Any]) -> None:
    """Register the two signals if ``PYTAKE_TUI_DIAGNOSTICS`` is set (call before ``run``)."""
    directory = os.environ.get(ENV)
    if not directory:
        return
    where = Path(directory)
    where.mkdir(parents=True, exist_ok=True)
    # Kept open for the process's life: faulthandler writes to its descriptor from C.
    stacks: IO[str] = open(where / "stacks.txt", "w", encoding="utf-8")  # noqa: SIM115
    faulthandler.register(signal.SIGUSR1, file=stacks, all_threads=True)

    def on_usr2(_signum: int, _frame: FrameType | None) -> None:
        (where / "state.txt").write_text(describe(app), encoding="utf-8")

    signal.signal(signal.SIGUSR2, on_usr2)


def describe(app: App[Any]) -> str:
    """The app's screens, focus and tasks, as text."""
    out = io.StringIO()
    screens = [type(s).__name__ for s in app.screen_stack]
    out.write(f"app_focus={app.app_focus} screens={screens}\n")
    out.write(f"focused={app.screen.focused!r}, and its ancestors:\n")
    value = getattr(app.screen.focused, "value", None)
    if isinstance(value, str):
        # The length only: the focused field may hold a password. A length the screen doesn't
        # show says the keys arrived and the drawing is what stopped.
        out.write(f"focused value: {len(value)} characters\n")
    # Screen updates waiting to be drawn (Textual's own bookkeeping; absent in other versions).
    dirty = getattr(app.screen, "_dirty_widgets", None)
    out.write(f"screen widgets waiting to be drawn: {len(dirty) if dirty is not None else '?'}\n")
    node: DOMNode | None = app.screen.focused
    while node is not None:
        disabled = node.disabled if isinstance(node, Widget) else None
        out.write(f"  {node!r} disabled={disabled} display={node.display}\n")
        node = node.parent
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:
        tasks = set()
    out.write(f"tasks={len(tasks)}\n")
    for task in sorted(tasks, key=lambda t: t.get_name()):
        out.write(f"- {task.get_name()}: {task.get_coro()!r}\n")
        for frame in task.get_stack(limit=3):
            out.write(f"    {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}\n")
    return out.getvalue()
