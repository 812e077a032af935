"""Turning intents into rows and events: preferences, the per-minute cap, grouping, e-mail state.

``write`` runs in the caller's tenant transaction (the fan-out's, or a handler's for a system
notification) and returns the events to number in it; the caller delivers them after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from pytake_daemon.db.pool import Connection
from pytake_daemon.i18n import gettext, ngettext
from pytake_daemon.notifications import audience, db, preferences, settings_db
from pytake_daemon.notifications.rules import Intent
from pytake_daemon.protocol.notifications import (
    NotificationCreated,
    NotificationSeverity,
    Preferences,
)
from pytake_i18n import DEFAULT_LANGUAGE, N_

# A category's name as the per-minute cap's summary names it (a noun in the reader's words).
_LABEL = {
    "assignment": N_("assignments"),
    "transfer": N_("transfers"),
    "message": N_("messages"),
    "mention": N_("mentions"),
    "sla": N_("SLA warnings"),
    "ai_alert": N_("AI alerts"),
    "security": N_("security alerts"),
    "backup": N_("backup alerts"),
    "goal": N_("goals reached"),
    "system": N_("system notices"),
}
_SEVERITY_RANK = {
    NotificationSeverity.INFO: 0,
    NotificationSeverity.WARNING: 1,
    NotificationSeverity.URGENT: 2,
}


def _capped(intent: Intent, language: str) -> Intent:
    """Beyond the user's per-minute cap, one row per category and place grows instead, worded
    in the user's ``language``. The category is named after "notifications" so the sentence
    agrees with one noun whatever the category ("novas notificações: atribuições")."""
    label = gettext(_LABEL[intent.category.value], language=language)
    if intent.scope:
        title = gettext(N_("New notifications in {place}: {label}"), language=language)
        # many_title is used from two on (the database fills {n}, db.py): the form for 2 is
        # every count's a group reaches (Portuguese's "many" form starts at a million).
        many = ngettext(
            "{n} new notification in {place}: {label}",
            "{n} new notifications in {place}: {label}",
            2,
            language=language,
        )
    else:
        title = gettext(N_("New notifications: {label}"), language=language)
        many = ngettext(
            "{n} new notification: {label}", "{n} new notifications: {label}", 2, language=language
        )
    return replace(
        intent,
        title=title.format(place=intent.scope, label=label),
        group_key=f"burst:{intent.category.value}:{intent.scope}",
        many_title=many.format(n="{n}", place=intent.scope, label=label),
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
    defaults = Preferences.model_validate(tenant.defaults) if tenant.defaults else None
    prefs: dict[uuid.UUID, Preferences] = {
        u: preferences.effective(docs.get(u), defaults)[0] for u in users
    }
    recent = await db.recent_counts(conn, users, now - timedelta(minutes=1))
    languages = await audience.languages(conn, users)
    # In the order of the events (the list shows them so); a group's happenings of one pass
    # merge into its first place, since one INSERT can't touch a row twice.
    rows: list[db.NewNotification] = []
    place: dict[tuple[uuid.UUID, str], int] = {}
    for asked in intents:
        mine = prefs[asked.user_id]
        intent = asked
        if asked.group_key is None and asked.severity is not NotificationSeverity.URGENT:
            if recent.get(asked.user_id, 0) >= mine.per_minute_cap:
                intent = _capped(asked, languages.get(asked.user_id, DEFAULT_LANGUAGE))
            else:
                recent[asked.user_id] = recent.get(asked.user_id, 0) + 1
        email, digest = preferences.email_mode(mine, intent.category, intent.severity)
        if not intent.email:
            email, digest = "none", False
        new = db.NewNotification(
            intent.user_id, intent.category, intent.severity, intent.title, intent.body,
            intent.link, intent.group_key, 1, email, digest, intent.many_title,
        )  # fmt: skip
        key = (intent.user_id, intent.group_key) if intent.group_key else None
        if key is None or key not in place:
            if key is not None:
                place[key] = len(rows)
            rows.append(new)
            continue
        before = rows[place[key]]
        worst = max(before.severity, new.severity, key=_SEVERITY_RANK.__getitem__)
        rows[place[key]] = replace(new, count=before.count + 1, severity=worst)
    outs = await db.upsert(conn, rows)
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
