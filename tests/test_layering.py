"""Layering rules: the wire protocol and the TUI stay free of server code, and the typed keys
load no domain.

import-linter checks the static import graph; these tests check what really gets imported at run
time, which also catches imports hidden in package ``__init__`` files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SERVER_MODULES = ("aiohttp.web", "asyncpg", "redis")


def _modules_after_import(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(out))


@pytest.mark.parametrize("module", ["pytake_daemon.protocol", "pytake_tui.app"])
def test_no_server_code_imported(module: str) -> None:
    loaded = _modules_after_import(module)
    leaked = sorted(
        m for m in loaded if m.split(".")[0] in {"asyncpg", "redis"} or m in SERVER_MODULES
    )
    assert leaked == []


def test_tui_imports_only_the_protocol_from_the_daemon() -> None:
    loaded = _modules_after_import("pytake_tui.app")
    daemon = sorted(
        m
        for m in loaded
        if m.startswith("pytake_daemon.") and not m.startswith("pytake_daemon.protocol")
    )
    assert daemon == []


def test_a_small_helper_loads_no_domain() -> None:
    # keys.py names every domain's classes for type checking only; importing them at run time
    # made this 22-line helper load most of the daemon (scikit-learn and boto3 among it).
    loaded = _modules_after_import("pytake_daemon.http.client_ip")
    daemon = sorted(m for m in loaded if m.startswith("pytake_daemon."))
    assert daemon == ["pytake_daemon.http", "pytake_daemon.http.client_ip", "pytake_daemon.keys"]
    assert not {m.split(".")[0] for m in loaded} & {"sklearn", "boto3", "asyncpg"}


def test_import_linter_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
