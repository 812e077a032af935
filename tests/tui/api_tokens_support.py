"""Fixed data for Admin → API tokens: the admin area's scripted daemon with three API tokens of
different scopes (and a login session the page must leave out), clock at FIXED_AT."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from pytake_daemon.protocol import Role, TokenList, TokenOut
from pytake_daemon.protocol.auth import Scope
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession

from .admin_support import BRUNO, SERVER, AdminClient
from .dashboard_support import me_as
from .fake_daemon import hello_envelope
from .fake_world import demo_world
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, TOKEN_ID, USER_ID


def _api(n: int, user_id: uuid.UUID, name: str, scopes: list[Scope], used: bool) -> TokenOut:
    return TokenOut(
        id=uuid.UUID(int=0xC0DE00 + n), user_id=user_id, kind="api", name=name,
        created_at=FIXED_AT - timedelta(days=10 * n + 3),
        expires_at=FIXED_AT + timedelta(days=90 - 10 * n),
        last_used_at=FIXED_AT - timedelta(hours=n + 1) if used else None, revoked_at=None,
        scopes=scopes, rate_limit_per_minute=None if n != 2 else 30,
    )  # fmt: skip


class TokensClient(AdminClient):
    async def tokens(self) -> TokenList:
        session = TokenOut(
            id=TOKEN_ID, user_id=USER_ID, kind="session", name="pytake tui",
            created_at=FIXED_AT - timedelta(hours=2), expires_at=FIXED_AT + timedelta(hours=10),
            last_used_at=FIXED_AT, revoked_at=None,
        )  # fmt: skip
        return TokenList(
            items=[
                session,
                _api(1, USER_ID, "crm sync", [Scope.READ, Scope.CONVERSATIONS_WRITE], True),
                _api(2, BRUNO, "order bot", [Scope.MESSAGES_SEND], True),
                _api(3, USER_ID, "nightly export", [Scope.READ], False),
            ]
        )


def tokens_app(tmp: Path) -> PyTakeApp:
    """The console resumed as an admin on the scripted daemon with :class:`TokensClient`."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )

    def client(server: str) -> DaemonClient:
        return TokensClient(server, [hello_envelope(1)], demo_world(), me_as(Role.ADMIN))

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )
