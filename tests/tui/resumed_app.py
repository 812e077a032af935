"""An app resumed from a saved session on a scripted client, the clock pinned at FIXED_AT: the
start every screen's pilot and snapshot tests share (System, Backups, …)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession

from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT

SERVER = "http://pytake.invalid:8420"


def resumed_app(tmp: Path, client: DaemonClient) -> PyTakeApp:
    """An app whose saved session (under ``tmp``) resumes on ``client``; downloads in ``tmp``."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )

    def factory(server: str) -> DaemonClient:
        return client

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=factory,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )


async def session_started(pilot: Pilot[Any]) -> PyTakeApp:
    """The pilot's app once its session resumed (client and profile known)."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    await wait_until(pilot, lambda: app.client is not None and app.me is not None, "session")
    return app
