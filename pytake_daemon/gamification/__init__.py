"""Gamification: points from measured work, leaderboards, badges, challenges (R2)."""
