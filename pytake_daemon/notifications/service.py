"""Turning intents into rows and events: preferences, the per-minute cap, grouping, e-mail state.

``write`` runs in the caller's tenant transaction (the fan-out's, or a handler's for a system
notification) and returns the events to number in it; the caller delivers them after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pytake_daemon.db.pool import Connection
from pytake_daemon.notifications import db, preferences, settings_db
from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol.notifications import (
    NotificationCreated,
    NotificationSeverity,
    Preferences,
)

_LABEL = {
    "assignment": "assignments",
    "transfer": "transfers",
    "message": "messages",
    "mention": "mentions",
    "sla": "SLA warnings",
    "ai_alert": "AI alerts",
    "security": "security alerts",
    "backup": "backup alerts",
    "goal": "goals reached",
    "system": "system notices",
}
_SEVERITY_RANK = {
    NotificationSeverity.INFO: 0,
    NotificationSeverity.WARNING: 1,
    NotificationSeverity.URGENT: 2,
}


@dataclass(frozen=True, slots=True)
class _Row:
    row: db.NewNotification
    many_title: str | None


def _capped(intent: Intent) -> Intent:
    """Beyond the user's per-minute cap, one row per category and place grows instead."""
    label = _LABEL[intent.category.value]
    where = f" in {intent.scope}" if intent.scope else ""
    return replace(
        intent,
        title=f"New {label}{where}",
        group_key=f"burst:{intent.category.value}:{intent.scope}",
        many_title=f"{{n}} new {label}{where}",
    )


async def write(
    conn: Connection, intents: Sequence[Intent], now: datetime
) -> list[NotificationCreated]:
    """Write the notifications ``intents`` ask for; the events announcing them (not numbered)."""
    if not intents:
        return []
    users = list({i.user_id for i in intents})
    tenant = await settings_db.tenant_settings(conn)
    docs = await settings_db.user_preferences(conn, users)
    prefs: dict[uuid.UUID, Preferences] = {
        u: preferences.effective(docs.get(u), tenant.defaults)[0] for u in users
    }
    recent = await db.recent_counts(conn, users, now - timedelta(minutes=1))
    merged: dict[tuple[uuid.UUID, str], _Row] = {}
    rows: list[_Row] = []
    for asked in intents:
        mine = prefs[asked.user_id]
        intent = asked
        if asked.group_key is None and asked.severity is not NotificationSeverity.URGENT:
            if recent.get(asked.user_id, 0) >= mine.per_minute_cap:
                intent = _capped(asked)
            else:
                recent[asked.user_id] = recent.get(asked.user_id, 0) + 1
        email, digest = preferences.email_mode(mine, intent.category, intent.severity)
        if not intent.email:
            email, digest = "none", False
        new = db.NewNotification(
            intent.user_id,
            intent.category,
            intent.severity,
            intent.title,
            intent.body,
            intent.link,
            intent.group_key,
            1,
            email,
            digest,
        )
        if intent.group_key is None:
            rows.append(_Row(new, None))
            continue
        # One INSERT can't touch a row twice: a pass's happenings of one group become one row.
        key = (intent.user_id, intent.group_key)
        before = merged.get(key)
        if before is not None:
            worst = max(before.row.severity, new.severity, key=_SEVERITY_RANK.__getitem__)
            new = replace(new, count=before.row.count + 1, severity=worst)
        merged[key] = _Row(new, intent.many_title)
    rows.extend(merged.values())
    written = await db.upsert(conn, [r.row for r in rows])
    titles: dict[uuid.UUID, str] = {}
    outs = []
    # RETURNING's order is not promised: a grown row is found by its group.
    for user_id, row in written:
        spec = merged.get((user_id, row.group_key)) if row.group_key else None
        if spec is not None and row.group_count > 1 and spec.many_title:
            title = spec.many_title.replace("{n}", str(row.group_count))[:200]
            titles[row.id] = title
            row = row.model_copy(update={"title": title})  # noqa: PLW2901
        outs.append((user_id, row))
    await db.retitle(conn, titles)
    unread = await db.unread_counts_of(conn, users)
    return [
        NotificationCreated(
            user_id=user_id,
            notification=out,
            delivery=preferences.delivery(prefs[user_id], out.category, out.severity, now),
            unread=unread[user_id],
        )
        for user_id, out in outs
    ]
