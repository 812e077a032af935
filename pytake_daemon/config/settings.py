"""The settings root and how it is read: TOML file, then ``PYTAKE_*`` environment (which wins)."""

from __future__ import annotations

import contextvars
import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

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
    ServerSettings,
)

CONFIG_ENV = "PYTAKE_CONFIG"
SYSTEM_CONFIG = Path("/etc/pytake/pytake.toml")


def default_state_dir() -> Path:
    """``/var/lib/pytake`` for root (systemd's StateDirectory), the XDG state dir otherwise."""
    if os.geteuid() == 0:
        return Path("/var/lib/pytake")
    return Path(platformdirs.user_state_dir("pytake"))


class Settings(BaseSettings):
    """Every setting of the daemon and the CLI."""

    model_config = SettingsConfigDict(
        env_prefix="PYTAKE_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
        use_attribute_docstrings=True,
    )

    state_dir: Path = Field(default_factory=default_state_dir)
    """Where the embedded stack and other local state live. Default: /var/lib/pytake for root
    (systemd's StateDirectory), else $XDG_STATE_HOME/pytake (~/.local/state/pytake)."""
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    embedded: EmbeddedSettings = EmbeddedSettings()
    auth: AuthSettings = AuthSettings()
    realtime: RealtimeSettings = RealtimeSettings()
    whatsapp: WhatsAppSettings = WhatsAppSettings()
    flows: FlowsSettings = FlowsSettings()
    backups: BackupSettings = BackupSettings()
    audit: AuditSettings = AuditSettings()
    ai: AiSettings = AiSettings()
    queues: QueuesSettings = QueuesSettings()
    notifications: NotificationsSettings = NotificationsSettings()
    outbound_webhooks: OutboundWebhooksSettings = OutboundWebhooksSettings()
    metrics: MetricsSettings = MetricsSettings()
    logging: LoggingSettings = LoggingSettings()

    @property
    def uses_embedded_postgres(self) -> bool:
        return self.database.url is None

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis.url is None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _toml_path_var.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


class ConfigError(Exception):
    """The configuration can't be used; the message is one line naming the field."""


# pydantic-settings builds sources in a classmethod; a context variable hands it the file path
# without making the path itself a setting.
_toml_path_var: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "pytake_toml_path", default=None
)


def config_path(explicit: Path | None = None) -> Path | None:
    """The TOML file to read: ``--config``, then ``$PYTAKE_CONFIG``, then the system file."""
    if explicit is not None:
        return explicit
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    if SYSTEM_CONFIG.exists():
        return SYSTEM_CONFIG
    return None


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings, raising :class:`ConfigError` with one clear line when they're wrong."""
    toml = config_path(path)
    if toml is not None and not toml.is_file():
        raise ConfigError(f"config file {toml}: not found")
    token = _toml_path_var.set(toml)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, toml)) from None
    except ValueError as exc:  # TOML syntax errors arrive as tomllib.TOMLDecodeError
        where = f"config file {toml}" if toml else "configuration"
        raise ConfigError(f"{where}: {exc}") from None
    finally:
        _toml_path_var.reset(token)


def _describe(exc: ValidationError, toml: Path | None) -> str:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(root)"
    where = f"config file {toml}" if toml else "configuration"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {field}: {first['msg']}{more}"


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets replaced by ``**********``."""
    return settings.model_dump(mode="json")
