"""The screens reachable from anywhere: each destination's key, least role and builder.

A feature adds its screen by appending one :class:`Destination`; the app binds the key, lists it
in the command palette and hides it from the roles below it.
"""

from __future__ import annotations

from textual.screen import Screen

from pytake_daemon.protocol import Role
from pytake_tui.navigation import Destination, SessionContext
from pytake_tui.screens import ChatScreen, HomeScreen
from pytake_tui.screens.audit import build_audit
from pytake_tui.screens.backups import build_backups
from pytake_tui.screens.canned_replies import build_canned_replies
from pytake_tui.screens.dashboard import build_dashboard
from pytake_tui.screens.flows import flows_destination
from pytake_tui.screens.insights import build_insights
from pytake_tui.screens.leaderboard import build_leaderboard
from pytake_tui.screens.notifications import build_notifications
from pytake_tui.screens.queue_monitor import queue_monitor
from pytake_tui.screens.reports import build_reports


def _chat(context: SessionContext) -> Screen[None]:
    return ChatScreen(
        client=context.client, me=context.me, clock=context.clock, downloads=context.downloads
    )


def _activity(context: SessionContext) -> Screen[None]:
    return HomeScreen(client=context.client, me=context.me)


DESTINATIONS: list[Destination] = [
    Destination("chat", "Chat", "f2", Role.AGENT, _chat, "Conversations and the open thread"),
    Destination("activity", "Activity", "f3", Role.AGENT, _activity, "Who you are, live events"),
    Destination("queues", "Queues", "f4", Role.SUPERVISOR, queue_monitor, "Live queue monitor"),
    Destination(
        "dashboard", "Dashboard", "f5", Role.AGENT, build_dashboard, "Figures, goals, timeline"
    ),
    Destination(
        "insights", "Insights", "f6", Role.SUPERVISOR, build_insights, "Sentiment, intents, alerts"
    ),
    Destination("audit", "Audit", "f7", Role.ADMIN, build_audit, "Audit log, alerts, changes"),
    Destination(
        "backups", "Backups", "f8", Role.SUPERVISOR, build_backups, "Backup health, list, verify"
    ),
    Destination(
        "flows", "Flows", "f9", Role.SUPERVISOR, flows_destination, "Automation flows: edit, test"
    ),
    Destination(
        "reports",
        "Reports",
        "f1",
        Role.SUPERVISOR,
        build_reports,
        "Reports: figures, charts, drill-down, export, e-mail",
    ),
    Destination(
        "notifications",
        "Notifications",
        "f11",
        Role.AGENT,
        build_notifications,
        "Notification center: read, filter, open",
    ),
    Destination(
        "replies",
        "Replies",
        "f12",
        Role.AGENT,
        build_canned_replies,
        "Canned responses: add, edit, share, remove",
    ),
    # No F-key left: reached by ctrl+k, the palette and the dashboard's points panel, and
    # kept out of the footer (it would push every screen's keys onto another row).
    Destination(
        "leaderboard",
        "Leaderboard",
        "ctrl+k",
        Role.AGENT,
        build_leaderboard,
        "Points, ranking, badges and challenges",
        footer=False,
    ),
]
"""Screens reachable from anywhere, in key order; features append theirs (settings is last)."""
SETTINGS_KEY = "f10"
