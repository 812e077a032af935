"""Readiness, status and watchdog notifications to systemd (``Type=notify`` units).

The sd_notify protocol is one datagram of newline-separated ``KEY=value`` fields sent to the
``AF_UNIX``/``SOCK_DGRAM`` socket named by ``$NOTIFY_SOCKET``; a leading ``@`` names a socket in
Linux's abstract namespace. It's small enough to write here: the library options are either
unmaintained (``sdnotify``) or need the libsystemd headers and a compiler to install
(``systemd-python``).

Outside systemd (no ``$NOTIFY_SOCKET``) the notifier is a no-op, so callers never need to check.
Sending never raises: a lost notification must not take the daemon down.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping

logger = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends sd_notify datagrams over one socket, opened on first use and reused."""

    def __init__(
        self,
        address: str | None,
        *,
        watchdog_usec: str | None = None,
        watchdog_pid: str | None = None,
    ) -> None:
        # ``address`` is the value of $NOTIFY_SOCKET; None disables the notifier.
        self._address = address
        self._watchdog_usec = watchdog_usec
        self._watchdog_pid = watchdog_pid
        self._sock: socket.socket | None = None
        self._closed = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> SystemdNotifier:
        """A notifier for ``$NOTIFY_SOCKET``, or a disabled one when it's unset or unusable."""
        address = environ.get("NOTIFY_SOCKET") or None
        # Only filesystem paths and abstract names; newer systemd also allows ``vsock:`` addresses
        # (for VMs), which a daemon on the host never gets.
        if address is not None and not address.startswith(("/", "@")):
            logger.debug("ignoring unsupported NOTIFY_SOCKET %r", address)
            address = None
        return cls(
            address,
            watchdog_usec=environ.get("WATCHDOG_USEC"),
            watchdog_pid=environ.get("WATCHDOG_PID"),
        )

    @property
    def enabled(self) -> bool:
        return self._address is not None and not self._closed

    def notify(self, *fields: str) -> bool:
        """Send ``fields`` (``"READY=1"``, ``"STATUS=..."``) as one datagram; True if sent."""
        if self._address is None or self._closed or not fields:
            return False
        address = "\0" + self._address[1:] if self._address.startswith("@") else self._address
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                # Never stall the event loop: if systemd's queue is full the send fails instead.
                self._sock.setblocking(False)
            self._sock.sendto("\n".join(fields).encode(), address)
        except OSError as exc:
            logger.debug("sd_notify to %r failed: %s", self._address, exc)
            return False
        return True

    def ready(self, status: str | None = None) -> None:
        """Startup finished: systemd considers the unit started (``READY=1``)."""
        if status is None:
            self.notify("READY=1")
        else:
            self.notify("READY=1", _status_field(status))

    def stopping(self) -> None:
        """Shutdown began (``STOPPING=1``)."""
        self.notify("STOPPING=1")

    def status(self, text: str) -> None:
        """A one-line status shown by ``systemctl status``."""
        self.notify(_status_field(text))

    def watchdog_interval(self) -> float | None:
        """Seconds between ``WATCHDOG=1`` pings, half of ``WatchdogSec=``; None without a watchdog.

        Like ``sd_watchdog_enabled()``: ``$WATCHDOG_USEC`` must be a positive integer, and when
        ``$WATCHDOG_PID`` is set it must be this process (children inherit the variables).
        """
        if self._watchdog_usec is None:
            return None
        try:
            usec = int(self._watchdog_usec)
            pid = int(self._watchdog_pid) if self._watchdog_pid is not None else None
        except ValueError:
            return None
        if usec <= 0 or (pid is not None and pid != os.getpid()):
            return None
        return usec / 2 / 1_000_000

    def close(self) -> None:
        """Close the socket; later notifications are dropped."""
        self._closed = True
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _status_field(text: str) -> str:
    # A newline would end the field and let the rest be read as another assignment.
    return "STATUS=" + " ".join(text.splitlines())


async def watchdog_pinger(notifier: SystemdNotifier, interval: float) -> None:
    """Send ``WATCHDOG=1`` every ``interval`` seconds until cancelled."""
    if interval <= 0:
        raise ValueError(f"watchdog interval must be positive, got {interval}")
    while True:
        notifier.notify("WATCHDOG=1")
        # A timer, not synchronisation: the pings only need to arrive often enough.
        await asyncio.sleep(interval)
