"""The flow editor's calls: the tenant's flows, their versions, validation and test runs."""

from __future__ import annotations

import uuid

from pytake_daemon.protocol.flows import (
    FlowDocument,
    FlowList,
    FlowOut,
    FlowPublish,
    FlowTestRequest,
    FlowTestResult,
    FlowUpdate,
    FlowValidateRequest,
    FlowValidation,
)
from pytake_tui.api.transport import API_PREFIX, Endpoints

_FLOWS = f"{API_PREFIX}/flows"


class FlowEndpoints(Endpoints):
    """``/flows/…``."""

    async def flows(self) -> FlowList:
        """The tenant's flows (supervisors and above)."""
        return await self._transport.get(FlowList, _FLOWS)

    async def flow(self, flow_id: uuid.UUID, version: int | None = None) -> FlowOut:
        """A flow with the definition of ``version`` (default: the latest)."""
        params = {"version": version} if version is not None else None
        return await self._transport.get(FlowOut, f"{_FLOWS}/{flow_id}", params=params)

    async def create_flow(self, document: FlowDocument) -> FlowOut:
        """Store a new flow as version 1, not published (admins)."""
        return await self._transport.call(FlowOut, "POST", _FLOWS, document)

    async def update_flow(self, flow_id: uuid.UUID, update: FlowUpdate) -> FlowOut:
        """Save a new version of a flow (admins)."""
        return await self._transport.call(FlowOut, "PUT", f"{_FLOWS}/{flow_id}", update)

    async def validate_flow(self, document: FlowDocument) -> FlowValidation:
        """Every problem the daemon finds in ``document`` (node id, field, why)."""
        body = FlowValidateRequest(document=document.model_dump(mode="json", exclude_none=True))
        return await self._transport.call(FlowValidation, "POST", f"{_FLOWS}/validate", body)

    async def publish_flow(self, flow_id: uuid.UUID, version: int | None = None) -> FlowOut:
        """Publish ``version`` (default: the latest): new sessions start on it (admins)."""
        path = f"{_FLOWS}/{flow_id}/publish"
        return await self._transport.call(FlowOut, "POST", path, FlowPublish(version=version))

    async def archive_flow(self, flow_id: uuid.UUID) -> FlowOut:
        """Stop the flow from starting new sessions (admins)."""
        return await self._transport.call(FlowOut, "POST", f"{_FLOWS}/{flow_id}/archive")

    async def test_flow(self, flow_id: uuid.UUID, request: FlowTestRequest) -> FlowTestResult:
        """Run a scripted conversation against a stored version; nothing reaches WhatsApp."""
        path = f"{_FLOWS}/{flow_id}/test"
        return await self._transport.call(FlowTestResult, "POST", path, request)
