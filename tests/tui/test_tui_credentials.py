"""The saved-session file: private, per server, and expired tokens ignored."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pytake_tui.credentials import CredentialStore, SavedSession

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def _session(server: str, expires_at: datetime, token: str = "secret") -> SavedSession:
    return SavedSession(server=server, token=token, expires_at=expires_at, email="a@example.com")


def test_saved_file_and_directory_are_private(credentials_path: Path) -> None:
    CredentialStore(credentials_path).save(_session("http://a", NOW + timedelta(hours=1)))
    assert stat.S_IMODE(credentials_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials_path.parent.stat().st_mode) == 0o700
    assert not list(credentials_path.parent.glob(".*.tmp"))


def test_sessions_are_kept_per_server(credentials_path: Path) -> None:
    store = CredentialStore(credentials_path)
    store.save(_session("http://a", NOW + timedelta(hours=1), token="ta"))
    store.save(_session("http://b", NOW + timedelta(hours=1), token="tb"))
    loaded_a, loaded_b = store.load("http://a", now=NOW), store.load("http://b", now=NOW)
    assert loaded_a is not None
    assert loaded_b is not None
    assert (loaded_a.token, loaded_b.token) == ("ta", "tb")
    assert store.last_server() == "http://b"

    store.forget("http://a")
    assert store.load("http://a", now=NOW) is None
    assert store.load("http://b", now=NOW) is not None


def test_expired_token_is_ignored_but_the_email_is_remembered(credentials_path: Path) -> None:
    store = CredentialStore(credentials_path)
    store.save(_session("http://a", NOW - timedelta(seconds=1)))
    assert store.load("http://a", now=NOW) is None
    assert store.email_hint("http://a") == "a@example.com"


def test_missing_or_corrupt_file_counts_as_empty(credentials_path: Path) -> None:
    store = CredentialStore(credentials_path)
    assert store.load("http://a") is None
    credentials_path.parent.mkdir(parents=True)
    credentials_path.write_text("{not json")
    assert store.load("http://a") is None
    assert store.last_server() is None
    store.save(_session("http://a", NOW + timedelta(days=1)))
    assert store.load("http://a", now=NOW) is not None
