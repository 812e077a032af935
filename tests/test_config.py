"""Settings: TOML + environment, masking, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytake_daemon.config import ConfigError, example_toml, load_settings, masked


def test_example_file_documents_every_setting(repo_root: Path) -> None:
    # Regenerate with: pytake config example > config/pytake.example.toml
    assert (repo_root / "config" / "pytake.example.toml").read_text() == example_toml()


def test_example_file_loads_when_uncommented(tmp_path: Path) -> None:
    lines = []
    for line in example_toml().splitlines():
        if line.startswith("# ") and " = " in line and not line.endswith("="):
            lines.append(line[2:])
        elif line.startswith("["):
            lines.append(line)
    path = tmp_path / "full.toml"
    path.write_text("\n".join(lines) + "\n")
    settings = load_settings(path)
    assert settings.server.port == 8420


def test_environment_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pytake.toml"
    path.write_text('[server]\nport = 9000\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("PYTAKE_SERVER__PORT", "9100")
    settings = load_settings(path)
    assert settings.server.port == 9100
    assert settings.server.host == "0.0.0.0"


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTAKE_DATABASE__URL", "postgresql://app:hunter2@db/pytake")
    settings = load_settings(None)
    shown = masked(settings)
    assert shown["database"]["url"] == "**********"
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(shown)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[server]\nport = "abc"\n', "server.port: Input should be a valid integer"),
        ("[server]\nport = 70000\n", "server.port: Input should be less than or equal to 65535"),
        ("[servre]\nport = 1\n", "servre: Extra inputs are not permitted"),
        ("[server\n", "Expected ']'"),
        ("[auth]\nargon2_memory_kib = 1024\n", "auth.argon2_memory_kib"),
    ],
)
def test_invalid_file_is_one_clear_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert expected in message


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")
