"""Signed checkpoints: "entry ``seq`` of tenant T had hash H", signed with Ed25519.

Kept elsewhere (exported with the log), they catch what a hash chain alone can't: a truncated
tail, or a chain recomputed from scratch by someone with write access to the database.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from pytake_daemon.audit.chain import format_time
from pytake_daemon.errors import PyTakeError


def checkpoint_message(tenant_id: uuid.UUID, seq: int, hash_: bytes, signed_at: datetime) -> bytes:
    """The exact bytes signed (documented in docs/audit.md)."""
    fields = [str(tenant_id), str(seq), hash_.hex(), format_time(signed_at)]
    return ("pytake-audit-checkpoint:v1:" + ":".join(fields)).encode()


def generate_key() -> str:
    """A new private key as base64 of its 32 raw bytes."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.b64encode(raw).decode()


def load_key(encoded: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(encoded, validate=True)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (binascii.Error, ValueError):
        raise PyTakeError(
            "audit.checkpoint_key: not a base64 Ed25519 private key (see 'pytake audit keygen')"
        ) from None


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class SignedCheckpoint:
    seq: int
    hash: bytes
    signed_at: datetime
    public_key: bytes
    signature: bytes


def sign(
    key: Ed25519PrivateKey, tenant_id: uuid.UUID, seq: int, hash_: bytes, signed_at: datetime
) -> SignedCheckpoint:
    signature = key.sign(checkpoint_message(tenant_id, seq, hash_, signed_at))
    return SignedCheckpoint(seq, hash_, signed_at, public_bytes(key), signature)


def signature_valid(tenant_id: uuid.UUID, checkpoint: SignedCheckpoint) -> bool:
    message = checkpoint_message(tenant_id, checkpoint.seq, checkpoint.hash, checkpoint.signed_at)
    try:
        Ed25519PublicKey.from_public_bytes(checkpoint.public_key).verify(
            checkpoint.signature, message
        )
    except (InvalidSignature, ValueError):
        return False
    return True
