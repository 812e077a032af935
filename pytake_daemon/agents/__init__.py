"""Agents: status and presence, metrics, goals, activity timeline and satisfaction ratings."""
