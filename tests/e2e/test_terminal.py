"""End to end through a real terminal: a real daemon process, ``pytake tui`` inside tmux, keys
typed as a user would, and the screen read back with ``capture-pane``."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytake_daemon.config import Settings
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.support import PASSWORD, daemon_env, free_port

TMUX = shutil.which("tmux")
READY_TIMEOUT = 60.0
"""A daemon's start (schema check, AI models, schedulers) took ~19 s on a loaded two-core
machine; a readiness poll's bound, not a wait."""


def wait_for(
    check: Callable[[], bool],
    what: str,
    timeout: float = 20.0,
    show: Callable[[], str] | None = None,
) -> None:
    """Poll ``check`` until it holds; a screen or a socket has no event to wait on."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            seen = f"; the screen was:\n{show()}" if show else ""
            raise AssertionError(f"timed out waiting for {what}{seen}")
        time.sleep(0.1)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@pytest.fixture
def daemon(settings: Settings, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "daemon.log").open("wb")
    env = daemon_env(settings, port=port)
    # A key prefix of its own: login throttling counts per address, and other tests' failed
    # logins from 127.0.0.1 must not throttle this one.
    env["PYTAKE_REDIS__KEY_PREFIX"] = f"pytake-e2e-{uuid.uuid4().hex[:8]}:"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pytake_cli.main import run; run()", "daemon"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_ok(f"{url}/readyz"), "the daemon to be ready", READY_TIMEOUT)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Terminal:
    """A tmux session of its own (its own server socket, so nothing else is touched)."""

    def __init__(self, tmp: Path) -> None:
        assert TMUX is not None, "tmux is required: scripts/bootstrap.sh installs it"
        self.socket = f"pytake-e2e-{uuid.uuid4().hex[:8]}"
        self.tmp = tmp

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        return subprocess.run(
            [TMUX, "-L", self.socket, *args], check=True, capture_output=True, text=True
        ).stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        self.tmux(
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "100",
            "-y",
            "30",
            f"env {exports} {' '.join(command)}",
        )

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        # "--": a literal that starts with "-" (a random password can) is text, not a flag.
        self.tmux("send-keys", "-t", "e2e", "-l", "--", text)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-t", "e2e", "-p")

    def cursor_row(self) -> int:
        """The terminal cursor's line: Textual puts it in the focused input, where a person
        sees which field their keys will go to."""
        return int(self.tmux("display", "-p", "-t", "e2e", "#{cursor_y}"))

    def diagnostics(self, directory: Path) -> str:
        """What the console in the pane was doing (pytake_tui/diagnostics.py, when started
        with ``PYTAKE_TUI_DIAGNOSTICS=directory``): its threads' stacks and its app state."""
        pid = int(self.tmux("display", "-p", "-t", "e2e", "#{pane_pid}"))
        found = []
        for sig, name in ((signal.SIGUSR1, "stacks.txt"), (signal.SIGUSR2, "state.txt")):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return f"(the console, pid {pid}, has exited)"
            path = directory / name
            # Written from a signal handler: read once it is there and has stopped growing.
            deadline = time.monotonic() + 5.0
            size = -1
            while time.monotonic() < deadline:
                time.sleep(0.2)
                now = path.stat().st_size if path.exists() else 0
                if now and now == size:
                    break
                size = now
            found.append(f"--- {name}\n{path.read_text() if path.exists() else '(not written)'}")
        return "\n".join(found)

    def close(self) -> None:
        subprocess.run([TMUX or "tmux", "-L", self.socket, "kill-server"], check=False)


async def test_login_in_a_real_terminal_shows_connected(
    daemon: str, make_tenant: MakeTenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    term = Terminal(tmp_path)
    config_home = tmp_path / "config"
    try:
        term.start(
            [
                sys.executable,
                "-c",
                "'from pytake_cli.main import run; run()'",
                "tui",
                "--server",
                daemon,
            ],
            {
                "XDG_CONFIG_HOME": str(config_home),
                "TERM": "xterm-256color",
                "PATH": os.environ.get("PATH", ""),
                # The words the test reads are English whatever the machine's locale.
                "PYTAKE_LANG": "en",
            },
        )
        wait_for(lambda: "Log in to PyTake" in term.screen(), "the login screen", show=term.screen)
        # The server field comes prefilled and the e-mail field has focus. The whole login in
        # one burst, as a fast typist or a password manager sends it: the terminal hands the
        # app e-mail, Tab, password and Enter in one read, and each must land where it was
        # meant (the Tab used to move the focus only after the password had gone into the
        # e-mail field: issue 17).
        term.type(f"{agent.email}\t{PASSWORD}\r")
        wait_for(lambda: "Pick a conversation" in term.screen(), "the chat", show=term.screen)
        wait_for(lambda: "connected" in term.screen().splitlines()[0], "'connected' in the header")
        term.keys("F3")  # the activity screen
        # The screen is read while the terminal may still be painting it: wait for the whole
        # picture (who, and the stream's hello, worded "stream opened as agent") rather than
        # judging one capture.
        hello = "stream opened as agent"
        wait_for(
            lambda: all(
                part in term.screen() for part in ("Signed in as", f"({Role.AGENT.value})", hello)
            ),
            "the activity with the agent and the stream's hello",
            show=term.screen,
        )
        # The session token was saved for next time, readable by the user only.
        saved = config_home / "pytake" / "credentials.json"
        assert saved.exists()
        assert saved.stat().st_mode & 0o777 == 0o600
        term.keys("C-q")
        wait_for(lambda: "e2e" not in _sessions(term), "the TUI to exit", timeout=10)
    finally:
        term.close()


def _sessions(term: Terminal) -> str:
    result = subprocess.run(
        [TMUX or "tmux", "-L", term.socket, "list-sessions"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout


def test_a_console_asked_what_it_is_doing_writes_its_stacks_and_state(tmp_path: Path) -> None:
    """pytake_tui/diagnostics.py: with PYTAKE_TUI_DIAGNOSTICS set, SIGUSR1 writes the threads'
    stacks and SIGUSR2 the app's screens, focus and tasks, and the terminal is left alone."""
    term = Terminal(tmp_path)
    diagnostics = tmp_path / "diagnostics"
    try:
        term.start(
            [sys.executable, "-c", "'from pytake_cli.main import run; run()'", "tui"],
            {
                "XDG_CONFIG_HOME": str(tmp_path / "config"),
                "TERM": "xterm-256color",
                "PATH": os.environ.get("PATH", ""),
                "PYTAKE_LANG": "en",
                "PYTAKE_TUI_DIAGNOSTICS": str(diagnostics),
            },
        )
        # No daemon: the login form is drawn all the same, and has the focus.
        wait_for(lambda: "Log in to PyTake" in term.screen(), "the login screen", show=term.screen)
        before = term.screen()
        report = term.diagnostics(diagnostics)
        assert "Current thread" in report or "Thread 0x" in report, report
        assert "screens=[" in report, report
        assert "LoginScreen" in report, report
        assert "focused=Input(" in report, report
        assert "focused value: 0 characters" in report, report  # the e-mail, still empty
        assert "tasks=" in report, report
        assert "Log in to PyTake" in term.screen(), before
    finally:
        term.close()
