"""The leaderboard's side: my badges of the period and the challenges with my progress."""

from __future__ import annotations

import uuid

from textual.widgets import Static

from pytake_daemon.protocol.gamification import BadgeOut, ChallengeOut
from pytake_tui.gamification_view import badge_name, challenge_lines, short_day
from pytake_tui.i18n import _


class MyBadges(Static):
    def show(self, badges: list[BadgeOut]) -> None:
        if not badges:
            self.update(_("No badges in this period yet."))
            return
        self.update(
            "\n".join(
                f"{badge_name(b.badge)} ({short_day(b.period_start)}): {b.title}" for b in badges
            )
        )


class ChallengeBoard(Static):
    def show(self, challenges: list[ChallengeOut], me: uuid.UUID) -> None:
        if not challenges:
            self.update(_("No challenges running. Supervisors create them (API or CLI)."))
            return
        self.update("\n".join(line for c in challenges for line in challenge_lines(c, me)))
