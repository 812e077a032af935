"""The metric families recorded where things happen (webhooks, ingest, sends, jobs, WebSockets).

They are created unregistered, once per process, and every app registers them into the
registry it owns (``health.metrics.build_registry``): several apps in one process (the tests)
never collide on names, and they report the process's totals, which is what a scrape target is.
On the message path only cached children are touched (``.inc()``/``.observe()``, a lock and
an add each): bench/ingest.py's rate must not move.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram
from prometheus_client.registry import Collector

_NO_REGISTRY = None

# Webhook POSTs by what became of them (the 200 comes only after the commit).
WEBHOOK_REQUESTS = Counter(
    "pytake_webhook_requests",
    "Webhook POSTs by outcome: accepted (committed), unauthorized (signature), bad_request, "
    "too_large, failed (not committed: Meta retries).",
    ["outcome"],
    registry=_NO_REGISTRY,
)
WEBHOOK_ACCEPTED = WEBHOOK_REQUESTS.labels(outcome="accepted")
WEBHOOK_UNAUTHORIZED = WEBHOOK_REQUESTS.labels(outcome="unauthorized")
WEBHOOK_BAD_REQUEST = WEBHOOK_REQUESTS.labels(outcome="bad_request")
WEBHOOK_TOO_LARGE = WEBHOOK_REQUESTS.labels(outcome="too_large")
WEBHOOK_FAILED = WEBHOOK_REQUESTS.labels(outcome="failed")

WEBHOOK_ITEMS_IGNORED = Counter(
    "pytake_webhook_items_ignored",
    "Webhook items not stored as such: unknown_number (no number routes them, answered 200) "
    "and invalid (kept raw with their reason).",
    ["reason"],
    registry=_NO_REGISTRY,
)
WEBHOOK_UNKNOWN_NUMBER = WEBHOOK_ITEMS_IGNORED.labels(reason="unknown_number")
WEBHOOK_INVALID_ITEMS = WEBHOOK_ITEMS_IGNORED.labels(reason="invalid")

# Group commit: a batch is every webhook request waiting when the previous commit ended.
INGEST_BATCH_REQUESTS = Histogram(
    "pytake_ingest_batch_requests",
    "Webhook requests committed together in one ingest transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
    registry=_NO_REGISTRY,
)
INGEST_COMMIT_SECONDS = Histogram(
    "pytake_ingest_commit_seconds",
    "Time of one ingest transaction, from BEGIN to the end of COMMIT.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=_NO_REGISTRY,
)
STATUS_LAG_SECONDS = Histogram(
    "pytake_status_lag_seconds",
    "From a status callback's timestamp at Meta to its commit here (Meta stamps whole seconds).",
    buckets=(1, 2, 5, 10, 30, 60, 300, 900, 3600),
    registry=_NO_REGISTRY,
)

# Label values: outcome accepted|transient|permanent|auth (GraphError.kind), code Meta's error
# code or "" (a handful of distinct codes: the children are cached in _send_children).
OUTBOX_SEND_SECONDS = Histogram(
    "pytake_outbox_send_seconds",
    "Graph API send calls by outcome and Meta error code.",
    ["outcome", "code"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0),
    registry=_NO_REGISTRY,
)
SEND_ACCEPTED = OUTBOX_SEND_SECONDS.labels(outcome="accepted", code="")
_send_children: dict[tuple[str, str], Histogram] = {("accepted", ""): SEND_ACCEPTED}

JOBS_PROCESSED = Counter(
    "pytake_jobs_processed",
    "Jobs run by kind and outcome (done, or failed and retried later); flow_inbound failures "
    "are flow steps that failed in the fan-out and again on their own.",
    ["kind", "outcome"],
    registry=_NO_REGISTRY,
)
_job_children: dict[tuple[str, str], Counter] = {}
# Every kind a JobRunner of this process handles: the scrape reports each one's depth and age,
# 0 included (a series that vanishes when its queue drains can't be alerted on).
JOB_KINDS: set[str] = set()

WEBSOCKET_DROPPED = Counter(
    "pytake_websocket_slow_clients_dropped",
    "WebSocket clients closed with 1013 because their queue filled up.",
    registry=_NO_REGISTRY,
)

EVENT_LOOP_LAG_SECONDS = Histogram(
    "pytake_event_loop_lag_seconds",
    "How late a 0.5 s timer fires: time the event loop spent on something else.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
    registry=_NO_REGISTRY,
)

# Outbound webhooks (docs/webhooks.md): what became of each try, and how long it took.
WEBHOOK_DELIVERIES = Counter(
    "pytake_outbound_webhook_deliveries",
    "Outbound webhook tries by outcome: delivered (2xx), retried (scheduled again), dead (gave "
    "up after the retry period), gone (410: endpoint disabled), refused (SSRF guard), failed "
    "(the result could not be recorded: tried again after the lease).",
    ["outcome"],
    registry=_NO_REGISTRY,
)
WEBHOOK_DELIVERY_SECONDS = Histogram(
    "pytake_outbound_webhook_delivery_seconds",
    "Time of one outbound webhook try, from the POST to the recorded result.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=_NO_REGISTRY,
)
_delivery_children: dict[str, Counter] = {}

LOOP_LAG_INTERVAL = 0.5


def send_observed(outcome: str, code: int | None) -> Histogram:
    """The send histogram's child for an outcome and code, created once per pair."""
    key = (outcome, "" if code is None else str(code))
    child = _send_children.get(key)
    if child is None:
        child = _send_children[key] = OUTBOX_SEND_SECONDS.labels(outcome=key[0], code=key[1])
    return child


def job_counter(kind: str, outcome: str) -> Counter:
    """The jobs counter's child for a kind and outcome, created once per pair."""
    key = (kind, outcome)
    child = _job_children.get(key)
    if child is None:
        child = _job_children[key] = JOBS_PROCESSED.labels(kind=kind, outcome=outcome)
    return child


def webhook_delivery_observed(outcome: str, seconds: float) -> None:
    """Count one outbound webhook try and its time (children cached per outcome)."""
    child = _delivery_children.get(outcome)
    if child is None:
        child = _delivery_children[outcome] = WEBHOOK_DELIVERIES.labels(outcome=outcome)
    child.inc()
    WEBHOOK_DELIVERY_SECONDS.observe(seconds)


async def measure_loop_lag() -> None:
    """One pass of the event-loop lag probe (run by ``Loops``)."""
    start = time.perf_counter()
    await asyncio.sleep(LOOP_LAG_INTERVAL)
    EVENT_LOOP_LAG_SECONDS.observe(max(0.0, time.perf_counter() - start - LOOP_LAG_INTERVAL))


def recorded_families() -> Iterator[Collector]:
    """Every family above, for an app's registry."""
    yield from (
        WEBHOOK_REQUESTS,
        WEBHOOK_ITEMS_IGNORED,
        INGEST_BATCH_REQUESTS,
        INGEST_COMMIT_SECONDS,
        STATUS_LAG_SECONDS,
        OUTBOX_SEND_SECONDS,
        JOBS_PROCESSED,
        WEBSOCKET_DROPPED,
        EVENT_LOOP_LAG_SECONDS,
        WEBHOOK_DELIVERIES,
        WEBHOOK_DELIVERY_SECONDS,
    )
