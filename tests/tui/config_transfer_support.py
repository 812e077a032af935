"""A tiny host app for the configuration transfer screen, and a scripted client with a fixed
document, diff and problems for its snapshots (the pilot test uses the real daemon)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from pytake_daemon.protocol import Me, ProblemField
from pytake_daemon.protocol.tenant_config import ChangeKind, ConfigChange, ImportResult
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.screens.config_transfer import ConfigTransferScreen

from .fake_daemon import alice
from .helpers import wait_until

DOCUMENT = "version: 1\ntenant:\n  name: Acme Support\nqueues: []\n"
CHANGES = [
    ConfigChange(section="tenant", key="tenant", path="tenant", kind=ChangeKind.UNCHANGED),
    ConfigChange(
        section="queues",
        key="Support",
        path="queues[1]",
        kind=ChangeKind.CHANGED,
        fields=["max_size", "welcome_message"],
    ),
    ConfigChange(section="queues", key="Billing", path="queues[0]", kind=ChangeKind.CREATED),
    ConfigChange(section="intents", key="refund", path="intents[0]", kind=ChangeKind.UNCHANGED),
    ConfigChange(
        section="queues",
        key="Old",
        path=None,
        kind=ChangeKind.DELETED,
        note="deactivated: its history stays",
    ),
]
PROBLEMS = (
    ProblemField(loc="queues[2].max_size", msg="Input should be greater than or equal to 1",
                 type="greater_than_equal"),
    ProblemField(loc="users[0].email", msg="String should match pattern '^[^@\\s]+@[^@\\s]+$'",
                 type="string_pattern_mismatch"),
    ProblemField(loc="queues[1].overflow_queue", msg="'Nowhere': no such queue",
                 type="value_error"),
)  # fmt: skip


class ScriptedConfigClient(DaemonClient):
    """Answers the screen's two calls; a document containing ``bad`` has :data:`PROBLEMS`."""

    def __init__(self) -> None:
        super().__init__("http://pytake.invalid:8420")
        self.applied: list[str] = []

    async def export_config(self) -> str:
        return DOCUMENT

    async def import_config(self, document: str, *, apply: bool) -> ImportResult:
        if "bad" in document:
            raise DaemonError(422, "Unprocessable Entity", "3 problem(s)", fields=PROBLEMS)
        if apply:
            self.applied.append(document)
        return ImportResult(applied=apply, changes=CHANGES)


class TransferHost(App[None]):
    """Just the screen, as the palette opens it."""

    def __init__(self, client: DaemonClient, me: Me, directory: Path) -> None:
        super().__init__()
        self._screen = ConfigTransferScreen(client=client, me=me, directory=directory)

    def on_mount(self) -> None:
        self.push_screen(self._screen)


def host(directory: Path, client: DaemonClient | None = None, me: Me | None = None) -> TransferHost:
    return TransferHost(client or ScriptedConfigClient(), me or alice(), directory)


def screen_of(pilot: Pilot[Any]) -> ConfigTransferScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ConfigTransferScreen)
    return screen


async def previewed(pilot: Pilot[Any]) -> ConfigTransferScreen:
    """Press ctrl+r once the screen is up; wait for its diff or its problems."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfigTransferScreen), "screen")
    screen = screen_of(pilot)
    await pilot.press("ctrl+r")
    await wait_until(
        pilot, lambda: screen.result is not None or bool(screen.problems), "preview answered"
    )
    await pilot.pause()
    return screen
