"""The notification center's calls: the list (filters, keyset pages), the bell's unread counts,
marking read or unread (one, several, or everything of a category), deleting; the user's
preferences and (admins) the tenant's defaults and SMTP server."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import RootModel

from pytake_daemon.protocol.notifications import (
    BulkAction,
    BulkResult,
    NotificationBulk,
    NotificationCategory,
    NotificationOut,
    NotificationPage,
    PreferencesOut,
    ReadAllRequest,
    ReadStateUpdate,
    SmtpSettingsOut,
    TenantNotificationSettings,
    TestEmailRequest,
    TestEmailResult,
    UnreadCounts,
)
from pytake_tui.api.transport import API_PREFIX, DaemonError, Endpoints

_NOTIFICATIONS = f"{API_PREFIX}/notifications"


class PreferencesDocument(RootModel[dict[str, Any]]):
    """A preferences body as the form wrote it, unchecked: the daemon is the one judge of it
    (its 422 names the field and says why, so the form never words a rule a second time)."""


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

    async def bulk_notifications(self, action: BulkAction, ids: list[uuid.UUID]) -> BulkResult:
        """Read, unread or delete several of mine in one call (up to 500)."""
        body = NotificationBulk(action=action, ids=ids)
        return await self._transport.call(BulkResult, "POST", f"{_NOTIFICATIONS}/bulk", body)

    async def notification_preferences(self) -> PreferencesOut:
        """Mine in force (every category spelled out) and whose they are."""
        return await self._transport.get(PreferencesOut, f"{_NOTIFICATIONS}/preferences")

    async def put_notification_preferences(self, document: dict[str, Any]) -> PreferencesOut:
        """Replace mine; a 422 DaemonError's ``fields`` name what the daemon refused."""
        body = PreferencesDocument(document)
        return await self._transport.call(
            PreferencesOut, "PUT", f"{_NOTIFICATIONS}/preferences", body
        )

    async def reset_notification_preferences(self) -> None:
        """Forget mine: follow the tenant's defaults again."""
        await self._transport.send("DELETE", f"{_NOTIFICATIONS}/preferences")

    async def notification_settings(self) -> TenantNotificationSettings:
        """(Admins) the tenant's default preferences and retention."""
        return await self._transport.get(TenantNotificationSettings, f"{_NOTIFICATIONS}/settings")

    async def put_notification_defaults(
        self, defaults: dict[str, Any], retention_days: int
    ) -> TenantNotificationSettings:
        """(Admins) replace the tenant's defaults, keeping ``retention_days`` as read."""
        body = PreferencesDocument({"defaults": defaults, "retention_days": retention_days})
        return await self._transport.call(
            TenantNotificationSettings, "PUT", f"{_NOTIFICATIONS}/settings", body
        )

    async def smtp_settings(self) -> SmtpSettingsOut | None:
        """(Admins) the tenant's SMTP server, never its password; None before one is set."""
        try:
            return await self._transport.get(SmtpSettingsOut, f"{_NOTIFICATIONS}/smtp")
        except DaemonError as error:
            if error.status == 404:
                return None
            raise

    async def put_smtp_settings(self, document: dict[str, Any]) -> SmtpSettingsOut:
        """(Admins) replace the SMTP server; a password left out keeps the stored one. The form's
        text goes unchecked: a 422 DaemonError's ``fields`` name what the daemon refused."""
        body = PreferencesDocument(document)
        return await self._transport.call(SmtpSettingsOut, "PUT", f"{_NOTIFICATIONS}/smtp", body)

    async def send_test_email(self, to: str | None = None) -> TestEmailResult:
        """(Admins) one e-mail through the saved SMTP server, to ``to`` or the caller."""
        body = TestEmailRequest(to=to)
        return await self._transport.call(
            TestEmailResult, "POST", f"{_NOTIFICATIONS}/test-email", body
        )
