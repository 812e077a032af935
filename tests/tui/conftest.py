"""Fixtures for the TUI tests: a fake daemon, a private credentials file, a fixed time zone and
language."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pytake_i18n import set_language

from .css_cache import share_parsed_css
from .fake_daemon import FakeDaemon

share_parsed_css()


@pytest.fixture(autouse=True)
def utc_local_time() -> Iterator[None]:
    """Times on screen are local: pin the zone so snapshots do not depend on the machine."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


@pytest.fixture(autouse=True)
def english_console(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The console in English unless a test's profile says otherwise, whatever the machine's
    locale (the app falls back to LANG when the profile and PYTAKE_LANG name no language)."""
    monkeypatch.setenv("PYTAKE_LANG", "en")
    set_language("en")
    yield
    set_language("en")  # the process default outlives the app; the next test starts in English


@pytest.fixture
def credentials_path(tmp_path: Path) -> Path:
    """A credentials file in a directory that does not exist yet."""
    return tmp_path / "config" / "pytake" / "credentials.json"


@pytest.fixture
async def daemon() -> AsyncIterator[FakeDaemon]:
    fake = FakeDaemon()
    await fake.start()
    yield fake
    await fake.close()
