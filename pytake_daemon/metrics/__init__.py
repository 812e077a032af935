"""Prometheus metrics that the domains record into (the lowest layer: imports no domain).

``families.py`` defines every counter and histogram recorded on a hot path; the figures read at
scrape time (queue depths, ages, pool use) and the ``GET /metrics`` endpoint live in
``pytake_daemon.health``, which may import the domains.
"""
