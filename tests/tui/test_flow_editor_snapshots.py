"""Snapshots of the flow list and editor at 80x24, with fixed flows and clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from pytake_tui.screens.flow_editor import FlowEditor
from pytake_tui.widgets.flow_graph import FlowGraph
from pytake_tui.widgets.node_form import NodeForm

from .chat_support import still_cursors
from .flow_fake import FlowWorld, flow_app, segment
from .helpers import wait_until
from .test_flow_editor import open_flows

SIZE = (80, 24)


def _world() -> FlowWorld:
    world = FlowWorld()
    world.add(segment("retail"), published=1)
    world.add(segment("clinic"))
    return world


async def _open_retail(pilot: Pilot[Any]) -> FlowEditor:
    await open_flows(pilot, 2)
    await pilot.press("enter")
    editor = pilot.app.screen.query_one(FlowEditor)
    await wait_until(pilot, lambda: editor.flow is not None and editor.display, "retail open")
    await pilot.pause()
    return editor


def test_flow_list(snap_compare: Any, tmp_path: Path) -> None:
    """Name, status, latest and published version, last change."""

    async def ready(pilot: Pilot[Any]) -> None:
        await open_flows(pilot, 2)
        await pilot.pause()

    assert snap_compare(flow_app(tmp_path, _world()), run_before=ready, terminal_size=SIZE)


def test_flow_graph_of_a_segment_flow(snap_compare: Any, tmp_path: Path) -> None:
    """The retail flow: the ask's three branches, the condition's two, scrolled to `menu`."""

    async def ready(pilot: Pilot[Any]) -> None:
        editor = await _open_retail(pilot)
        await pilot.press("down", "down")
        await wait_until(
            pilot, lambda: editor.query_one(FlowGraph).selected == "menu", "menu selected"
        )
        await pilot.pause()

    assert snap_compare(flow_app(tmp_path, _world()), run_before=ready, terminal_size=SIZE)


def test_node_form_with_a_validation_error(snap_compare: Any, tmp_path: Path) -> None:
    """Editing `hello` with its text cleared: the error under the field, Apply disabled."""

    async def ready(pilot: Pilot[Any]) -> None:
        await _open_retail(pilot)
        await pilot.press("down", "e")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NodeForm), "the form")
        form = pilot.app.screen
        assert isinstance(form, NodeForm)
        form.query_one("#field-text", Input).value = ""
        await wait_until(pilot, lambda: "text" in form.errors, "the error")
        still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(flow_app(tmp_path, _world()), run_before=ready, terminal_size=SIZE)


def test_test_panel_with_the_path_lit(snap_compare: Any, tmp_path: Path) -> None:
    """A test conversation: the transcript beside the graph, which follows it to `order`."""

    async def ready(pilot: Pilot[Any]) -> None:
        editor = await _open_retail(pilot)
        await pilot.press("t")
        for line in ("oi", "pedido"):
            for char in line:
                await pilot.press(char)
            await pilot.press("enter")
            await wait_until(pilot, lambda: editor.result is not None, "a result")
        await wait_until(
            pilot,
            lambda: editor.query_one(FlowGraph).path.nodes[-1:] == ("order",),
            "the path to order",
        )
        still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(flow_app(tmp_path, _world()), run_before=ready, terminal_size=SIZE)
