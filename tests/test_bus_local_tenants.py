"""The bus subscriber reads only a frame's tenant before the full envelope: frames of tenants
without a client in this process (most of them, in a web process) are dropped unparsed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from pytake_daemon.protocol import EventEnvelope, TokenRevoked
from pytake_daemon.realtime.bus import EventBus, _tenant_of
from pytake_daemon.realtime.hub import Hub


class CountingHub(Hub):
    def __init__(self, local: set[uuid.UUID]) -> None:
        super().__init__(queue_size=4)
        self.local = local
        self.delivered: list[EventEnvelope] = []

    def wants(self, tenant_id: uuid.UUID | None) -> bool:
        return tenant_id is None or tenant_id in self.local

    def deliver(self, envelope: EventEnvelope, frame: str) -> None:
        self.delivered.append(envelope)


def frame_of(tenant_id: uuid.UUID) -> str:
    return EventEnvelope(
        seq=1, tenant_id=tenant_id, at=datetime.now(UTC), event=TokenRevoked(token_id=uuid.uuid4())
    ).model_dump_json()


def test_frames_reach_the_hub_only_for_tenants_with_local_clients() -> None:
    here, elsewhere = uuid.uuid4(), uuid.uuid4()
    hub = CountingHub({here})
    none = cast("Any", None)
    bus = EventBus(none, none, hub, channel="events", subscriber=none)
    for tenant_id in (elsewhere, here, elsewhere):
        bus._on_message(f"other-process|{frame_of(tenant_id)}".encode())
    assert [e.tenant_id for e in hub.delivered] == [here]


def test_an_unreadable_tenant_goes_to_the_full_parse() -> None:
    assert _tenant_of('{"tenant_id": 3}') is None
    assert _tenant_of("not json") is None
    assert _tenant_of("[1]") is None
    tenant_id = uuid.uuid4()
    assert _tenant_of(frame_of(tenant_id)) == tenant_id
    hub = Hub(queue_size=4)
    assert hub.wants(None)
    assert not hub.wants(tenant_id)
