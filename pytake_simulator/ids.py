"""Identifiers shaped like Meta's: opaque to clients, but recognisable in logs and tests.

Clients must never parse them (the notes say so), so the only promise is the prefix and the
alphabet: ``wamid.`` + base64 for messages, digit strings for Graph nodes (media, templates).
"""

from __future__ import annotations

import base64
import secrets


def wamid(wa_id: str) -> str:
    """A message id like ``wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUI...``.

    Meta's ids are base64 of a small protobuf-like record holding the customer's number and a
    random key; imitating that makes them look familiar without anyone being able to rely on it.
    """
    digits = wa_id.encode()
    raw = (
        b"\x1c\x18"
        + bytes([len(digits)])
        + digits
        + b"\x15\x02\x00\x12\x18\x14"
        + secrets.token_hex(10).upper().encode()
        + b"\x00"
    )
    return "wamid." + base64.b64encode(raw).decode()


def numeric_id(length: int = 16) -> str:
    """A Graph node id: digits, never starting with zero."""
    first = str(secrets.randbelow(9) + 1)
    rest = "".join(str(secrets.randbelow(10)) for _ in range(length - 1))
    return first + rest


def fbtrace_id() -> str:
    """The per-request trace id Meta returns with every error."""
    return base64.urlsafe_b64encode(secrets.token_bytes(17)).decode().rstrip("=")


def conversation_id() -> str:
    return secrets.token_hex(16)


def cursor(position: int) -> str:
    """A paging cursor in Meta's style: base64 with ``=`` spelled ``ZD`` (``MAZDZD`` is 0)."""
    return base64.b64encode(str(position).encode()).decode().replace("=", "ZD")


def parse_cursor(value: str) -> int | None:
    encoded, padding = value, 0
    while encoded.endswith("ZD"):
        encoded, padding = encoded[:-2], padding + 1
    encoded += "=" * padding
    try:
        return int(base64.b64decode(encoded, validate=True).decode())
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors too
        return None
