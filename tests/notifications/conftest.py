"""A real SMTP server process (aiosmtpd, writing a Maildir) that tests stop and start again."""

from __future__ import annotations

import asyncio
import mailbox
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support import free_port

_READY_SECONDS = 10.0


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for ``localhost`` (its own CA) and its key, for a STARTTLS server."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class SmtpServer:
    def __init__(self, maildir: Path, tls: tuple[Path, Path] | None = None) -> None:
        self.port = free_port()
        self.maildir = maildir
        self.tls = tls
        """(certificate, key): the server offers STARTTLS and requires it."""
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        tls = ["--tlscert", str(self.tls[0]), "--tlskey", str(self.tls[1])] if self.tls else []
        self._process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}", *tls,
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


@pytest.fixture
async def starttls_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SmtpServer]:
    """A server that requires STARTTLS with a certificate this test's process trusts (OpenSSL
    reads ``SSL_CERT_FILE`` each time a default context loads its CAs)."""
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server = SmtpServer(tmp_path / "tls-maildir", tls=(cert, key))
    await server.start()
    yield server
    await server.stop()
