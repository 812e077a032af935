"""The product's sections: WhatsApp, backups, audit, flows, AI, queues, notifications and
outbound webhooks."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from pytake_daemon.config.infrastructure import Section


class WhatsAppSettings(Section):
    """The WhatsApp Cloud API: Graph API client, webhook intake, outbox."""

    graph_base_url: str = "https://graph.facebook.com"
    """Base URL of the Graph API; point it at ``pytake simulate`` to run without Meta."""
    api_version: str = Field(default="v23.0", pattern=r"^v[0-9]+\.[0-9]+$")
    """Graph API version used in every call."""
    secrets_key: SecretStr | None = None
    """Fernet key (urlsafe base64, 32 bytes) that encrypts numbers' tokens and app secrets at
    rest. Several keys separated by commas rotate: the first encrypts, all decrypt. When unset,
    a key is generated once into ``<state_dir>/secrets.key`` (mode 0600)."""
    app_secret: SecretStr | None = None
    """App secret accepted for webhook signatures in addition to each number's own."""
    verify_token: SecretStr | None = None
    """Verify token accepted for the webhook handshake in addition to each number's own."""
    webhook_max_bytes: int = Field(default=3 * 1024 * 1024, ge=1024)
    """Largest webhook body accepted (Meta sends up to 3 MB); larger ones get 413."""
    ingest_max_batch: int = Field(default=512, ge=1)
    """Webhook requests committed together in one transaction at most."""
    ingest_writers: int = Field(default=1, ge=1, le=16)
    """Webhook transactions in flight at once (each commits every request waiting for it).

    One is fastest beside a local PostgreSQL: requests gather while its commit is in flight
    and the next commit takes them all. More help only where round trips are slow."""
    ingest_linger_seconds: float = Field(default=0.02, ge=0, le=1)
    """While webhooks keep coming, how long the inbound stage waits after a wake-up before it
    claims, so that one pass stores a few webhooks instead of one (0 claims at once).

    A message after a quiet moment is claimed at once; under a steady stream a pass costs
    nearly as much for one webhook as for ten. At 20 ms (bench/echo.py, three interleaved runs
    each, bench/README.md session 26): daemon and PostgreSQL CPU an echo at 100/s 7.2-9.1
    against 10.4-10.9 ms, at 200/s 4.9-5.1 against 5.6-5.7 ms; the reply's p50 at 100/s
    about 20 ms later."""
    route_refresh_seconds: float = Field(default=10.0, gt=0)
    """How often the phone-number routing table is reloaded (also reloaded on an unknown id)."""
    send_workers: int = Field(default=64, ge=1, le=256)
    """Concurrent Graph API calls per daemon process.

    A send waits for Meta's answer (a few hundred ms from outside its network), so a process
    sends at most about ``send_workers`` / latency messages a second: 4, the old default,
    held every number to 20/s at 200 ms (``bench/echo.py --graph-latency-ms 200``), under a
    number's default tier of 80/s. Pacing is the throttle's (``throughput_mps``), not this."""
    send_max_attempts: int = Field(default=8, ge=1)
    """Attempts of a transient failure before the message is marked failed."""
    send_backoff_seconds: float = Field(default=1.0, gt=0)
    """First retry delay; doubles each attempt (with jitter) up to ``send_backoff_max_seconds``."""
    send_backoff_max_seconds: float = Field(default=300.0, gt=0)
    """Longest delay between two attempts of one message."""
    recipient_interval_seconds: float = Field(default=0.0, ge=0)
    """Least time between two messages to the same customer (Meta's pair limit is about one
    per 6 s sustained, with bursts allowed); 0 leaves pacing to retries on 131056."""
    http_timeout_seconds: float = Field(default=20.0, gt=0)
    """Timeout of one Graph API call."""


