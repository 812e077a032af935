"""The console's preferences on this machine: theme and notifications.

Kept next to ``credentials.json`` (``~/.config/pytake/preferences.json``); they describe this
terminal, not the account, so a light theme on a laptop does not follow the agent to a dark
desk terminal. An unreadable file counts as the defaults.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from pytake_tui.credentials import default_credentials_path

Theme = Literal["textual-dark", "textual-light"]


class Preferences(BaseModel):
    """What the settings screen changes."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    theme: Theme = "textual-dark"
    toast_new_messages: bool = True
    """A toast when a customer writes in a conversation other than the one open."""
    bell_new_messages: bool = False
    """Ring the terminal bell with those toasts (many terminals flash or badge the tab)."""
    toast_failures: bool = True
    """A toast when a message sent from this console fails."""


def default_preferences_path() -> Path:
    return default_credentials_path().with_name("preferences.json")


class PreferenceStore:
    """Load and save :class:`Preferences` (atomically, by rename)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_preferences_path()

    def load(self) -> Preferences:
        try:
            return Preferences.model_validate_json(self.path.read_bytes())
        except (OSError, ValidationError):
            return Preferences()

    def save(self, preferences: Preferences) -> None:
        """Write the file; raises OSError (the caller says so in a toast)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        temporary.write_text(preferences.model_dump_json(indent=2))
        os.replace(temporary, self.path)
