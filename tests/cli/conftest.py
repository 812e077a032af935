"""What the CLI tests share: the environment that points ``pytake`` at this session's servers."""

from __future__ import annotations

import pytest

from pytake_daemon.config import Settings
from tests.support import CliEnv, cli_environment

Env = CliEnv


@pytest.fixture
def cli_env(settings: Settings) -> Env:
    """The session's servers, and no other PYTAKE_* setting from the outer environment."""
    return cli_environment(settings)