class BackupSettings(Section):
    """Backups: storage, age keys, alerts (schedule + retention: pytake backup schedule set)."""

    storage: Literal["local", "s3"] = "local"
    """Where backups go: a local directory or an S3-compatible bucket."""
    local_dir: Path | None = None
    """Directory of local backups; default ``<state_dir>/backups``."""
    s3_bucket: str | None = None
    """Bucket of S3 backups (with storage set to "s3")."""
    s3_prefix: str = "pytake/"
    """Key prefix inside the bucket."""
    s3_endpoint_url: str | None = None
    """Endpoint of an S3-compatible service (MinIO, Ceph, ...); unset for AWS."""
    s3_region: str | None = None
    """Region of the bucket."""
    s3_access_key_id: SecretStr | None = None
    """Access key; unset uses boto3's usual chain (environment, instance role, ...)."""
    s3_secret_access_key: SecretStr | None = None
    """Secret of the access key above."""
    identities: SecretStr | None = None
    """age secret keys (AGE-SECRET-KEY-1...), comma-separated: the first one's public key
    encrypts new backups, every one decrypts (rotation: put the new key first, keep the old)."""
    identity_file: Path | None = None
    """File of age secret keys, one per line, first one current (the format of
    ``age-keygen``). Without this or ``identities`` a key is generated once into
    ``<state_dir>/backup-identity.txt`` (0600): copy it somewhere safe, off this machine."""
    recipients: list[str] = []
    """Extra age public keys (age1...) every backup is also encrypted to, e.g. an offline
    escrow key kept in a safe."""
    compression_level: int = Field(default=3, ge=1, le=19)
    """zstd level; 3 compresses a dump about 4x at several hundred MB/s."""
    overdue_grace_minutes: int = Field(default=60, ge=1)
    """A scheduled backup counts as overdue this long after the slot it should have filled."""
    maintenance_grace_seconds: float = Field(default=1.5, ge=0)
    """How long an in-place restore waits after switching maintenance mode on before touching
    data, so every daemon has noticed (they re-read the flag every second)."""


class AuditSettings(Section):
    """The audit log: retention, signed checkpoints, security alert thresholds, trends."""

    retention_days: int = Field(default=365, ge=1)
    """Entries older than this are archived (to a file, with their chain proof) and removed by
    ``pytake audit archive``."""
    checkpoint_key: SecretStr | None = None
    """Ed25519 private key (32 raw bytes, base64) that signs checkpoints of each tenant's chain;
    ``pytake audit keygen`` makes one. Without it no checkpoints are signed."""
    brute_force_failures_per_user: int = Field(default=5, ge=1)
    """Failed logins of one account within the window that raise a brute-force alert."""
    brute_force_failures_per_ip: int = Field(default=20, ge=1)
    """Failed logins from one address within the window that raise a brute-force alert."""
    brute_force_window_seconds: int = Field(default=900, ge=1)
    """Window of the two brute-force thresholds."""
    login_history_days: int = Field(default=90, ge=1)
    """How far back a user's logins count as "usual" (new address, unusual hour)."""
    unusual_hour_min_logins: int = Field(default=10, ge=1)
    """Logins a user needs in the history before an unusual hour is worth an alert."""
    business_hours_start: int = Field(default=8, ge=0, le=23)
    """First hour (local time) of business hours; admin actions outside them alert."""
    business_hours_end: int = Field(default=19, ge=1, le=24)
    """Hour (local time) at which business hours end."""
    business_days: list[int] = [0, 1, 2, 3, 4]
    """Business weekdays, Monday being 0."""
    business_timezone: str = "UTC"
    """IANA time zone of business hours, e.g. ``America/Sao_Paulo``."""
    mass_action_threshold: int = Field(default=20, ge=1)
    """Exports or deletions by one actor within the window that raise a mass-action alert."""
    mass_action_window_seconds: int = Field(default=600, ge=1)
    """Window of the mass-action threshold."""
    trend_weeks: int = Field(default=4, ge=1, le=52)
    """Weeks of the same hour that form an action's baseline."""
    trend_spike_factor: float = Field(default=3.0, gt=1)
    """An action is a spike when its last hour is this many times its baseline..."""
    trend_min_count: int = Field(default=10, ge=1)
    """...and it happened at least this many times in that hour."""


class FlowsSettings(Section):
    """Automation flows: sessions, loops and the http_request node."""

    session_expiry_minutes: int = Field(default=10, ge=1)
    """Idle minutes after which a flow session ends (a flow may set its own)."""
    max_steps_per_message: int = Field(default=50, ge=1, le=10_000)
    """Nodes one message (or timer) may run, so a misbuilt flow can't loop forever."""
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    """Default timeout of an http_request node."""
    http_max_response_bytes: int = Field(default=1024 * 1024, ge=1024)
    """Larger responses take the node's error branch."""
    http_allowed: list[str] = []
    """Hosts or networks (CIDR) http_request may call although they are private or local."""


