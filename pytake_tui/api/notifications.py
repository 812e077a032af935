"""The notification center's calls: the list (filters, keyset pages), the bell's unread counts,
marking read or unread (one, or everything of a category) and deleting."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.protocol.notifications import (
    BulkResult,
    NotificationCategory,
    NotificationOut,
    NotificationPage,
    ReadAllRequest,
    ReadStateUpdate,
    UnreadCounts,
)
from pytake_tui.api.transport import API_PREFIX, Endpoints

_NOTIFICATIONS = f"{API_PREFIX}/notifications"


class NotificationEndpoints(Endpoints):
    """``/notifications/…``: every role, for their own notifications."""

    async def notifications(
        self,
        *,
        category: NotificationCategory | None = None,
        unread_only: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> NotificationPage:
        """Newest first; pass the page's ``next_cursor`` for older ones."""
        params: dict[str, Any] = {"limit": limit}
        if category is not None:
            params["category"] = category.value
        if unread_only:
            params["read"] = "false"
        if cursor is not None:
            params["cursor"] = cursor
        return await self._transport.get(NotificationPage, _NOTIFICATIONS, params=params)

    async def notification_unread(self) -> UnreadCounts:
        """The bell: unread in total and by category."""
        return await self._transport.get(UnreadCounts, f"{_NOTIFICATIONS}/unread")

    async def mark_notification(self, notification_id: uuid.UUID, *, read: bool) -> NotificationOut:
        """Mark one read or unread again."""
        return await self._transport.call(
            NotificationOut,
            "PATCH",
            f"{_NOTIFICATIONS}/{notification_id}",
            ReadStateUpdate(read=read),
        )

    async def mark_all_notifications_read(
        self, category: NotificationCategory | None = None
    ) -> BulkResult:
        """Everything unread (of ``category``) becomes read."""
        body = ReadAllRequest(category=category)
        return await self._transport.call(BulkResult, "POST", f"{_NOTIFICATIONS}/read-all", body)

    async def delete_notification(self, notification_id: uuid.UUID) -> None:
        """Delete one of mine (a 404 DaemonError for anyone else's)."""
        await self._transport.send("DELETE", f"{_NOTIFICATIONS}/{notification_id}")
