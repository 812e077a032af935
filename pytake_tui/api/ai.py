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
    ReplyList,
    SuggestionList,
)
from pytake_tui.api.transport import API_PREFIX, Endpoints

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

    async def reply_suggestions(self, conversation_id: uuid.UUID) -> SuggestionList:
        """The best replies for the conversation now, variables filled."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/suggestions"
        return await self._transport.get(SuggestionList, path)