class AiSettings(Section):
    """Message analysis, alerts and suggestions: defaults each tenant may override."""

    enabled: bool = True
    """Analyse every inbound text message after the webhook's commit."""
    languages: list[Literal["pt", "en"]] = Field(default=["pt", "en"], min_length=1)
    """Languages messages are detected among."""
    default_language: Literal["pt", "en"] = "pt"
    """Language of a conversation's first message when it is too short to tell."""
    intent_threshold: float = Field(default=0.3, ge=0, le=1)
    """Below this classifier confidence the intent is "unknown"."""
    strongly_negative: float = Field(default=-0.6, ge=-1, le=0)
    """A message at or below this sentiment score raises the strongly_negative alert."""
    trend_messages: int = Field(default=3, ge=2, le=20)
    """Customer messages the worsening_trend rule looks back over."""
    trend_drop: float = Field(default=0.8, gt=0, le=2)
    """Fall of the sentiment score within those messages that raises worsening_trend."""
    long_wait_minutes: float = Field(default=15.0, gt=0)
    """A negative message from a customer waiting this long for an answer raises
    long_wait_negative."""
    human_request_minutes: float = Field(default=5.0, gt=0)
    """A request for a human unanswered this long raises human_request_ignored."""
    alert_rules: list[
        Literal[
            "strongly_negative",
            "worsening_trend",
            "cancel_or_complaint",
            "long_wait_negative",
            "human_request_ignored",
        ]
    ] = [
        "strongly_negative",
        "worsening_trend",
        "cancel_or_complaint",
        "long_wait_negative",
        "human_request_ignored",
    ]
    """Rules that raise alerts."""
    suggestion_sources: list[Literal["canned", "snippet", "builtin"]] = [
        "canned",
        "snippet",
        "builtin",
    ]
    """Where reply suggestions come from (builtin: replies shipped with PyTake)."""
    workers: int = Field(default=1, ge=1, le=16)
    """Threads that run the models, off the event loop (and the model processes, below)."""
    process: bool = True
    """Analyse customer messages in a process of the daemon's own (ai/batch_models.py): the
    models then never hold the interpreter the event loop needs. false: in the threads."""
    batch_wait_seconds: float = Field(default=0.05, ge=0, le=5)
    """After a customer message, how long the analysis waits for others to analyse with it in
    one batch (one transaction; the reply never waits for it). 0: at once."""


class QueuesSettings(Section):
    """Human queues: automatic distribution, the sweep, presence and satisfaction ratings."""

    distributors: int = Field(default=2, ge=1, le=32)
    """Distribution tasks per daemon process (they share work safely with other processes)."""
    batch: int = Field(default=25, ge=1, le=1000)
    """Items one distribution transaction assigns at most (it locks as many agents at most,
    so smaller batches let more distributors work side by side)."""
    sweep_seconds: float = Field(default=2.0, gt=0)
    """How often every process looks for work it wasn't told about: items queued by other
    processes, wait timeouts, position updates, consoles gone."""
    presence_grace_seconds: float = Field(default=60.0, gt=0)
    """An online agent whose console (WebSocket) is gone this long is set away."""
    aggregation_minute: int = Field(default=5, ge=0, le=59)
    """Minute of each hour at which the previous hour is aggregated into queue_metrics."""
    satisfaction_template: str | None = None
    """Approved template (``name:language``, e.g. ``csat_rating:pt_BR``) that asks for a rating
    outside the 24-hour window; without it no rating is asked there."""


class NotificationsSettings(Section):
    """The notification center's fan-out, e-mail channel and retention (docs/notifications.md)."""

    fanout: bool = True
    """Turn committed events into notifications (off: no new notifications at all; the
    benchmark's baseline)."""

    email_attempts: int = Field(default=5, ge=1, le=20)
    """Tries per e-mail before it counts as failed (and admins get a system notification)."""
    email_backoff_seconds: float = Field(default=2.0, gt=0)
    """Wait after the first failed try; it doubles after each one (jittered), up to the max."""
    email_backoff_max_seconds: float = Field(default=60.0, gt=0)
    """Longest wait between two tries."""
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    """Connect and per-command timeout of the SMTP client."""
    mail_poll_seconds: float = Field(default=30.0, gt=0)
    """How often e-mails waiting (digests, other processes' work, a crash's leftovers) are
    looked for; new notifications wake the mailer at once."""
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)
    """How often notifications past their tenant's retention are pruned."""


class OutboundWebhooksSettings(Section):
    """Deliveries to other systems' endpoints (docs/webhooks.md)."""

    enabled: bool = True
    """Gather events and deliver them (off: nothing is queued or sent by this process)."""
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    """A receiver that has not answered by then is retried later."""
    retry_hours: float = Field(default=24.0, gt=0, le=168)
    """How long a delivery is retried before it becomes a dead letter."""
    backoff_seconds: float = Field(default=10.0, gt=0)
    """Wait after the first failed try; it doubles after each one (jittered), up to the max."""
    backoff_max_seconds: float = Field(default=3600.0, gt=0)
    """Longest wait between two tries."""
    concurrency: int = Field(default=32, ge=1, le=1000)
    """Deliveries in flight at once in this process."""
    per_endpoint_concurrency: int = Field(default=4, ge=1, le=100)
    """Tries in flight to one endpoint past which claims skip it, so a slow receiver never
    takes every slot (one claim may start a few more before it counts as busy)."""
    http_allowed: list[str] = []
    """Hosts or networks (CIDR) endpoints may point at although they are private or local."""
