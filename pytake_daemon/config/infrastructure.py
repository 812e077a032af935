"""The infrastructure sections: the HTTP server, PostgreSQL, Redis, the embedded stack, sign-in,
the realtime bus, metrics and logs."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class Section(BaseModel):
    # Attribute docstrings become field descriptions: ``pytake config example`` prints them.
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class ServerSettings(Section):
    """Where the HTTP API listens."""

    host: str = "127.0.0.1"
    """Address to bind; keep loopback behind a reverse proxy."""
    port: int = Field(default=8420, ge=0, le=65535)
    """TCP port of the REST API and WebSocket (0 picks a free port, for tests)."""
    shutdown_timeout: float = Field(default=10.0, gt=0)
    """Seconds SIGTERM waits for in-flight requests before closing them."""
    trusted_proxies: list[str] = []
    """Addresses or networks (``127.0.0.1``, ``10.0.0.0/24``) of the reverse proxies whose
    X-Forwarded-For is believed (its last entry, the one the proxy wrote) when recording a
    client's address; from any other peer the header is ignored."""
    tls_cert: Path | None = None
    """PEM certificate chain: with ``tls_key``, the daemon serves HTTPS itself (a single-box
    install without a proxy; see docs/tls.md)."""
    tls_key: Path | None = None
    """PEM private key of ``tls_cert`` (unencrypted; readable by the daemon's user only)."""
    role: Literal["all", "web", "jobs"] = "all"
    """What this process does (docs/operations.md, "Process roles"): ``all``, everything in one
    process; ``web``, the REST API, WebSocket and webhook acknowledgements; ``jobs``, the job
    claimers, outbox sender, sweepers, schedulers and AI, with only /healthz, /readyz and
    /metrics on its port. Run one ``jobs`` beside the ``web`` processes: one Python process uses
    one core, and the acknowledgements no longer share it with the follow-up work."""
    nice: int = Field(default=0, ge=0, le=19)
    """CPU priority the process lowers itself to at start (``nice`` 0-19). A ``jobs`` process at
    10 beside an un-niced ``web`` keeps acknowledgements first under a burst: the follow-up work
    takes what CPU the webhooks leave."""

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> ServerSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: set both or neither")
        return self

    public_url: str | None = None
    """Address Meta reaches this daemon at (``https://chat.example.com``); ``pytake doctor``
    runs the webhook's verify-token handshake through it."""


class DatabaseSettings(Section):
    """PostgreSQL. Without ``url`` the embedded cluster under ``state_dir`` is used."""

    url: SecretStr | None = None
    """DSN of the daemon's own role: not the owner of the tables, no BYPASSRLS."""
    admin_url: SecretStr | None = None
    """DSN of the owner role (BYPASSRLS) for migrations and cross-tenant admin commands."""
    app_role: str = "pytake_app"
    """Name of the non-owner role the daemon connects as; migrations grant to it."""
    pool_min_size: int = Field(default=2, ge=0)
    """Connections kept open."""
    pool_max_size: int = Field(default=10, ge=1)
    """Connections at most, per daemon process."""
    command_timeout: float = Field(default=30.0, gt=0)
    """Seconds one statement may run before it is cancelled."""
    statement_cache_size: int = Field(default=100, ge=0)
    """Prepared statements each connection keeps. 0 behind PgBouncer in transaction mode
    (Debian's 1.18 doesn't carry prepared statements across server connections: with the
    cache on, 1,869 of 2,000 concurrent queries failed; docs/operations.md)."""
    auto_migrate: bool = True
    """Apply pending migrations when the daemon starts (under an advisory lock)."""


class RedisSettings(Section):
    """Redis. Without ``url`` the embedded server under ``state_dir`` is used."""

    url: SecretStr | None = None
    """For example ``redis://:password@host:6379/0`` or ``unix:///run/redis.sock``."""
    key_prefix: str = "pytake:"
    """Prefix of every key and channel, so several installations may share a server."""


class EmbeddedSettings(Section):
    """The private PostgreSQL and Redis the daemon starts when no URLs are configured."""

    run_as_user: str = "postgres"
    """Unprivileged system user that runs the servers when PyTake runs as root."""
    postgres_bindir: Path | None = None
    """Directory with ``initdb`` and ``postgres``; found automatically when unset."""
    redis_server: Path | None = None
    """Path of ``redis-server``; found on PATH when unset."""
    database: str = "pytake"
    """Name of the database created in the embedded cluster."""


class AuthSettings(Section):
    """Passwords, sessions, tokens and login throttling."""

    session_ttl_minutes: int = Field(default=12 * 60, ge=1)
    """Lifetime of a login session token."""
    api_token_max_ttl_days: int = Field(default=366, ge=1)
    """Upper bound for API tokens' lifetime."""
    argon2_memory_kib: int = Field(default=19 * 1024, ge=19 * 1024)
    """argon2id memory cost; OWASP's minimum is 19 MiB."""
    argon2_time_cost: int = Field(default=2, ge=2)
    """argon2id iterations; OWASP's minimum with 19 MiB is 2."""
    argon2_parallelism: int = Field(default=1, ge=1)
    """argon2id lanes."""
    login_max_failures_per_user: int = Field(default=5, ge=1)
    """Failed logins for one e-mail within the window before it is throttled."""
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    """Failed logins from one address within the window before it is throttled."""
    login_window_seconds: int = Field(default=900, ge=1)
    """Window of the two limits above."""
    api_token_rate_per_minute: int = Field(default=600, ge=1)
    """Requests a minute one API token may make (a token's own limit overrides it); more get a
    429 with Retry-After. Login sessions are not limited by this."""


class RealtimeSettings(Section):
    """The WebSocket hub."""

    client_queue_size: int = Field(default=4096, ge=1)
    """Events buffered for one client; a client that falls this far behind is disconnected.
    A fan-out batch or a webhook batch announces hundreds of events at once (256 dropped healthy
    clients under bench/order.py's load)."""
    heartbeat_seconds: float = Field(default=25.0, gt=0)
    """WebSocket ping interval; a peer that doesn't answer is dropped."""
    reorder_hold_seconds: float = Field(default=1.0, ge=0, le=5)
    """How long an event that arrived before an earlier-numbered one waits for it before going
    out anyway (clients then resync on the gap). Only a gap waits: in order, nothing is held.
    With two loaded replicas a batch from the other one arrived up to ≈ 430 ms late
    (bench/order.py), which 0.25 s turned into resyncs."""


class MetricsSettings(Section):
    """``GET /metrics`` (Prometheus text format) on the API's own listener."""

    token: SecretStr | None = None
    """Bearer token a scraper must present (Prometheus: ``authorization.credentials_file``).
    Without it ``/metrics`` answers 404: figures of every tenant are not for API users."""
    alert_seconds: float = Field(default=30.0, ge=0)
    """How often the daemon samples the System screen's figures and tells every tenant's admins
    when one crosses its threshold (once per crossing, docs/operations.md); 0 turns it off."""


class LoggingSettings(Section):
    """Logs go to stderr (journald under systemd)."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    """Lowest level written."""
    format: Literal["json", "console"] = "json"
    """``json`` for machines (one object per line), ``console`` for humans."""
