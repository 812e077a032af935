"""The console's single door to the daemon: :class:`DaemonClient`.

Screens, widgets and the CLI hold one ``DaemonClient`` and call its methods; nothing else in the
console talks to the daemon. The class is only the composition: the plumbing (HTTP pool, token,
``DaemonError``) is :mod:`pytake_tui.api.transport`, the WebSocket stream is
:mod:`pytake_tui.api.events`, and each group of endpoints sits in the module of its daemon domain
under :mod:`pytake_tui.api` — a new call goes into its domain's module, not here. Nothing here
knows about Textual, so the CLI may use it too.
"""

from __future__ import annotations

import random
from types import TracebackType
from typing import Self

from websockets.asyncio.client import ClientConnection

from pytake_tui.api.agents import AgentEndpoints
from pytake_tui.api.ai import AiEndpoints
from pytake_tui.api.audit import AuditEndpoints
from pytake_tui.api.backups import BackupEndpoints
from pytake_tui.api.contacts import ContactEndpoints
from pytake_tui.api.conversations import ConversationEndpoints
from pytake_tui.api.events import EventStreamEndpoints
from pytake_tui.api.flows import FlowEndpoints
from pytake_tui.api.gamification import GamificationEndpoints
from pytake_tui.api.invitations import InvitationEndpoints
from pytake_tui.api.notifications import NotificationEndpoints
from pytake_tui.api.onboarding import OnboardingEndpoints
from pytake_tui.api.outbound_webhooks import OutboundWebhookEndpoints
from pytake_tui.api.queues import QueueEndpoints
from pytake_tui.api.reports import ReportEndpoints
from pytake_tui.api.session import SessionEndpoints
from pytake_tui.api.system_figures import SystemFigureEndpoints
from pytake_tui.api.templates import TemplateEndpoints
from pytake_tui.api.tenant_config import TenantConfigEndpoints
from pytake_tui.api.transport import (
    API_PREFIX,
    BACKUP_TIMEOUT,
    DEFAULT_SERVER,
    DaemonError,
    MediaFile,
    Transport,
    normalize_server,
    websocket_url,
)
from pytake_tui.api.users import UserEndpoints
from pytake_tui.stream import ReconnectPolicy

__all__ = [
    "API_PREFIX",
    "BACKUP_TIMEOUT",
    "DEFAULT_SERVER",
    "DaemonClient",
    "DaemonError",
    "MediaFile",
    "normalize_server",
    "websocket_url",
]


class DaemonClient(
    SessionEndpoints,
    ConversationEndpoints,
    QueueEndpoints,
    AgentEndpoints,
    AiEndpoints,
    ContactEndpoints,
    AuditEndpoints,
    BackupEndpoints,
    FlowEndpoints,
    NotificationEndpoints,
    InvitationEndpoints,
    OutboundWebhookEndpoints,
    ReportEndpoints,
    GamificationEndpoints,
    OnboardingEndpoints,
    UserEndpoints,
    TemplateEndpoints,
    TenantConfigEndpoints,
    SystemFigureEndpoints,
    EventStreamEndpoints,
):
    """REST and WebSocket access to one daemon, with the session token once logged in.

    The endpoint groups are mixins over one shared :class:`Transport` rather than attributes
    (``client.queues.assign``) so every caller, and every test double that overrides a call,
    keeps one flat surface while each module stays small.
    """

    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        reconnect: ReconnectPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._transport = Transport(server, token=token, timeout=timeout)
        self.reconnect = reconnect or ReconnectPolicy()
        # Backoff jitter, not a secret: a seedable PRNG keeps the tests deterministic.
        self._rng = rng or random.Random()  # noqa: S311
        self._websocket: ClientConnection | None = None

    @property
    def server(self) -> str:
        """The daemon's normalized URL."""
        return self._transport.server

    @property
    def token(self) -> str | None:
        """The session token the calls carry (None before login and after logout)."""
        return self._transport.token

    @token.setter
    def token(self, value: str | None) -> None:
        self._transport.token = value

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._transport.aclose()
