"""The flow graph on a scrollable canvas: the selected node is heavy and stays in view, the
nodes and connectors a test run went through are lit, nodes with problems are red.

Arrow keys (or ``hjkl``) move the selection along connectors (down/up) and across a layer
(left/right); a click selects the node under the pointer, a double click opens its form.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.geometry import Region
from textual.message import Message
from textual.widgets import Static

from pytake_daemon.protocol.flows import FlowEdge, FlowNode
from pytake_tui.flow_draft import LitPath
from pytake_tui.flow_drawing import HEAVY, Drawing, Owner, draw
from pytake_tui.flow_layout import GraphLayout, layout, neighbour
from pytake_tui.i18n import N_, _

SELECTED = Style(color="yellow", bold=True)
LIT = Style(color="green", bold=True)
PROBLEM = Style(color="red", bold=True)
LABEL = Style(dim=True, italic=True)
TITLE = Style(bold=True)


def _style(owner: Owner | None, selected: str | None, path: LitPath, problems: set[str]) -> Style:
    if owner is None:
        return Style.null()
    if owner.node_id is not None:
        base = TITLE if owner.text else Style.null()
        if owner.node_id == selected:
            return base + SELECTED
        if owner.node_id in problems:
            return base + PROBLEM
        if owner.node_id in path.nodes:
            return base + LIT
        return base
    if owner.edge in path.edges:
        return LIT
    return LABEL if owner.label else Style.null()


def render_drawing(
    drawing: Drawing,
    graph: GraphLayout,
    selected: str | None,
    path: LitPath,
    problems: set[str],
) -> Text:
    """The canvas as styled text; the selected box's border is drawn heavy."""
    text = Text(no_wrap=True, overflow="crop")
    selected_box = graph.boxes.get(selected) if selected is not None else None
    for y, (chars, owners) in enumerate(zip(drawing.chars, drawing.owners, strict=True)):
        if y:
            text.append("\n")
        # Runs of one owner share a style: one span each, not one per cell.
        run, run_owner = "", None
        for x, (char, owner) in enumerate(zip(chars, owners, strict=True)):
            shown = char
            if (
                selected_box is not None
                and owner is not None
                and owner.node_id == selected
                and not owner.text
                and (
                    y in (selected_box.y, selected_box.bottom)
                    or x in (selected_box.x, selected_box.x + selected_box.width - 1)
                )
            ):
                shown = char.translate(HEAVY)
            if owner != run_owner and run:
                text.append(run, _style(run_owner, selected, path, problems))
                run = ""
            run, run_owner = run + shown, owner
        if run:
            text.append(run, _style(run_owner, selected, path, problems))
    return text


class FlowCanvas(Static):
    """The drawn graph, exactly as large as the layout."""

    class Clicked(Message):
        def __init__(self, x: int, y: int, double: bool) -> None:
            super().__init__()
            self.x = x
            self.y = y
            self.double = double

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None:
            self.post_message(self.Clicked(offset.x, offset.y, event.chain >= 2))


class FlowGraph(ScrollableContainer, can_focus=True):
    """A flow's nodes and edges; posts :class:`Selected` when the selection moves."""

    BINDINGS = [
        Binding("up,k", "move('up')", N_("Up"), show=False),
        Binding("down,j", "move('down')", N_("Down"), show=False),
        Binding("left,h", "move('left')", N_("Left"), show=False),
        Binding("right,l", "move('right')", N_("Right"), show=False),
    ]

    class Selected(Message):
        def __init__(self, node_id: str | None) -> None:
            super().__init__()
            self.node_id = node_id

    class Opened(Message):
        """A node was double-clicked: its form is wanted."""

        def __init__(self, node_id: str) -> None:
            super().__init__()
            self.node_id = node_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.nodes: list[FlowNode] = []
        self.edges: list[FlowEdge] = []
        self.graph: GraphLayout = layout([], [])
        self._drawing: Drawing = draw(self.graph, [])
        """Drawn once per graph; moving the selection or lighting a path only restyles it."""
        self.selected: str | None = None
        self.path = LitPath()
        self.problems: set[str] = set()

    def compose(self) -> ComposeResult:
        yield FlowCanvas(id="canvas")

    def show(self, nodes: list[FlowNode], edges: list[FlowEdge]) -> None:
        """Draw this graph; the selection stays when its node does, else the first node."""
        self.nodes, self.edges = list(nodes), list(edges)
        self.graph = layout(self.nodes, self.edges)
        self._drawing = draw(self.graph, self.nodes)
        if self.selected not in self.graph.boxes:
            first = next((layer[0] for layer in self.graph.layers if layer), None)
            self.selected = first
        self.refresh_canvas()

    def select(self, node_id: str | None) -> None:
        if node_id is not None and node_id not in self.graph.boxes:
            return
        changed = node_id != self.selected
        self.selected = node_id
        self.refresh_canvas()
        if changed:
            self.post_message(self.Selected(node_id))

    def light(self, path: LitPath) -> None:
        self.path = path
        self.refresh_canvas()

    def mark_problems(self, node_ids: set[str]) -> None:
        self.problems = node_ids
        self.refresh_canvas()

    def refresh_canvas(self) -> None:
        canvas = self.query_one(FlowCanvas)
        if not self.graph.boxes:
            canvas.styles.width, canvas.styles.height = "auto", "auto"
            canvas.update(_("No nodes yet: a adds the first one (a trigger)."))
            return
        canvas.styles.width = self.graph.width
        canvas.styles.height = self.graph.height
        canvas.update(
            render_drawing(self._drawing, self.graph, self.selected, self.path, self.problems)
        )
        self.call_after_refresh(self.scroll_to_selected)

    def scroll_to_selected(self) -> None:
        box = self.graph.boxes.get(self.selected) if self.selected is not None else None
        if box is not None:
            region = Region(box.x, box.y, box.width, box.height)
            self.scroll_to_region(region, animate=False, spacing=None, force=True)

    def action_move(self, direction: str) -> None:
        if self.selected is None:
            return
        self.select(neighbour(self.graph, self.edges, self.nodes, self.selected, direction))

    def on_flow_canvas_clicked(self, message: FlowCanvas.Clicked) -> None:
        node_id = self.graph.node_at(message.x, message.y)
        if node_id is not None:
            self.focus()
            self.select(node_id)
            if message.double:
                self.post_message(self.Opened(node_id))
