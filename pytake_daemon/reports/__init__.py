"""Reports (issue 21, R1): figures over a period in a time zone, drilled down tenant → queue →
agent → conversation, computed from the tables the other domains keep, and their exports."""
