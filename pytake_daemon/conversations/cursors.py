"""Opaque keyset cursors: ``base64url(JSON [timestamp, uuid])`` naming the last row of a page.

The next page starts strictly after that row in the list's order, so rows inserted meanwhile
neither shift the pages nor repeat one. Clients must treat the string as opaque; anything that
doesn't decode to exactly that shape is a 400 with a one-line reason.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime

import orjson

from pytake_daemon.errors import BadRequest

Position = tuple[datetime | None, uuid.UUID]
"""The sort key of a row: its timestamp (``None`` for a conversation without messages) and id."""


def encode(at: datetime | None, row_id: uuid.UUID) -> str:
    raw = orjson.dumps([at.isoformat() if at is not None else None, str(row_id)])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(cursor: str, *, nullable: bool = False) -> Position:
    """The position a cursor names; ``nullable`` allows a null timestamp (conversations)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise BadRequest("invalid cursor: not one this API returned") from None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)):
        raise BadRequest("invalid cursor: not one this API returned")
    at_text, id_text = value
    try:
        row_id = uuid.UUID(id_text)
    except ValueError:
        raise BadRequest("invalid cursor: malformed id") from None
    if at_text is None and nullable:
        return None, row_id
    if not isinstance(at_text, str):
        raise BadRequest("invalid cursor: malformed timestamp")
    try:
        at = datetime.fromisoformat(at_text)
    except ValueError:
        raise BadRequest("invalid cursor: malformed timestamp") from None
    if at.tzinfo is None:
        raise BadRequest("invalid cursor: timestamp without a time zone")
    try:
        return at.astimezone(UTC), row_id
    except OverflowError:
        raise BadRequest("invalid cursor: timestamp out of range") from None
