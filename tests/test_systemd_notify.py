"""sd_notify (pytake_daemon.systemd) against real datagram sockets, and the unit file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytake_daemon.systemd import SystemdNotifier, watchdog_pinger

UNIT_FILE = Path(__file__).resolve().parent.parent / "systemd" / "pytake-daemon.service"

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="AF_UNIX abstract names are Linux")


@pytest.fixture
def receiver() -> Iterator[tuple[socket.socket, str]]:
    """A bound datagram socket standing in for systemd, and its NOTIFY_SOCKET value."""
    # Not tmp_path: a socket path must fit in sun_path (108 bytes) and pytest's can be longer.
    with (
        tempfile.TemporaryDirectory(prefix="pytake-sd-") as directory,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock,
    ):
        path = os.path.join(directory, "notify")
        sock.bind(path)
        sock.settimeout(5)
        yield sock, path


@pytest.fixture
def notifier_for() -> Iterator[list[SystemdNotifier]]:
    """Notifiers to close after the test, so no socket is left for the GC to warn about."""
    notifiers: list[SystemdNotifier] = []
    yield notifiers
    for notifier in notifiers:
        notifier.close()


def make(notifiers: list[SystemdNotifier], environ: dict[str, str]) -> SystemdNotifier:
    notifier = SystemdNotifier.from_environment(environ)
    notifiers.append(notifier)
    return notifier


def test_ready_and_stopping_datagrams(
    receiver: tuple[socket.socket, str], notifier_for: list[SystemdNotifier]
) -> None:
    sock, path = receiver
    notifier = make(notifier_for, {"NOTIFY_SOCKET": path})
    assert notifier.enabled

    notifier.ready("x")
    assert sock.recv(4096) == b"READY=1\nSTATUS=x"
    notifier.stopping()
    assert sock.recv(4096) == b"STOPPING=1"


def test_ready_without_status_status_and_raw_notify(
    receiver: tuple[socket.socket, str], notifier_for: list[SystemdNotifier]
) -> None:
    sock, path = receiver
    notifier = make(notifier_for, {"NOTIFY_SOCKET": path})

    notifier.ready()
    assert sock.recv(4096) == b"READY=1"
    notifier.status("migrating\nstep 2")  # a newline must not start a new assignment
    assert sock.recv(4096) == b"STATUS=migrating step 2"
    assert notifier.notify("READY=1", "STATUS=serving on 127.0.0.1:8420") is True
    assert sock.recv(4096) == b"READY=1\nSTATUS=serving on 127.0.0.1:8420"


def test_socket_is_opened_once_and_reused(
    receiver: tuple[socket.socket, str], notifier_for: list[SystemdNotifier]
) -> None:
    sock, path = receiver
    notifier = make(notifier_for, {"NOTIFY_SOCKET": path})

    notifier.status("a")
    first = notifier._sock
    notifier.status("b")
    assert [sock.recv(4096), sock.recv(4096)] == [b"STATUS=a", b"STATUS=b"]
    assert first is not None
    assert notifier._sock is first


@linux_only
def test_abstract_namespace(notifier_for: list[SystemdNotifier]) -> None:
    name = f"pytake-test-{secrets.token_hex(8)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        notifier = make(notifier_for, {"NOTIFY_SOCKET": "@" + name})

        notifier.ready("abstract")
        assert sock.recv(4096) == b"READY=1\nSTATUS=abstract"


def test_without_notify_socket_is_a_no_op(notifier_for: list[SystemdNotifier]) -> None:
    notifier = make(notifier_for, {})
    assert not notifier.enabled
    assert notifier.notify("READY=1") is False
    notifier.ready("x")
    notifier.status("x")
    notifier.stopping()
    notifier.close()
    assert not make(notifier_for, {"NOTIFY_SOCKET": ""}).enabled


def test_default_environment_is_os_environ(
    monkeypatch: pytest.MonkeyPatch, notifier_for: list[SystemdNotifier]
) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = SystemdNotifier.from_environment()
    notifier_for.append(notifier)
    assert not notifier.enabled


def test_unsupported_address_disables(notifier_for: list[SystemdNotifier]) -> None:
    # systemd >= 254 may pass vsock addresses to VMs; this implementation doesn't speak them.
    assert not make(notifier_for, {"NOTIFY_SOCKET": "vsock:2:1234"}).enabled


def test_send_failure_returns_false(notifier_for: list[SystemdNotifier]) -> None:
    with tempfile.TemporaryDirectory(prefix="pytake-sd-") as directory:
        notifier = make(notifier_for, {"NOTIFY_SOCKET": os.path.join(directory, "absent")})
        assert notifier.enabled
        assert notifier.notify("READY=1") is False  # ENOENT, logged at debug
        notifier.ready("x")  # doesn't raise either


def test_close_disables(
    receiver: tuple[socket.socket, str], notifier_for: list[SystemdNotifier]
) -> None:
    sock, path = receiver
    notifier = make(notifier_for, {"NOTIFY_SOCKET": path})
    notifier.status("before")
    assert sock.recv(4096) == b"STATUS=before"

    notifier.close()
    assert not notifier.enabled
    assert notifier.notify("STATUS=after") is False
    notifier.close()  # idempotent


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WATCHDOG_USEC": "2000000"}, 1.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
        ({}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "me"}, None),
    ],
)
def test_watchdog_interval(
    notifier_for: list[SystemdNotifier], environ: dict[str, str], expected: float | None
) -> None:
    assert make(notifier_for, environ).watchdog_interval() == expected


async def test_watchdog_pinger_sends_pings(
    receiver: tuple[socket.socket, str], notifier_for: list[SystemdNotifier]
) -> None:
    sock, path = receiver
    sock.setblocking(False)  # loop.sock_recv needs a non-blocking socket
    notifier = make(notifier_for, {"NOTIFY_SOCKET": path})
    loop = asyncio.get_running_loop()

    task = asyncio.create_task(watchdog_pinger(notifier, 0.01))
    try:
        async with asyncio.timeout(5):
            assert await loop.sock_recv(sock, 4096) == b"WATCHDOG=1"
            assert await loop.sock_recv(sock, 4096) == b"WATCHDOG=1"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert task.cancelled()


async def test_watchdog_pinger_rejects_nonpositive_interval(
    notifier_for: list[SystemdNotifier],
) -> None:
    with pytest.raises(ValueError, match="positive"):
        await watchdog_pinger(make(notifier_for, {}), 0)


# systemd-analyze verify needs no running systemd: it loads the unit into a private, offline
# manager (this container's PID 1 isn't systemd and /run/systemd/system doesn't exist, and it
# works). What depends on the machine: the ExecStart= executable is checked for existence, so
# "/usr/local/bin/pytake is not executable" is expected where PyTake isn't installed there. The
# pytake user is not looked up by verify (systemd 252), but tolerate such a line in case a newer
# version does. Parse problems print "Unknown key/section", "Invalid ..." or "Failed to parse"
# and, unlike the missing executable, leave the exit status at 0 — so the lines are checked.
ENVIRONMENT_ONLY = re.compile(
    r"Command /usr/local/bin/pytake is not executable"
    r"|\b(user|group)\b.*['\"]?\bpytake\b(?!-daemon)",
    re.IGNORECASE,
)


def systemd_analyze_verify(unit: Path) -> subprocess.CompletedProcess[str]:
    # Skipped rather than failed only where systemd isn't installed at all (non-systemd distros,
    # macOS); pytest.importorskip doesn't apply to an executable.
    executable = shutil.which("systemd-analyze")
    if executable is None:
        pytest.skip("systemd-analyze is not installed")
    return subprocess.run(
        [executable, "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": "cat"},
    )


def test_unit_file_verifies() -> None:
    result = systemd_analyze_verify(UNIT_FILE)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    for line in lines:
        assert not re.search(r"Unknown (key|section)|Invalid|Failed to parse", line), line
    unexpected = [line for line in lines if not ENVIRONMENT_ONLY.search(line)]
    assert unexpected == []
    if not lines:
        assert result.returncode == 0


def test_unit_file_verifies_cleanly_with_an_existing_executable(tmp_path: Path) -> None:
    # The same unit with ExecStart= pointing at something that exists must be spotless.
    text = UNIT_FILE.read_text()
    assert "\nExecStart=/usr/local/bin/pytake daemon\n" in text
    unit = tmp_path / UNIT_FILE.name
    unit.write_text(text.replace("ExecStart=/usr/local/bin/pytake", f"ExecStart={sys.executable}"))

    result = systemd_analyze_verify(unit)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
