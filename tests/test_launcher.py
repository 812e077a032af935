"""scripts/install-launcher.sh: `pytake` runnable from a new shell after scripts/up.sh."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def _install(repo_root: Path, directory: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTAKE_LAUNCHER_DIR": str(directory), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(repo_root / "scripts" / "install-launcher.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_the_launcher_runs_the_checkouts_pytake_from_a_shell_without_the_venv(
    repo_root: Path, tmp_path: Path
) -> None:
    first = _install(repo_root, tmp_path / "bin")
    assert "pytake is now runnable from any shell" in first.stderr
    # The directory is not on this PATH, so the script says how to add it.
    assert f"{tmp_path / 'bin'} is not on your PATH" in first.stderr

    shell = subprocess.run(
        ["sh", "-c", "pytake --version"],
        env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout.startswith("pytake ")

    again = _install(repo_root, tmp_path / "bin")
    assert "runnable from any shell" not in again.stderr  # idempotent: nothing rewritten
