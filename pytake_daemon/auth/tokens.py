"""Bearer secrets: 256 random bits, shown once, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

# A recognisable prefix lets secret scanners (and humans) spot a leaked PyTake token.
_PREFIX = "ptk_"


def new_token() -> tuple[str, bytes]:
    """A fresh token and the hash to store."""
    token = _PREFIX + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
