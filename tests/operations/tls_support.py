"""A self-signed certificate and a real nginx running docs/nginx-pytake.conf in a tmp prefix."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

START_TIMEOUT = 15.0


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """A client that trusts only this certificate (hostname checked: ``localhost``)."""
        return ssl.create_default_context(cafile=str(self.cert))


def self_signed(directory: Path, *, name: str = "localhost") -> Certificate:
    """An ECDSA certificate for ``name`` and 127.0.0.1, valid from yesterday for a week."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return Certificate(cert_path, key_path)


def nginx_binary() -> str:
    """Debian's nginx (scripts/bootstrap.sh installs it); /usr/sbin is not on every PATH."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    assert found, "nginx is missing: scripts/bootstrap.sh installs Debian's nginx package"
    return found


def site_config(
    documented: str, *, upstream_port: int, http_port: int, https_port: int, cert: Certificate
) -> str:
    """docs/nginx-pytake.conf with the test's ports and certificate: each documented line must
    be found exactly where the doc says, so a doc edit that the test can't follow fails here."""
    replacements = {
        "    server 127.0.0.1:8420;": f"    server 127.0.0.1:{upstream_port};",
        "    listen 80;": f"    listen 127.0.0.1:{http_port};",
        "    listen 443 ssl http2;": f"    listen 127.0.0.1:{https_port} ssl http2;",
        # The test binds loopback IPv4 only (IPv6 may be absent in a CI container).
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "/etc/ssl/pytake/fullchain.pem;": f"{cert.cert};",
        "/etc/ssl/pytake/privkey.pem;": f"{cert.key};",
    }
    text = documented
    for old, new in replacements.items():
        assert text.count(old) == 1, f"docs/nginx-pytake.conf no longer has {old!r} exactly once"
        text = text.replace(old, new)
    return text


def main_config(prefix: Path, site: Path) -> str:
    """What /etc/nginx/nginx.conf gives the site on Debian, kept to a private prefix."""
    # As root the workers would switch to "nobody", who can't write the tmp prefix.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log info;\n"
        "events { worker_connections 128; }\n"
        "http {\n"
        f"  access_log {prefix}/access.log;\n"
        f"  client_body_temp_path {prefix}/client_body;\n"
        f"  proxy_temp_path {prefix}/proxy;\n"
        f"  fastcgi_temp_path {prefix}/fastcgi;\n"
        f"  uwsgi_temp_path {prefix}/uwsgi;\n"
        f"  scgi_temp_path {prefix}/scgi;\n"
        f"  include {site};\n"
        "}\n"
    )


@dataclass(frozen=True)
class Nginx:
    proc: subprocess.Popen[bytes]
    prefix: Path
    http_port: int
    https_port: int

    def log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def running_nginx(
    prefix: Path, site_text: str, *, http_port: int, https_port: int
) -> Iterator[Nginx]:
    site = prefix / "pytake.conf"
    site.write_text(site_text)
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site))
    binary = nginx_binary()
    # -e: the error log before the config is read (else /var/log/nginx, maybe unwritable).
    argv = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    checked = subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, f"nginx -t refused the documented config:\n{checked.stderr}"
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    nginx = Nginx(proc, prefix, http_port, https_port)
    try:
        yield nginx
    finally:
        proc.terminate()  # SIGTERM: nginx's fast shutdown, workers included
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


async def wait_listening(nginx: Nginx, timeout: float = START_TIMEOUT) -> None:
    """Poll the HTTPS port until nginx accepts; fail at once (with its log) if it exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        code = nginx.proc.poll()
        assert code is None, f"nginx exited with {code}:\n{nginx.log()}"
        with contextlib.suppress(OSError):
            with socket.create_connection(("127.0.0.1", nginx.https_port), timeout=1):
                return
        assert loop.time() < deadline, f"nginx not listening in {timeout}s:\n{nginx.log()}"
        await asyncio.sleep(0.05)
