"""Settings: a TOML file plus ``PYTAKE_*`` environment variables (the environment wins).

Nested fields use ``__`` in the environment: ``PYTAKE_DATABASE__URL``, ``PYTAKE_SERVER__PORT``.
Secrets are ``SecretStr`` and have no defaults here; ``pytake config show`` masks them.

Split by concern: ``infrastructure`` (server, database, redis, embedded, auth, realtime,
metrics, logging sections), ``features`` (the product's sections), ``settings`` (the root and
its loading), ``example`` (the documented TOML). Import from here, as every caller always has.
"""

from __future__ import annotations

from pytake_daemon.config.example import example_toml
from pytake_daemon.config.features import (
    AiSettings,
    AuditSettings,
    BackupSettings,
    FlowsSettings,
    NotificationsSettings,
    OutboundWebhooksSettings,
    QueuesSettings,
    WhatsAppSettings,
)
from pytake_daemon.config.infrastructure import (
    AuthSettings,
    DatabaseSettings,
    EmbeddedSettings,
    LoggingSettings,
    MetricsSettings,
    RealtimeSettings,
    RedisSettings,
    Section,
    ServerSettings,
)
from pytake_daemon.config.settings import (
    CONFIG_ENV,
    SYSTEM_CONFIG,
    ConfigError,
    Settings,
    config_path,
    default_state_dir,
    load_settings,
    masked,
)

__all__ = [
    "CONFIG_ENV",
    "SYSTEM_CONFIG",
    "AiSettings",
    "AuditSettings",
    "AuthSettings",
    "BackupSettings",
    "ConfigError",
    "DatabaseSettings",
    "EmbeddedSettings",
    "FlowsSettings",
    "LoggingSettings",
    "MetricsSettings",
    "NotificationsSettings",
    "OutboundWebhooksSettings",
    "QueuesSettings",
    "RealtimeSettings",
    "RedisSettings",
    "Section",
    "ServerSettings",
    "Settings",
    "WhatsAppSettings",
    "config_path",
    "default_state_dir",
    "example_toml",
    "load_settings",
    "masked",
]
