"""The flow editor: building, saving, publishing and testing a flow with the keyboard; problems
shown where they are; the graph's layout on small graphs; the client against the real daemon."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.flows import (
    End,
    FlowDefinition,
    FlowDocument,
    FlowEdge,
    FlowNode,
    FlowUpdate,
    MsgText,
    TriggerKeyword,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.flow_draft import FlowDraft, lit_path, script_request, script_step
from pytake_tui.flow_drawing import draw
from pytake_tui.flow_layout import compute_layers, layout, neighbour
from pytake_tui.screens.flow_dialogs import ChoiceDialog, ConfirmDialog, PromptDialog
from pytake_tui.screens.flow_editor import FlowEditor
from pytake_tui.screens.flows import FlowsScreen
from pytake_tui.widgets.flow_graph import FlowCanvas, FlowGraph
from pytake_tui.widgets.node_form import NodeForm, form_fields, parse_form
from tests.conftest import ApiClient, MakeTenant

from .flow_fake import FlowWorld, admin, flow_app, segment
from .helpers import MessageLog, wait_until

SIZE = (100, 35)


# ---- Driving the editor -----------------------------------------------------------------------


async def open_flows(pilot: Pilot[Any], rows: int) -> FlowsScreen:
    await wait_until(pilot, lambda: pilot.app.me is not None, "signed in")  # type: ignore[attr-defined]
    await pilot.press("f9")

    def listed() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, FlowsScreen) and screen.query_one(DataTable).row_count == rows

    await wait_until(pilot, listed, f"{rows} flows listed")
    screen = pilot.app.screen
    assert isinstance(screen, FlowsScreen)
    return screen


async def choose(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` in the open choice dialog's filter and take the first match."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceDialog), "a choice")
    for char in text:
        await pilot.press(char)
    await pilot.press("enter")


async def fill_form(pilot: Pilot[Any], **values: str) -> NodeForm:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, NodeForm), "the node form")
    form = pilot.app.screen
    assert isinstance(form, NodeForm)
    for name, value in values.items():
        form.query_one(f"#field-{name}", Input).value = value
    await pilot.pause()
    return form


async def add_node(pilot: Pilot[Any], node_type: str, branch: str | None, **values: str) -> None:
    await pilot.press("a")
    await choose(pilot, node_type)
    if branch is not None:
        await choose(pilot, branch)
    await fill_form(pilot, **values)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, FlowsScreen), "the form closed")


async def new_flow(pilot: Pilot[Any], name: str) -> FlowEditor:
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PromptDialog), "the name prompt")
    for char in name:
        await pilot.press(char)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, FlowsScreen), "the editor")
    editor = pilot.app.screen.query_one(FlowEditor)
    await wait_until(pilot, lambda: editor.display and editor.draft.name == name, "the draft")
    return editor


async def build_three_nodes(pilot: Pilot[Any]) -> FlowEditor:
    await open_flows(pilot, 0)
    editor = await new_flow(pilot, "boas-vindas")
    await add_node(pilot, "trigger_keyword", None, keywords="oi, olá")
    await add_node(pilot, "msg_text", None, text="Olá! Bem-vindo.")
    await add_node(pilot, "end", "next")
    return editor


async def test_three_node_flow_from_scratch_is_saved_published_and_tested(tmp_path: Path) -> None:
    world = FlowWorld()
    async with flow_app(tmp_path, world).run_test(size=SIZE) as pilot:
        editor = await build_three_nodes(pilot)
        graph = editor.query_one(FlowGraph)
        assert [n.id for n in editor.draft.nodes] == ["trigger_keyword_1", "msg_text_1", "end_1"]
        assert [(e.source, e.branch, e.target) for e in editor.draft.edges] == [
            ("trigger_keyword_1", "next", "msg_text_1"),
            ("msg_text_1", "next", "end_1"),
        ]
        assert graph.selected == "end_1"
        assert graph.graph.layers == (("trigger_keyword_1",), ("msg_text_1",), ("end_1",))

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: editor.flow is not None, "saved")
        assert not editor.draft.dirty

        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: world.flows[0].published == 1, "version 1 published")

        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.focused, Input), "the test input")
        for char in "oi":
            await pilot.press(char)
        await pilot.press("enter")
        await wait_until(pilot, lambda: editor.result is not None, "the test result")
        assert graph.path.nodes == ("trigger_keyword_1", "msg_text_1", "end_1")
        assert ("trigger_keyword_1", "next") in graph.path.edges
        transcript = str(editor.query_one("#transcript-text", Static).content)
        assert "you: oi" in transcript
        assert "bot: Olá! Bem-vindo." in transcript

    flow_id = world.flows[0].id
    assert world.calls == [
        "GET /flows",
        "POST /flows/validate",
        "POST /flows",
        f"POST /flows/{flow_id}/publish",
        f"POST /flows/{flow_id}/test",
    ]
    stored = world.flows[0].versions[0]
    assert [n.type for n in stored.nodes] == ["trigger_keyword", "msg_text", "end"]
    assert world.tests[0].script.steps[0].say == "oi"


async def test_invalid_node_shows_its_error_under_the_field(tmp_path: Path) -> None:
    async with flow_app(tmp_path, FlowWorld()).run_test(size=SIZE) as pilot:
        await open_flows(pilot, 0)
        editor = await new_flow(pilot, "quebrado")
        await pilot.press("a")
        await choose(pilot, "msg_text")
        form = await fill_form(pilot, text="")
        assert str(form.query_one("#error-text", Static).content) == "Required"
        assert form.query_one("#apply", Button).disabled
        await pilot.press("ctrl+s")  # refused: the form stays open
        await pilot.pause()
        assert pilot.app.screen is form
        await fill_form(pilot, id="bad id!", text="ok")
        error_line = str(form.query_one("#error-id", Static).content)
        assert "Does not match the expected format" in error_line
        await fill_form(pilot, id="hi", text="ok")
        assert str(form.query_one("#error-id", Static).content) == ""
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: editor.draft.node("hi") is not None, "the node added")


async def test_graph_problems_name_the_node_and_select_it(tmp_path: Path) -> None:
    world = FlowWorld()
    async with flow_app(tmp_path, world).run_test(size=SIZE) as pilot:
        await open_flows(pilot, 0)
        editor = await new_flow(pilot, "solto")
        await add_node(pilot, "trigger_keyword", None, keywords="oi")
        await add_node(pilot, "msg_text", None, text="Olá")
        graph = editor.query_one(FlowGraph)
        await pilot.press("up")
        assert graph.selected == "trigger_keyword_1"
        await add_node(pilot, "end", "(not connected)")
        graph.select("trigger_keyword_1")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(editor.problems), "the problems")
        assert graph.selected == "end_1"
        assert "end_1" in graph.problems
        shown = str(editor.query_one("#problems", Static).content)
        assert "node end_1" in shown
        assert "POST /flows" not in world.calls
        # Connecting the stray node fixes it; the save goes through.
        graph.select("msg_text_1")
        await pilot.press("c")
        await choose(pilot, "next")
        await choose(pilot, "end_1")
        await wait_until(pilot, lambda: len(editor.draft.edges) == 2, "connected")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: editor.flow is not None, "saved")
        assert not editor.problems


async def test_a_supervisor_is_told_saving_needs_an_admin(tmp_path: Path) -> None:
    world = FlowWorld()
    world.add(segment("retail"))
    me = admin().model_copy(update={"role": Role.SUPERVISOR})
    log = MessageLog()
    app = flow_app(tmp_path, world, me)
    async with app.run_test(size=SIZE, message_hook=log) as pilot:
        await open_flows(pilot, 1)
        await pilot.press("enter")
        editor = pilot.app.screen.query_one(FlowEditor)
        await wait_until(pilot, lambda: editor.flow is not None, "the retail flow open")
        assert editor.query_one(FlowGraph).selected == "start"
        hello = editor.query_one(FlowGraph).graph.boxes["hello"]
        await pilot.click(FlowCanvas, offset=(hello.x + 2, hello.y + 1))
        assert editor.query_one(FlowGraph).selected == "hello"
        await pilot.double_click(FlowCanvas, offset=(hello.x + 2, hello.y + 1))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NodeForm), "hello's form")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, FlowsScreen), "form closed")
        await pilot.press("up")
        await pilot.press("down", "down")
        assert editor.query_one(FlowGraph).selected == "menu"
        await pilot.press("down", "right", "right")
        assert editor.query_one(FlowGraph).selected == "bye"
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: editor.draft.node("bye") is None, "bye removed")
        assert all("bye" not in (e.source, e.target) for e in editor.draft.edges)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any("PUT" in c for c in world.calls), "the refused update")
        await pilot.pause()
    assert any(n.endswith(": Only admins can save flows") for n in log.notifications())


# ---- Layout and draft rules (no Textual) ------------------------------------------------------


def _nodes(*specs: str) -> list[FlowNode]:
    """``id:type`` → minimal valid nodes."""
    made: list[FlowNode] = []
    for spec in specs:
        node_id, node_type = spec.split(":")
        if node_type == "trigger_keyword":
            made.append(TriggerKeyword(id=node_id, keywords=["oi"]))
        elif node_type == "msg_text":
            made.append(MsgText(id=node_id, text="olá"))
        else:
            made.append(End(id=node_id))
    return made


def _edges(*specs: str) -> list[FlowEdge]:
    """``source>target`` or ``source>target@branch``."""
    made: list[FlowEdge] = []
    for spec in specs:
        path, _, branch = spec.partition("@")
        source, target = path.split(">")
        made.append(FlowEdge(source=source, target=target, branch=branch or "next"))
    return made


def test_layers_are_breadth_first_from_the_triggers() -> None:
    nodes = _nodes("b:msg_text", "t:trigger_keyword", "c:end", "d:end", "orphan:end")
    edges = _edges("t>b", "b>c", "b>d@error")
    assert compute_layers(nodes, edges) == [["t", "orphan"], ["b"], ["c", "d"]]


def test_a_chain_is_a_straight_line() -> None:
    nodes = _nodes("t:trigger_keyword", "m:msg_text")
    graph = layout(nodes, _edges("t>m"))
    assert draw(graph, nodes).lines() == [
        "┌──────────────────────┐",
        "│ t                    │",
        "│ keyword: oi          │",
        "└───────────┬──────────┘",
        "            │",
        "            ▼",
        "┌──────────────────────┐",
        "│ m                    │",
        "│ text: olá            │",
        "└──────────────────────┘",
    ]


def test_a_branch_names_its_ports_and_spreads_the_targets() -> None:
    nodes = _nodes("t:trigger_keyword", "m:msg_text", "ok:end", "bad:end")
    graph = layout(nodes, _edges("t>m", "m>ok", "m>bad@error"))
    lines = draw(graph, nodes).lines()
    m = graph.boxes["m"]
    assert lines[m.bottom][m.x :].startswith("└┬next")
    assert "┬error" in lines[m.bottom]
    ok, bad = graph.boxes["ok"], graph.boxes["bad"]
    assert ok.y == bad.y
    assert ok.x < bad.x
    for box in (ok, bad):
        assert lines[box.y - 1][box.center] == "▼"
    assert [r.lane for r in graph.routes] == [None, None, None]


def test_a_loop_goes_round_by_a_lane_right_of_the_boxes() -> None:
    nodes = _nodes("t:trigger_keyword", "m:msg_text", "n:msg_text")
    graph = layout(nodes, _edges("t>m", "m>n", "n>m"))
    back = next(r for r in graph.routes if r.source == "n")
    assert back.lane == 0
    lane_x = back.points[2][0]
    assert all(lane_x >= b.x + b.width for b in graph.boxes.values())
    # Up the lane from below n to above m, and down into m.
    (_, down_y), (_, up_y) = back.points[2], back.points[3]
    assert down_y > graph.boxes["n"].bottom
    assert up_y < graph.boxes["m"].y
    assert back.points[-1] == (graph.boxes["m"].center, graph.boxes["m"].y - 1)
    lines = draw(graph, nodes).lines()
    assert all(lines[y][lane_x] in "│┐┘┌└" for y in range(up_y, down_y + 1))


def test_connectors_never_cross_boxes_nor_run_along_each_other_in_the_segment_flows() -> None:
    for name in ("retail", "clinic", "restaurant", "education", "services"):
        definition = segment(name).definition
        nodes, edges = list(definition.nodes), list(definition.edges)
        graph = layout(nodes, edges)
        drawing = draw(graph, nodes)
        # Connectors may cross, and those into one node may merge; none shares a stretch
        # of line with a connector going elsewhere.
        runs: dict[tuple[int, int, bool], set[str]] = {}
        for route in graph.routes:
            for x, y in _cells(route.points[1:]):
                assert graph.node_at(x, y) is None, (name, route)
            for a, b in itertools.pairwise(route.points):
                for x, y in _cells((a, b)):
                    runs.setdefault((x, y, a[0] == b[0]), set()).add(route.target)
        assert [cell for cell, targets in runs.items() if len(targets) > 1] == [], name
        assert len(graph.boxes) == len(nodes)
        assert max(len(line) for line in drawing.lines()) <= graph.width


def _cells(points: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    cells: list[tuple[int, int]] = []
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        for x in range(min(x1, x2), max(x1, x2) + 1):
            for y in range(min(y1, y2), max(y1, y2) + 1):
                cells.append((x, y))
    return cells


def test_moving_the_selection_follows_connectors_and_layers() -> None:
    definition = segment("retail").definition
    nodes, edges = list(definition.nodes), list(definition.edges)
    graph = layout(nodes, edges)
    assert neighbour(graph, edges, nodes, "menu", "down") == "is_order"
    assert neighbour(graph, edges, nodes, "is_order", "right") == "to_support"
    assert neighbour(graph, edges, nodes, "to_support", "up") == "menu"
    assert neighbour(graph, edges, nodes, "start", "up") == "start"
    box = graph.boxes["order"]
    assert graph.node_at(box.x + 3, box.y + 1) == "order"


def test_draft_edits_keep_edges_consistent() -> None:
    draft = FlowDraft(name="x")
    trigger, text = _nodes("t:trigger_keyword", "m:msg_text")
    draft.add(trigger)
    draft.add(text, "t", "next")
    assert draft.new_id("msg_text") == "msg_text_1"
    draft.replace("m", MsgText(id="hello", text="oi"))
    assert draft.outgoing("t") == {"next": "hello"}
    draft.add(End(id="e"), "hello", "error")
    draft.connect("hello", "error", "hello")
    assert draft.outgoing("hello") == {"error": "hello"}
    draft.remove("hello")
    assert draft.edges == []
    assert draft.dirty
    assert isinstance(draft.update(), FlowUpdate)


def test_form_fields_follow_the_model() -> None:
    kinds = {spec.name: spec.kind for spec in form_fields("ask")}
    assert kinds["validation"] == "choice"
    assert kinds["options"] == "words"
    assert kinds["question"] == "text"
    assert {s.name: s.kind for s in form_fields("condition")}["rules"] == "json"
    node, errors = parse_form("condition", {"id": "c", "rules": "[{"}, {})
    assert node is None
    assert errors["rules"].startswith("not valid JSON")
    node, errors = parse_form(
        "action_transfer_to_queue",
        {"id": "q", "queueId": "a", "queueName": "A", "priority": "2"},
        {},
    )
    assert errors == {}
    assert node is not None
    assert node.model_dump()["priority"] == 2


def test_test_panel_lines_become_a_script() -> None:
    assert script_step("/tap pedido").button == "pedido"
    assert script_step("/wait").elapse is True
    assert script_step("oi").say == "oi"
    assert [s.say for s in script_request(["oi", "1"]).script.steps] == ["oi", "1"]


# ---- The client against the real daemon -------------------------------------------------------


async def test_flow_client_calls_against_the_daemon(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    server = str(api.make_url("")).rstrip("/")
    document = FlowDocument(
        name="boas-vindas",
        definition=FlowDefinition(
            nodes=_nodes("t:trigger_keyword", "m:msg_text", "e:end"),
            edges=_edges("t>m", "m>e"),
        ),
    )
    async with DaemonClient(server, token=tenant[Role.ADMIN].token) as client:
        broken = document.model_copy(
            update={"definition": FlowDefinition(nodes=_nodes("t:trigger_keyword", "x:end"))}
        )
        problems = (await client.validate_flow(broken)).problems
        assert [p.node_id for p in problems] == ["x"]
        assert (await client.validate_flow(document)).valid
        created = await client.create_flow(document)
        assert (created.version, created.status.value) == (1, "draft")
        assert [f.name for f in (await client.flows()).items] == ["boas-vindas"]
        draft = FlowDraft.from_flow(await client.flow(created.id))
        draft.replace("m", MsgText(id="m", text="Olá de novo"))
        assert (await client.update_flow(created.id, draft.update())).version == 2
        published = await client.publish_flow(created.id)
        assert published.published_version == 2
        result = await client.test_flow(created.id, script_request(["oi"]))
        assert lit_path(result).nodes == ("t", "m", "e")
        assert [line.text for line in result.transcript if line.who == "bot"] == ["Olá de novo"]
        assert (await client.archive_flow(created.id)).status.value == "archived"
    async with DaemonClient(server, token=tenant[Role.SUPERVISOR].token) as client:
        assert len((await client.flows()).items) == 1
        with pytest.raises(DaemonError) as refused:
            await client.create_flow(document.model_copy(update={"name": "outro"}))
        assert refused.value.status == 403
