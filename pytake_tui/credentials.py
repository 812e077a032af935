"""Saved session tokens, one per daemon URL, in a file only the user can read (mode 0600)."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path

import platformdirs
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError


class SavedSession(BaseModel):
    """What is kept of a login: enough to resume without asking for the password."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    server: str
    token: str
    expires_at: AwareDatetime
    email: str


class _CredentialsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    last_server: str | None = None
    sessions: dict[str, SavedSession] = {}


def default_credentials_path() -> Path:
    """``credentials.json`` in the user's config dir (``~/.config/pytake`` on Linux)."""
    return Path(platformdirs.user_config_dir("pytake")) / "credentials.json"


class CredentialStore:
    """Load, save and forget saved sessions; an unreadable file counts as empty."""

    def __init__(self, path: Path | None = None) -> None:
        self._is_default = path is None
        self.path = path or default_credentials_path()

    def load(self, server: str, *, now: datetime | None = None) -> SavedSession | None:
        """The saved session for ``server``, unless there is none or its token expired."""
        saved = self._read().sessions.get(server)
        if saved is None or saved.expires_at <= (now or datetime.now(UTC)):
            return None
        return saved

    def email_hint(self, server: str) -> str:
        """The e-mail last used on ``server`` (even with an expired token), or ``""``."""
        saved = self._read().sessions.get(server)
        return saved.email if saved is not None else ""

    def last_server(self) -> str | None:
        """The server of the most recent login, to default to when none is given."""
        return self._read().last_server

    def save(self, session: SavedSession) -> None:
        """Store (or replace) the session for its server and make it the last one used."""
        data = self._read()
        data.sessions[session.server] = session
        data.last_server = session.server
        self._write(data)

    def forget(self, server: str) -> None:
        """Drop the saved session for ``server`` (on logout or when the daemon refuses it)."""
        data = self._read()
        if data.sessions.pop(server, None) is not None:
            self._write(data)

    def _read(self) -> _CredentialsFile:
        try:
            return _CredentialsFile.model_validate_json(self.path.read_bytes())
        except (OSError, ValidationError):
            return _CredentialsFile()

    def _write(self, data: _CredentialsFile) -> None:
        directory = self.path.parent
        created = not directory.exists()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if created or self._is_default:
            # mkdir's mode is filtered by the umask; chmod makes it exact.
            directory.chmod(0o700)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        # O_EXCL with 0o600 means the token is never readable by others, not even briefly.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data.model_dump_json(indent=2).encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
        self.path.chmod(0o600)
