"""``pytake simulate``: one-line errors with the right exit codes, load and script from the CLI,
and a served simulator that stops cleanly on SIGTERM.

CLI commands call ``asyncio.run`` themselves, so these tests are plain functions.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pytake_cli.main import app

runner = CliRunner()
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
DEAD_WEBHOOK = "http://127.0.0.1:9/webhook"  # the discard port: nothing listens


def one_line_error(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr
    lines = _ANSI.sub("", result.stderr).strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    path = tmp_path / "sim.toml"
    path.write_text(
        "[delivery]\nretry_base = 0.01\nretry_cap = 0.01\nmax_attempts = 2\ntimeout = 1\n"
        "[timing]\nsent_delay = 0\ndelivered_delay = 0\n"
    )
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_help_lists_the_subcommands() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    for command in ("serve", "script", "load"):
        assert command in result.output


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[delivery]\ntimeout = -1\n", "delivery.timeout"),
        ("port = 'eighty'\n", "port"),
        ("colour = 'red'\n", "colour"),
        ("this is not toml", "invalid TOML"),
    ],
)
def test_bad_config_is_one_line_exit_2(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    line = one_line_error(runner.invoke(app, ["simulate", "serve", "--config", str(path)]), 2)
    assert fragment in line


def test_missing_config_file(tmp_path: Path) -> None:
    line = one_line_error(
        runner.invoke(app, ["simulate", "--config", str(tmp_path / "nope.toml")]), 2
    )
    assert "nope.toml" in line


def test_port_in_use(busy_port: int) -> None:
    line = one_line_error(runner.invoke(app, ["simulate", "serve", "--port", str(busy_port)]), 1)
    assert f"cannot listen on 127.0.0.1:{busy_port}" in line


def test_load_report(fast_config: Path) -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "load",
            "--customers",
            "2",
            "--rate",
            "100",
            "--duration",
            "0.05",
            "--port",
            "0",
            "--webhook-url",
            DEAD_WEBHOOK,
            "--config",
            str(fast_config),
            "--drain-timeout",
            "5",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output + result.stderr
    report = json.loads(result.stdout)
    assert (report["sent"], report["acknowledged"], report["failed_deliveries"]) == (5, 0, 5)
    assert report["delivery_attempts"] == 10


def test_load_bad_option() -> None:
    line = one_line_error(runner.invoke(app, ["simulate", "load", "--type", "hologram"]), 2)
    assert "message_type" in line


def test_script_failure_is_one_line_exit_1(tmp_path: Path, fast_config: Path) -> None:
    script = tmp_path / "chat.toml"
    script.write_text(
        'customer = "5511999990001"\n'
        '[[steps]]\nsay = "anyone there?"\n'
        '[[steps]]\nexpect = { type = "text", timeout = 0.2 }\n'
    )
    result = runner.invoke(
        app,
        [
            "simulate",
            "script",
            str(script),
            "--port",
            "0",
            "--webhook-url",
            DEAD_WEBHOOK,
            "--config",
            str(fast_config),
        ],
    )
    line = one_line_error(result, 1)
    assert line == (
        "error: script failed: step 2 (expect text): expected text, nothing arrived in 0.2s"
    )


def test_invalid_script_is_exit_2(tmp_path: Path) -> None:
    script = tmp_path / "chat.toml"
    script.write_text('customer = "not-a-number"\n[[steps]]\nwait = 1\n')
    line = one_line_error(runner.invoke(app, ["simulate", "script", str(script)]), 2)
    assert "customer" in line


def test_serve_prints_the_fake_identifiers_and_stops_on_sigterm() -> None:
    pytake = Path(sys.executable).with_name("pytake")
    process = subprocess.Popen(
        [str(pytake), "simulate", "--port", "0", "--webhook-url", DEAD_WEBHOOK],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"COLUMNS": "200", "PATH": ""},
    )
    try:
        assert process.stdout is not None
        # Seven banner lines; readline returns "" at EOF, so a crash can't hang the test.
        banner = "".join(process.stdout.readline() for _ in range(7))
        for fake in ("100000000000001", "sim-access-token", "sim-app-secret", "sim-verify-token"):
            assert fake in banner
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopping" in out
    assert "Traceback" not in err
