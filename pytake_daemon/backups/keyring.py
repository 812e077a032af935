"""The age keys of backups: who new backups are encrypted to, and which keys may open old ones.

Keys come from ``backups.identities`` (environment), ``backups.identity_file``, or a key file
generated once under the state directory; never from the database, so a stolen database dump
doesn't carry the key to its own backups.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyrage
from pyrage import x25519

from pytake_daemon.config import Settings
from pytake_daemon.errors import PyTakeError

KEY_FILE = "backup-identity.txt"


class BackupKeyError(PyTakeError):
    """A key is malformed, or no configured key opens a backup."""


def short_key(recipient: str) -> str:
    """``age1abcdef…uvwxyz``: enough to tell keys apart in a message."""
    return f"{recipient[:10]}…{recipient[-6:]}" if len(recipient) > 20 else recipient


@dataclass(frozen=True)
class KeyRing:
    identities: tuple[x25519.Identity, ...]
    extra_recipients: tuple[str, ...] = ()

    @property
    def public_keys(self) -> list[str]:
        """Public keys of the configured secret keys, current first."""
        return [str(identity.to_public()) for identity in self.identities]

    @property
    def encrypt_to(self) -> list[str]:
        """The current key plus the extra recipients (an escrow key, say)."""
        return [self.public_keys[0], *self.extra_recipients]

    def recipients(self) -> list[x25519.Recipient]:
        try:
            return [x25519.Recipient.from_str(r) for r in self.encrypt_to]
        except pyrage.RecipientError:
            raise BackupKeyError("backups.recipients holds a malformed age public key") from None

    def check_can_open(self, recipients: list[str]) -> None:
        """Refuse, naming both sides, a backup none of our secret keys was encrypted to."""
        if set(recipients) & set(self.public_keys):
            return
        theirs = ", ".join(short_key(r) for r in recipients) or "no key"
        ours = ", ".join(short_key(r) for r in self.public_keys)
        raise BackupKeyError(
            f"this backup was encrypted with key {theirs}; the configured keys are {ours} "
            "(add the old secret key after the current one in backups.identities or "
            "backups.identity_file)"
        )


def load_keyring(settings: Settings) -> KeyRing:
    """The configured keys; a fresh installation gets a key file generated under state_dir."""
    cfg = settings.backups
    if cfg.identities is not None:
        lines = cfg.identities.get_secret_value().replace(",", "\n").splitlines()
        source = "backups.identities"
    else:
        path = cfg.identity_file or settings.state_dir / KEY_FILE
        if cfg.identity_file is None:
            _ensure_key_file(path)
        try:
            lines = path.read_text().splitlines()
        except FileNotFoundError:
            raise BackupKeyError(f"backups.identity_file {path}: not found") from None
        source = str(path)
    keys = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    try:
        identities = tuple(x25519.Identity.from_str(k) for k in keys)
    except pyrage.IdentityError:
        raise BackupKeyError(f"{source}: not age secret keys (AGE-SECRET-KEY-1...)") from None
    if not identities:
        raise BackupKeyError(f"{source}: no age secret key")
    return KeyRing(identities, tuple(cfg.recipients))


def _ensure_key_file(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    identity = x25519.Identity.generate()
    text = f"# public key: {identity.to_public()}\n{identity}\n"
    # Written aside then hard-linked into place: two processes racing here keep the one winner.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
