"""What every ``pytake backup`` command works with: the backup context (the schema brought up to
date first where the command reads the schedule tables), progress bars on stderr, sizes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from pytake_cli.context import Backend, err_console
from pytake_daemon.backups.context import BackupContext, Reporter, SilentReporter


class RichReporter:
    """Progress bars on stderr (stdout stays clean for --json)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def phase(self, description: str, *, total: int | None = None, unit: str = "bytes") -> None:
        if self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(self._task, total=task.completed or 1, completed=task.completed)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


@contextmanager
def reporter(quiet: bool) -> Iterator[Reporter]:
    """Progress bars when stderr is a terminal and the answer isn't --json; else silence."""
    if quiet or not err_console.is_terminal:
        yield SilentReporter()
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        yield RichReporter(progress)


def backup_context(backend: Backend) -> BackupContext:
    """Storage, keys and the owner's DSN, as the daemon's scheduler has them."""
    return BackupContext.build(backend.cfg, backend.endpoints)


async def ready_backup_context(backend: Backend) -> BackupContext:
    """``backup_context`` after the schema is migrated (when allowed) and checked."""
    from pytake_daemon.runtime import prepare_schema

    await prepare_schema(backend.cfg, backend.endpoints)
    return backup_context(backend)


def human_size(n: int | None) -> str:
    """Bytes for people: ``12.3 MiB``; ``—`` when unknown."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
