"""Attendance: queues and their items (entry, moves, endings), distribution to agents, agents'
status, presence, goals, metrics and satisfaction ratings."""
