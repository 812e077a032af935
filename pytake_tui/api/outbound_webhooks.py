"""The admins' outbound webhook calls: endpoints (register, change, remove), deliveries, replay
of dead letters."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.protocol.outbound_webhooks import (
    DeliveryList,
    DeliveryOut,
    DeliveryState,
    EndpointCreate,
    EndpointCreated,
    EndpointList,
    EndpointOut,
    EndpointUpdate,
)
from pytake_tui.api.transport import API_PREFIX, Endpoints, parse

_WEBHOOKS = f"{API_PREFIX}/webhooks"


class OutboundWebhookEndpoints(Endpoints):
    """``/webhooks`` (admins)."""

    async def webhook_endpoints(self) -> EndpointList:
        """The tenant's endpoints with their waiting and dead-letter counts (never a secret)."""
        return await self._transport.get(EndpointList, f"{_WEBHOOKS}/endpoints")

    async def webhook_deliveries(
        self,
        *,
        endpoint_id: uuid.UUID | None = None,
        state: DeliveryState | None = None,
        limit: int = 50,
    ) -> DeliveryList:
        """Deliveries, newest first: of one endpoint, the dead letters, or all."""
        params: dict[str, Any] = {"limit": limit}
        if endpoint_id is not None:
            params["endpoint_id"] = str(endpoint_id)
        if state is not None:
            params["state"] = state.value
        return await self._transport.get(DeliveryList, f"{_WEBHOOKS}/deliveries", params=params)

    async def replay_webhook_delivery(self, delivery_id: uuid.UUID) -> DeliveryOut:
        """Queue a dead letter again (409 when it is not dead or its endpoint is disabled)."""
        path = f"{_WEBHOOKS}/deliveries/{delivery_id}/replay"
        return parse(DeliveryOut, await self._transport.send("POST", path))

    async def set_webhook_endpoint_enabled(
        self, endpoint_id: uuid.UUID, enabled: bool
    ) -> EndpointOut:
        """Enable an endpoint again, or disable it (its waiting deliveries become dead)."""
        path = f"{_WEBHOOKS}/endpoints/{endpoint_id}"
        body = EndpointUpdate(enabled=enabled)
        return parse(EndpointOut, await self._transport.send("PATCH", path, body=body))

    async def create_webhook_endpoint(self, body: EndpointCreate) -> EndpointCreated:
        """Register an endpoint; the answer carries its signing secret, this once."""
        return await self._transport.call(EndpointCreated, "POST", f"{_WEBHOOKS}/endpoints", body)

    async def update_webhook_endpoint(
        self, endpoint_id: uuid.UUID, body: EndpointUpdate
    ) -> EndpointOut:
        """Change an endpoint's event types or description (what is given changes)."""
        path = f"{_WEBHOOKS}/endpoints/{endpoint_id}"
        return await self._transport.call(EndpointOut, "PATCH", path, body)

    async def delete_webhook_endpoint(self, endpoint_id: uuid.UUID) -> None:
        """Remove an endpoint and its deliveries."""
        await self._transport.send("DELETE", f"{_WEBHOOKS}/endpoints/{endpoint_id}")
