"""Webhook authenticity: the X-Hub-Signature-256 check and the GET subscription handshake."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

# Meta sends lowercase hex; uppercase is accepted because hex case carries no meaning.
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")


def sign(app_secret: bytes, raw_body: bytes) -> str:
    """Return the ``X-Hub-Signature-256`` header value Meta would send for ``raw_body``."""
    return "sha256=" + hmac.new(app_secret, raw_body, hashlib.sha256).hexdigest()


def verify_signature(app_secret: bytes, raw_body: bytes, header: str | None) -> bool:
    """True when ``header`` is a valid HMAC-SHA256 of the raw request bytes.

    The HMAC must be computed over the bytes exactly as received: re-serialised JSON differs in
    whitespace and escaping. An empty secret always fails, so a missing configuration can never
    turn into "every request is authentic".
    """
    if not app_secret or header is None:
        return False
    match = _SIGNATURE.fullmatch(header)
    if match is None:
        return False
    expected = hmac.new(app_secret, raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, bytes.fromhex(match.group(1)))


def verify_subscription(params: Mapping[str, str], verify_token: str) -> str | None:
    """Return ``hub.challenge`` to echo when the handshake is genuine, else None.

    The caller answers 200 with the challenge as a plain-text body, or 403 on None. An empty
    configured token refuses every handshake rather than matching an empty query parameter.
    """
    if not verify_token or params.get("hub.mode") != "subscribe":
        return None
    challenge = params.get("hub.challenge")
    given = params.get("hub.verify_token")
    if challenge is None or given is None:
        return None
    # Compare bytes: compare_digest refuses non-ASCII str, and a token may contain anything.
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    return challenge
