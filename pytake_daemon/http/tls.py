"""The daemon's own HTTPS listener, for a single-box install without a reverse proxy."""

from __future__ import annotations

import os
import ssl

from pytake_daemon.config import ServerSettings
from pytake_daemon.errors import PyTakeError


class TlsConfigError(PyTakeError):
    """The configured certificate or key can't be used."""


def server_ssl_context(server: ServerSettings) -> ssl.SSLContext | None:
    """An SSL context from ``server.tls_cert``/``tls_key``, or ``None`` for plain HTTP."""
    if server.tls_cert is None or server.tls_key is None:
        return None
    # PROTOCOL_TLS_SERVER with the library's defaults: TLS 1.2+ and OpenSSL's cipher choice.
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    for name, path in (("tls_cert", server.tls_cert), ("tls_key", server.tls_key)):
        # OpenSSL's own error names neither the setting nor the file.
        if not path.is_file():
            raise TlsConfigError(f"server.{name}: no such file {path}")
        if not os.access(path, os.R_OK):
            raise TlsConfigError(f"server.{name}: {path} is not readable by this user")
    try:
        context.load_cert_chain(server.tls_cert, server.tls_key)
    except ssl.SSLError as exc:
        raise TlsConfigError(
            f"server.tls_cert {server.tls_cert} and tls_key {server.tls_key} are not a PEM"
            f" certificate chain and its private key ({exc.reason or exc})"
        ) from None
    context.set_alpn_protocols(["http/1.1"])
    return context
