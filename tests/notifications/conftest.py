"""A real SMTP server process (aiosmtpd, writing a Maildir) that tests stop and start again."""

from __future__ import annotations

import asyncio
import mailbox
import subprocess
import sys
from collections.abc import AsyncIterator
from email.message import Message
from pathlib import Path

import pytest

from tests.support import free_port

_READY_SECONDS = 10.0


class SmtpServer:
    def __init__(self, maildir: Path) -> None:
        self.port = free_port()
        self.maildir = maildir
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        # Ready when it answers a connection (polled with a deadline, as docs/testing.md asks).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _READY_SECONDS
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                assert loop.time() < deadline, "aiosmtpd did not start"
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return

    async def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            await asyncio.to_thread(self._process.wait, 10)
            self._process = None

    def messages(self) -> list[Message]:
        return list(mailbox.Maildir(self.maildir, create=False))


@pytest.fixture
async def smtp_server(tmp_path: Path) -> AsyncIterator[SmtpServer]:
    server = SmtpServer(tmp_path / "maildir")
    await server.start()
    yield server
    await server.stop()
