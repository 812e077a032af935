"""Encryption at rest of numbers' secrets (access tokens, app secrets, verify tokens).

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with MultiFernet for rotation: the first
configured key encrypts, every key decrypts. The key comes from config; without one, a key is
generated once into ``<state_dir>/secrets.key`` (0600) so a fresh install is encrypted too.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from pytake_daemon.config import Settings
from pytake_daemon.errors import PyTakeError

KEY_FILE = "secrets.key"


class SecretBoxError(PyTakeError):
    """A key is malformed, or a stored secret can't be decrypted with the configured keys."""


class SecretBox:
    def __init__(self, keys: list[bytes], *, source: str = "whatsapp.secrets_key") -> None:
        if not keys:
            raise SecretBoxError("no secrets key configured")
        self.source = source
        """Where the keys came from, for messages about a missing key."""
        # A short SHA-256 of each key names it in messages and `pytake doctor` without
        # revealing it: replicas compare fingerprints to find the one with another key.
        self.fingerprints = [hashlib.sha256(key).hexdigest()[:12] for key in keys]
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except ValueError:
            raise SecretBoxError(
                "whatsapp.secrets_key must be urlsafe base64 of 32 bytes "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from None

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise SecretBoxError(
                "a stored WhatsApp secret can't be decrypted: whatsapp.secrets_key changed "
                "without keeping the old key (list old keys after the new one, comma-separated)"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """``token`` re-encrypted under the first key (``pytake secrets rekey``)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise SecretBoxError(
                "a stored WhatsApp secret decrypts with none of the configured keys"
            ) from None


def load_secret_box(settings: Settings) -> SecretBox:
    """The box for this installation's key(s): from config, else the state-dir key file."""
    configured = settings.whatsapp.secrets_key
    if configured is not None:
        keys = [k.strip().encode() for k in configured.get_secret_value().split(",") if k.strip()]
        return SecretBox(keys)
    path = settings.state_dir / KEY_FILE
    return SecretBox([_key_file(path)], source=str(path))


def _key_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # Written aside then hard-linked into place: link() fails if the file appeared meanwhile,
    # so two processes racing here both end up with the one key that won, never a torn file.
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key + b"\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        return path.read_bytes().strip()
    finally:
        tmp.unlink()
    return key
