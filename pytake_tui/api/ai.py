"""The AI's calls: alerts, insights, settings, canned responses and reply suggestions."""

from __future__ import annotations

import uuid

from pytake_daemon.protocol.ai import (
    AiSettingsOut,
    AiSettingsUpdate,
    AlertList,
    AlertQuery,
    Insights,
    InsightsQuery,
    ReplyCreate,
    ReplyList,
    ReplyOut,
    ReplyQuery,
    ReplyUpdate,
    SuggestionList,
)
from pytake_tui.api.transport import API_PREFIX, Endpoints, parse

_AI = f"{API_PREFIX}/ai"


class AiEndpoints(Endpoints):
    """``/ai/…`` and a conversation's suggestions."""

    async def ai_alerts(self, query: AlertQuery) -> AlertList:
        """The AI's latest alerts, newest first (supervisors)."""
        params = query.model_dump(mode="json", exclude_none=True)
        return await self._transport.get(AlertList, f"{_AI}/alerts", params=params)

    async def ai_insights(self, days: int) -> Insights:
        """Sentiment, intents and alerts of the last ``days`` days (supervisors and above)."""
        params = InsightsQuery(days=days).model_dump(mode="json")
        return await self._transport.get(Insights, f"{_AI}/insights", params=params)

    async def ai_settings(self) -> AiSettingsOut:
        """The tenant's AI settings (defaults with its overrides applied)."""
        return await self._transport.get(AiSettingsOut, f"{_AI}/settings")

    async def update_ai_settings(self, update: AiSettingsUpdate) -> AiSettingsOut:
        """Change the fields set in ``update`` (admins); they apply to the next message."""
        return await self._transport.call(AiSettingsOut, "PATCH", f"{_AI}/settings", update)

    async def canned_replies(self) -> ReplyList:
        """The tenant's canned responses and knowledge snippets, variables unfilled."""
        return await self._transport.get(ReplyList, f"{_AI}/replies")

    async def find_replies(self, query: ReplyQuery) -> ReplyList:
        """The replies the caller may use that match ``query`` (the composer's ``/shortcut``
        completion, or one scope): their own first, then the team's."""
        params = query.model_dump(mode="json", exclude_none=True)
        return await self._transport.get(ReplyList, f"{_AI}/replies", params=params)

    async def create_reply(self, reply: ReplyCreate) -> ReplyOut:
        """Add a canned response: ``personal`` (anyone) or the team's (supervisors)."""
        return await self._transport.call(ReplyOut, "POST", f"{_AI}/replies", reply)

    async def update_reply(self, reply_id: uuid.UUID, change: ReplyUpdate) -> ReplyOut:
        """Change the fields set in ``change``; ``shortcut``, ``language`` and ``department``
        set to None remove them. Moving between scopes shares or unshares it (supervisors)."""
        path = f"{_AI}/replies/{reply_id}"
        return parse(
            ReplyOut, await self._transport.send("PATCH", path, body=change, explicit_nulls=True)
        )

    async def delete_reply(self, reply_id: uuid.UUID) -> None:
        """Remove a canned response (your own, or the team's as a supervisor)."""
        await self._transport.send("DELETE", f"{_AI}/replies/{reply_id}")

    async def reply_suggestions(self, conversation_id: uuid.UUID) -> SuggestionList:
        """The best replies for the conversation now, variables filled."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/suggestions"
        return await self._transport.get(SuggestionList, path)
