"""Charts' value axes and the system and backup figures in the reader's number format: plotext
would write "2.5" whatever the language."""

from __future__ import annotations

import pytest

from pytake_i18n import use_language
from pytake_tui import backup_view
from pytake_tui.chart_axis import value_ticks
from pytake_tui.system_view import reading

from .system_support import figures


@pytest.mark.parametrize(
    ("language", "score", "counts"),
    [
        ("en", ["-1.0", "-0.5", "0.0", "0.5", "1.0"], ["0", "500", "1,000"]),
        ("pt_BR", ["-1,0", "-0,5", "0,0", "0,5", "1,0"], ["0", "500", "1.000"]),
    ],
)
def test_a_value_axis_is_labelled_the_readers_way(
    language: str, score: list[str], counts: list[str]
) -> None:
    with use_language(language):
        assert value_ticks(-1, 1) == ([-1.0, -0.5, 0.0, 0.5, 1.0], score)
        assert value_ticks(0, 1234, whole=True) == ([0.0, 500.0, 1000.0], counts)


def test_counts_never_get_a_fraction_between_ticks() -> None:
    values, labels = value_ticks(0, 1, whole=True)
    assert values == [0.0, 1.0]
    assert labels == ["0", "1"]


def test_the_system_load_and_the_backup_figures() -> None:
    current = figures(1)
    load = current.host.load_1m
    with use_language("pt_BR"):
        detail = reading(None, current)["host.cpu"].detail
        assert detail.endswith(f"carga {load:.2f}".replace(".", ","))
        assert backup_view.duration(4.25) == "4,2 s"
        assert backup_view.size(3 * 1024**2 + 300 * 1024) == "3,3 MiB"
    with use_language("en"):
        assert reading(None, current)["host.cpu"].detail.endswith(f"load {load:.2f}")
        assert backup_view.duration(4.25) == "4.2 s"
