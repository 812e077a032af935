"""What the CLI tests share: the environment that points ``pytake`` at this session's servers."""

from __future__ import annotations

import os

import pytest

from pytake_daemon.config import Settings

Env = dict[str, str | None]


@pytest.fixture
def cli_env(settings: Settings) -> Env:
    """The session's servers, and no other PYTAKE_* setting from the outer environment."""
    assert settings.database.url is not None
    assert settings.database.admin_url is not None
    assert settings.redis.url is not None
    values: Env = {k: None for k in os.environ if k.startswith("PYTAKE_")}
    values.update(
        PYTAKE_DATABASE__URL=settings.database.url.get_secret_value(),
        PYTAKE_DATABASE__ADMIN_URL=settings.database.admin_url.get_secret_value(),
        PYTAKE_DATABASE__APP_ROLE=settings.database.app_role,
        PYTAKE_REDIS__URL=settings.redis.url.get_secret_value(),
        PYTAKE_REDIS__KEY_PREFIX=settings.redis.key_prefix,
        PYTAKE_STATE_DIR=str(settings.state_dir),
        PYTAKE_LOGGING__LEVEL="warning",
    )
    return values
