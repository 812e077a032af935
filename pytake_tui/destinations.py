"""The screens reachable from anywhere: each destination's key, least role and builder.

A feature adds its screen by appending one :class:`Destination`; the app binds the key, lists it
in the command palette and hides it from the roles below it.
"""

from __future__ import annotations

from textual.screen import Screen

from pytake_daemon.protocol import Role
from pytake_tui.i18n import N_
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
    Destination(
        "chat", N_("Chat"), "f2", Role.AGENT, _chat, N_("Conversations and the open thread")
    ),
    Destination(
        "activity", N_("Activity"), "f3", Role.AGENT, _activity, N_("Who you are, live events")
    ),
    Destination(
        "queues", N_("Queues"), "f4", Role.SUPERVISOR, queue_monitor, N_("Live queue monitor")
    ),
    Destination(
        "dashboard",
        N_("Dashboard"),
        "f5",
        Role.AGENT,
        build_dashboard,
        N_("Figures, goals, timeline"),
    ),
    Destination(
        "insights",
        N_("Insights"),
        "f6",
        Role.SUPERVISOR,
        build_insights,
        N_("Sentiment, intents, alerts"),
    ),
    Destination(
        "audit", N_("Audit"), "f7", Role.ADMIN, build_audit, N_("Audit log, alerts, changes")
    ),
    Destination(
        "backups",
        N_("Backups"),
        "f8",
        Role.SUPERVISOR,
        build_backups,
        N_("Backup health, list, verify"),
    ),
    Destination(
        "flows",
        N_("Flows"),
        "f9",
        Role.SUPERVISOR,
        flows_destination,
        N_("Automation flows: edit, test"),
    ),
    Destination(
        "reports",
        N_("Reports"),
        "f1",
        Role.SUPERVISOR,
        build_reports,
        N_("Reports: figures, charts, drill-down, export, e-mail"),
    ),
    Destination(
        "notifications",
        N_("Notifications"),
        "f11",
        Role.AGENT,
        build_notifications,
        N_("Notification center: read, filter, open"),
    ),
    Destination(
        "replies",
        N_("Replies"),
        "f12",
        Role.AGENT,
        build_canned_replies,
        N_("Canned responses: add, edit, share, remove"),
    ),
    # No F-key left: reached by ctrl+k, the palette and the dashboard's points panel, and
    # kept out of the footer (it would push every screen's keys onto another row).
    Destination(
        "leaderboard",
        N_("Leaderboard"),
        "ctrl+k",
        Role.AGENT,
        build_leaderboard,
        N_("Points, ranking, badges and challenges"),
        footer=False,
    ),
]
"""Screens reachable from anywhere, in key order; features append theirs (settings is last)."""
SETTINGS_KEY = "f10"
