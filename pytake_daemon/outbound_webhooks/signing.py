"""The signature receivers verify: HMAC-SHA256 over ``f"{t}.{body}"`` (docs/webhooks.md).

The timestamp is the attempt's, inside the signed text, so a captured request can't be replayed
later than the receiver's tolerance; the body is the stored text, byte for byte, on every try.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from pytake_daemon.protocol.outbound_webhooks import SECRET_PREFIX


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe, with a prefix that says what it is."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}."`` followed by the body bytes."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets_: Sequence[str], timestamp: int, body: bytes) -> str:
    """``t=…,v1=…`` with one ``v1`` per valid secret (the current one first)."""
    return ",".join([f"t={timestamp}", *(f"v1={sign(s, timestamp, body)}" for s in secrets_)])


def verify(header: str, body: bytes, secret: str, *, now: int, tolerance: int = 300) -> bool:
    """True when one ``v1`` of ``header`` is ``secret``'s and ``t`` is within ``tolerance``."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
