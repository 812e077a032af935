"""One naming rule for the CLI's modules: a command lives in the module named by its group's
path (``pytake queues list`` in ``queues.py``, ``pytake report schedule add`` in
``report_schedule.py``, a top-level command such as ``pytake doctor`` in ``doctor.py``), or in a
sibling named ``<that path>_<topic>`` holding some of the group's commands apart
(``backup_restore.py``); and no module carries a ``_cmd`` suffix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer

from pytake_cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def _commands(group: typer.Typer, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    for info in group.registered_commands:
        assert info.callback is not None
        name = info.name or info.callback.__name__.replace("_", "-")
        yield (*path, name), info.callback.__module__
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        assert sub.name is not None
        yield from _commands(sub.typer_instance, (*path, sub.name))


def test_every_command_lives_in_the_module_its_path_names() -> None:
    wrong = []
    for path, module in _commands(app, ()):
        home = "pytake_cli." + "_".join(p.replace("-", "_") for p in (path[:-1] or path))
        if module != home and not module.startswith(home + "_"):
            wrong.append(f"pytake {' '.join(path)}: {module} (expected {home}[_<topic>])")
    assert wrong == []


def test_no_module_has_a_suffix_for_what_it_is() -> None:
    assert sorted(p.name for p in (ROOT / "pytake_cli").glob("*_cmd.py")) == []
