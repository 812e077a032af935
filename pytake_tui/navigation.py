"""Where the console can go: one entry per screen, with the least role that may open it.

The app binds each destination's key, lists it in the command palette and hides it from roles
below ``role``; a feature adds its screen by appending a :class:`Destination` in ``app.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual.screen import Screen

from pytake_daemon.protocol import Me, Role
from pytake_tui.client import DaemonClient


@dataclass(frozen=True, slots=True)
class SessionContext:
    """What a screen may need to build itself for the signed-in user."""

    client: DaemonClient
    me: Me
    clock: Callable[[], datetime]
    downloads: Path


@dataclass(frozen=True, slots=True)
class Destination:
    """A screen reachable from anywhere by ``key`` and from the command palette."""

    name: str
    title: str
    key: str
    role: Role
    build: Callable[[SessionContext], Screen[None]]
    description: str = ""
    footer: bool = True
    """Whether the footer shows its key (the palette always lists it)."""

    def allowed(self, me: Me | None) -> bool:
        return me is not None and me.role.at_least(self.role)
