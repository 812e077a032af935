"""Desktop notifications: ``notify-send`` in a desktop session, else through the terminal: OSC
777 (rxvt, foot, WezTerm, Ghostty…) and OSC 9 (iTerm2, Windows Terminal, kitty), written
together because a terminal ignores the one it does not know. No Textual: the app writes the
sequence through its driver, or runs :meth:`DesktopNotices.send` in a worker."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import shutil
from collections.abc import Callable, Mapping

from pytake_daemon.protocol.notifications import NotificationSeverity

DESKTOP_SEVERITIES = frozenset({NotificationSeverity.URGENT, NotificationSeverity.WARNING})
"""What may reach the desktop (when the preferences' ``desktop`` channel says so)."""
MAX_FIELD = 120

# C0 and C1 controls and DEL: an ESC or BEL inside a field would end the sequence early and
# let a customer's text drive the user's terminal.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def clean(text: str) -> str:
    """One line without control characters; ``;`` becomes ``,``: it separates OSC 777's fields,
    and ConEmu and Windows Terminal read ``9;<digit>;`` as another OSC 9 command."""
    flat = " ".join(_CONTROLS.sub(" ", text).split()).replace(";", ",")
    return flat if len(flat) <= MAX_FIELD else flat[: MAX_FIELD - 1] + "…"


def desktop_sequence(title: str, body: str) -> str:
    """OSC 777 ``notify;title;body`` followed by OSC 9 ``title: body``, BEL-terminated."""
    head, text = clean(title), clean(body)
    nine = clean(f"{title}: {body}" if body else title)
    return f"\x1b]777;notify;{head};{text}\x07\x1b]9;{nine}\x07"


NOTIFY_SEND_SECONDS = 5.0
"""How long notify-send may take before it is killed (a hung D-Bus session must not pile up
processes; the console never waits for it anyway)."""

_log = logging.getLogger(__name__)


def plain(text: str) -> str:
    """One line without control characters, markup escaped: notification servers read a body's
    ``<b>`` and ``&amp;`` (the spec's body-markup), and a customer's ``<`` must stay a ``<``."""
    flat = " ".join(_CONTROLS.sub(" ", text).split())
    flat = flat if len(flat) <= MAX_FIELD else flat[: MAX_FIELD - 1] + "…"
    return html.escape(flat, quote=False)


class DesktopNotices:
    """How this console reaches the desktop: ``notify-send`` when it runs in a desktop session
    (``DISPLAY`` or ``WAYLAND_DISPLAY`` set and ``notify-send`` on ``PATH``), else the terminal's
    OSC 777 / OSC 9. Tests inject the environment and so choose the way, with a real process."""

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        which: Callable[..., str | None] = shutil.which,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._which = which

    def notify_send(self) -> str | None:
        """notify-send's path when there is a desktop session to show it, else None."""
        env = self._environ
        if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
            return None
        found: str | None = self._which("notify-send", path=env.get("PATH"))
        return found

    async def send(self, program: str, title: str, body: str, *, urgent: bool) -> bool:
        """Run notify-send; False (and a log line, never an exception) when it failed, so the
        caller can fall back to the terminal's escape sequence."""
        args = [program, "--app-name=PyTake", f"--urgency={'critical' if urgent else 'normal'}"]
        # "--": a title starting with "-" is text, not an option.
        args += ["--", " ".join(_CONTROLS.sub(" ", title).split())[:MAX_FIELD], plain(body)]
        try:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=dict(self._environ),
            )
        except OSError as error:
            _log.warning("notify-send could not start: %s", error)
            return False
        try:
            async with asyncio.timeout(NOTIFY_SEND_SECONDS):
                _, errors = await process.communicate()
        except TimeoutError:
            process.kill()
            await process.wait()
            _log.warning("notify-send took over %s s and was stopped", NOTIFY_SEND_SECONDS)
            return False
        if process.returncode != 0:
            said = errors.decode(errors="replace").strip()[:200]
            _log.warning("notify-send exited with %s: %s", process.returncode, said)
            return False
        return True
