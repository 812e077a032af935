"""Snapshots of the configuration transfer screen at 160x48 and 80x24: a previewed diff, and
a file with problems listed by path. Fixed document and answers, relative paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from .config_transfer_support import DOCUMENT, host, previewed

DIRECTORY = Path("exports")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The screen's paths are relative, so the snapshots don't show a temporary directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / DIRECTORY).mkdir()
    return tmp_path


@pytest.mark.parametrize("size", [(160, 48), (80, 24)], ids=["160x48", "80x24"])
def test_preview_diff(snap_compare: Any, workdir: Path, size: tuple[int, int]) -> None:
    """Created, changed (with what differs), unchanged and would-delete rows; Apply enabled."""
    (workdir / DIRECTORY / "acme-config.yaml").write_text(DOCUMENT, encoding="utf-8")

    async def ready(pilot: Pilot[Any]) -> None:
        await previewed(pilot)

    assert snap_compare(host(DIRECTORY), run_before=ready, terminal_size=size)


@pytest.mark.parametrize("size", [(160, 48), (80, 24)], ids=["160x48", "80x24"])
def test_problems_by_path(snap_compare: Any, workdir: Path, size: tuple[int, int]) -> None:
    """Every problem of the file at its path; nothing to apply."""
    (workdir / DIRECTORY / "acme-config.yaml").write_text("bad: file\n", encoding="utf-8")

    async def ready(pilot: Pilot[Any]) -> None:
        await previewed(pilot)

    assert snap_compare(host(DIRECTORY), run_before=ready, terminal_size=size)
