"""The queue monitor's calls (queues, their items, assignment, transfer and priority) and the
admin area's (create a queue, change its settings)."""

from __future__ import annotations

import uuid

from pytake_daemon.protocol.queues import (
    AssignRequest,
    AssignResult,
    Dashboard,
    ItemQuery,
    Priority,
    PriorityUpdate,
    QueueItemList,
    QueueItemOut,
    QueueList,
    QueueOut,
    QueueSettings,
)
from pytake_tui.api.transport import API_PREFIX, Endpoints

_QUEUES = f"{API_PREFIX}/queues"


class QueueEndpoints(Endpoints):
    """``/queues/…``."""

    async def queues(self) -> QueueList:
        """The tenant's queues."""
        return await self._transport.get(QueueList, _QUEUES)

    async def queue_dashboard(self) -> Dashboard:
        """Every queue's load, the agents' load and the latest transitions."""
        return await self._transport.get(Dashboard, f"{_QUEUES}/dashboard")

    async def queue_items(self, queue_id: uuid.UUID, query: ItemQuery) -> QueueItemList:
        """A queue's active items (waiting first, in serving order) or its latest ended ones."""
        params = query.model_dump(mode="json")
        return await self._transport.get(
            QueueItemList, f"{_QUEUES}/{queue_id}/items", params=params
        )

    async def assign_item(
        self,
        queue_id: uuid.UUID,
        item_id: uuid.UUID,
        agent_id: uuid.UUID,
        *,
        override_capacity: bool = False,
    ) -> AssignResult:
        """Assign a waiting item to an agent, or reassign an assigned one (supervisors);
        ``override_capacity`` past the agent's capacity (audited)."""
        body = AssignRequest(
            item_id=item_id, agent_id=agent_id, override_capacity=override_capacity
        )
        return await self._transport.call(
            AssignResult, "POST", f"{_QUEUES}/{queue_id}/assign", body
        )

    async def transfer_item(
        self, queue_id: uuid.UUID, item_id: uuid.UUID, to_queue_id: uuid.UUID
    ) -> AssignResult:
        """Move an item to another queue, where it waits (supervisors)."""
        body = AssignRequest(item_id=item_id, to_queue_id=to_queue_id)
        return await self._transport.call(
            AssignResult, "POST", f"{_QUEUES}/{queue_id}/assign", body
        )

    async def set_item_priority(
        self, queue_id: uuid.UUID, item_id: uuid.UUID, priority: Priority
    ) -> QueueItemOut:
        """Change a waiting item's priority (supervisors)."""
        path = f"{_QUEUES}/{queue_id}/items/{item_id}"
        body = PriorityUpdate(priority=priority)
        return await self._transport.call(QueueItemOut, "PATCH", path, body)

    async def create_queue(self, settings: QueueSettings) -> QueueOut:
        """Create a queue (admins; a 409 for a name taken, a 422 for a target that isn't)."""
        return await self._transport.call(QueueOut, "POST", _QUEUES, settings)

    async def delete_queue(self, queue_id: uuid.UUID) -> None:
        """Remove a queue nothing points at (admins); a 409 says what holds it."""
        await self._transport.send("DELETE", f"{_QUEUES}/{queue_id}")

    async def update_queue(self, queue_id: uuid.UUID, settings: QueueSettings) -> QueueOut:
        """Replace a queue's settings, the whole object (admins)."""
        return await self._transport.call(QueueOut, "PUT", f"{_QUEUES}/{queue_id}", settings)
