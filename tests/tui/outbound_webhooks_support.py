"""A scripted client with outbound webhook endpoints and deliveries (the daemon's rules: admins
only, replay of dead letters into enabled endpoints), and an app signed in on it, for the
webhooks screen's pilot and snapshot tests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.app import SystemCommand
from textual.pilot import Pilot

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.common import ProblemField
from pytake_daemon.protocol.outbound_webhooks import (
    DeliveryList,
    DeliveryOut,
    DeliveryState,
    EndpointCreate,
    EndpointCreated,
    EndpointList,
    EndpointOut,
    EndpointUpdate,
    WebhookEventType,
)
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens.outbound_webhooks import OutboundWebhooksScreen

from .fake_daemon import ScriptedClient, alice, hello_envelope
from .fake_world import FakeWorld
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT

SERVER = "http://pytake.invalid:8420"
T = WebhookEventType
CRM = uuid.UUID("00000000-0000-4000-8000-00000000c001")
GONE = uuid.UUID("00000000-0000-4000-8000-00000000c002")
CONVERSATION = uuid.UUID("00000000-0000-4000-8000-00000000c0c0")


def _endpoint(
    endpoint_id: uuid.UUID, url: str, types: list[WebhookEventType], *, enabled: bool = True
) -> EndpointOut:
    return EndpointOut(
        id=endpoint_id,
        url=url,
        description="",
        event_types=types,
        enabled=enabled,
        disabled_reason=None if enabled else "the receiver answered 410 Gone",
        previous_secret_until=None,
        created_at=FIXED_AT - timedelta(days=3),
        updated_at=FIXED_AT - timedelta(hours=1),
    )


def _delivery(
    n: int,
    endpoint: uuid.UUID,
    event: WebhookEventType,
    state: DeliveryState,
    *,
    attempts: int = 1,
    status: int | None = 200,
    error: str | None = None,
) -> DeliveryOut:
    created = FIXED_AT - timedelta(minutes=10 * n)
    return DeliveryOut(
        id=uuid.UUID(int=0xD000 + n),
        endpoint_id=endpoint,
        event_id=uuid.UUID(int=0xE000 + n),
        event_type=event,
        conversation_id=CONVERSATION,
        state=state,
        attempts=attempts,
        created_at=created,
        next_attempt_at=created + timedelta(minutes=5) if state is DeliveryState.PENDING else None,
        last_attempt_at=created,
        last_status=status,
        last_error=error,
        delivered_at=created if state is DeliveryState.DELIVERED else None,
        dead_at=created + timedelta(hours=24) if state is DeliveryState.DEAD else None,
        replay_of=None,
    )


def world() -> tuple[list[EndpointOut], list[DeliveryOut]]:
    """A CRM receiving messages and ratings (one retrying, one dead after 24 h), and a
    helpdesk endpoint disabled by a 410."""
    crm = _endpoint(CRM, "https://crm.example.com/pytake/hooks",
                    [T.MESSAGE_RECEIVED, T.RATING_RECEIVED])  # fmt: skip
    gone = _endpoint(GONE, "https://old-helpdesk.example.net/in", [T.CONVERSATION_CLOSED],
                     enabled=False)  # fmt: skip
    items = [
        _delivery(1, CRM, T.MESSAGE_RECEIVED, DeliveryState.DELIVERED),
        _delivery(
            2,
            CRM,
            T.RATING_RECEIVED,
            DeliveryState.PENDING,
            attempts=3,
            status=503,
            error="HTTP 503",
        ),
        _delivery(
            3,
            CRM,
            T.MESSAGE_RECEIVED,
            DeliveryState.DEAD,
            attempts=17,
            status=None,
            error="gave up after 17 tries over 24 h: no answer within 10 s",
        ),
        _delivery(
            4,
            GONE,
            T.CONVERSATION_CLOSED,
            DeliveryState.DEAD,
            status=410,
            error="the receiver answered 410 Gone",
        ),
    ]
    return [crm, gone], items


NEW = uuid.UUID("00000000-0000-4000-8000-00000000c003")
SECRET = "whsec_" + "5" * 43


class WebhooksClient(ScriptedClient):
    """Endpoints and deliveries in memory; replays and enables are recorded; a URL naming a
    private address is refused under ``url`` as the daemon's SSRF guard does."""

    def __init__(self, server: str, *, me: Me) -> None:
        super().__init__(server, [hello_envelope(1)], FakeWorld(), me)
        self.role = me.role
        self.endpoints, self.items = world()
        self.replayed: list[uuid.UUID] = []

    def _admin(self) -> None:
        if not self.role.at_least(Role.ADMIN):
            raise DaemonError(403, "Forbidden", "this needs the admin role")

    def _counted(self, e: EndpointOut) -> EndpointOut:
        mine = [d for d in self.items if d.endpoint_id == e.id]
        return e.model_copy(update={
            "pending": sum(d.state is DeliveryState.PENDING for d in mine),
            "dead": sum(d.state is DeliveryState.DEAD for d in mine),
        })  # fmt: skip

    async def webhook_endpoints(self) -> EndpointList:
        self._admin()
        return EndpointList(items=[self._counted(e) for e in self.endpoints])

    async def webhook_deliveries(
        self,
        *,
        endpoint_id: uuid.UUID | None = None,
        state: DeliveryState | None = None,
        limit: int = 50,
    ) -> DeliveryList:
        self._admin()
        items = [
            d for d in self.items
            if (endpoint_id is None or d.endpoint_id == endpoint_id)
            and (state is None or d.state is state)
        ]  # fmt: skip
        return DeliveryList(items=sorted(items, key=lambda d: d.created_at, reverse=True)[:limit])

    async def replay_webhook_delivery(self, delivery_id: uuid.UUID) -> DeliveryOut:
        self._admin()
        found = next((d for d in self.items if d.id == delivery_id), None)
        if found is None:
            raise DaemonError(404, "Not Found", "no such webhook delivery")
        endpoint = next(e for e in self.endpoints if e.id == found.endpoint_id)
        if not endpoint.enabled:
            raise DaemonError(409, "Conflict", f"endpoint {endpoint.url} is disabled "
                              f"({endpoint.disabled_reason}): enable it first")  # fmt: skip
        self.replayed.append(delivery_id)
        replay = found.model_copy(update={
            "id": uuid.UUID(int=0xF000 + len(self.replayed)), "state": DeliveryState.PENDING,
            "attempts": 0, "created_at": FIXED_AT, "next_attempt_at": FIXED_AT,
            "last_attempt_at": None, "last_status": None, "last_error": None, "dead_at": None,
            "replay_of": delivery_id,
        })  # fmt: skip
        self.items.append(replay)
        return replay

    async def set_webhook_endpoint_enabled(
        self, endpoint_id: uuid.UUID, enabled: bool
    ) -> EndpointOut:
        self._admin()
        self.endpoints = [
            e.model_copy(update={"enabled": enabled,
                                 "disabled_reason": None if enabled else "disabled by an admin"})
            if e.id == endpoint_id else e
            for e in self.endpoints
        ]  # fmt: skip
        return self._counted(next(e for e in self.endpoints if e.id == endpoint_id))

    async def create_webhook_endpoint(self, body: EndpointCreate) -> EndpointCreated:
        self._admin()
        if "//10." in body.url:
            raise DaemonError(
                422,
                "Unprocessable Entity",
                "1 invalid field(s)",
                fields=(ProblemField(loc="body.url", msg="10.0.0.7 is a private address",
                                     type="value_error"),),
            )  # fmt: skip
        endpoint = _endpoint(NEW, body.url, body.event_types).model_copy(
            update={"description": body.description}
        )
        self.endpoints.append(endpoint)
        return EndpointCreated(endpoint=endpoint, secret=SECRET)

    async def update_webhook_endpoint(
        self, endpoint_id: uuid.UUID, body: EndpointUpdate
    ) -> EndpointOut:
        self._admin()
        change = body.model_dump(exclude_none=True)
        self.endpoints = [
            e.model_copy(update=change) if e.id == endpoint_id else e for e in self.endpoints
        ]
        return self._counted(next(e for e in self.endpoints if e.id == endpoint_id))

    async def delete_webhook_endpoint(self, endpoint_id: uuid.UUID) -> None:
        self._admin()
        self.endpoints = [e for e in self.endpoints if e.id != endpoint_id]
        self.items = [d for d in self.items if d.endpoint_id != endpoint_id]


def person(role: Role) -> Me:
    return alice().model_copy(update={"role": role})


def webhooks_app(tmp: Path, client: WebhooksClient) -> PyTakeApp:
    """An app resumed from a saved session on ``client``, with the clock at ``FIXED_AT``."""
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


def palette_entry(app: PyTakeApp) -> SystemCommand | None:
    return next(
        (c for c in app.get_system_commands(app.screen) if c.title == "Outbound webhooks"), None
    )


async def open_webhooks(pilot: Pilot[Any]) -> OutboundWebhooksScreen:
    """Once the session started, run the palette's entry; wait for the first load."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    await wait_until(pilot, lambda: app.client is not None and app.me is not None, "session")
    entry = palette_entry(app)
    assert entry is not None
    entry.callback()
    await wait_until(pilot, lambda: isinstance(app.screen, OutboundWebhooksScreen), "screen")
    screen = app.screen
    assert isinstance(screen, OutboundWebhooksScreen)
    await wait_until(pilot, lambda: screen.loads > 0, "the first load")
    await pilot.pause()
    return screen
