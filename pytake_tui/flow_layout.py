"""A flow graph laid out for box-drawing characters: layers, boxes, connectors (no Textual);
:mod:`pytake_tui.flow_drawing` draws the layout.

Layers are breadth-first distances from the triggers, drawn top to bottom; the nodes of a layer
sit side by side, centred. Between two layers is a *gap*: one row per connector that turns
there (its *track*) and one row for the arrowheads. A connector to the next layer goes down
from its source's port, along its track, and down into its target. Any other connector (a loop
back, a skip over layers, one within a layer) leaves along a track below its source to a
*lane* of its own right of the boxes, follows it up or down, and comes in along a track above
its target. Connectors therefore never cross a box, and every turn has a row of its own; within
a gap, one leaving down a column turns off before one arriving down that column turns onto it,
so lines cross (``┼``) or merge into one target but do not run along each other.

Branch names are written on the source's bottom border, right of each port.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from rich.cells import cell_len

from pytake_daemon.protocol.flows import FlowEdge, FlowNode
from pytake_tui.flow_draft import branch_rank, roots

BOX_WIDTH = 24
BOX_HEIGHT = 4
COLUMN_GAP = 3
LANE_SPACING = 2


Point = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Box:
    node_id: str
    x: int
    y: int
    width: int = BOX_WIDTH
    height: int = BOX_HEIGHT

    @property
    def center(self) -> int:
        return self.x + self.width // 2

    @property
    def bottom(self) -> int:
        return self.y + self.height - 1

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height


@dataclass(frozen=True, slots=True)
class Route:
    """One connector: the corners of its path from the source's port to the arrowhead."""

    source: str
    target: str
    branch: str
    points: tuple[Point, ...]
    label: str
    label_at: Point
    lane: int | None = None


@dataclass(frozen=True, slots=True)
class GraphLayout:
    layers: tuple[tuple[str, ...], ...]
    boxes: dict[str, Box]
    routes: tuple[Route, ...]
    width: int
    height: int

    def layer_of(self, node_id: str) -> int:
        return next(i for i, layer in enumerate(self.layers) if node_id in layer)

    def node_at(self, x: int, y: int) -> str | None:
        """The node drawn at canvas cell (x, y), for mouse clicks."""
        return next((b.node_id for b in self.boxes.values() if b.contains(x, y)), None)


def _ordered_edges(nodes: list[FlowNode], edges: list[FlowEdge]) -> list[FlowEdge]:
    """Edges between existing nodes, each source's in the order of its type's branches."""
    types = {n.id: n.type for n in nodes}
    position = {n.id: i for i, n in enumerate(nodes)}
    kept = [e for e in edges if e.source in types and e.target in types]
    return sorted(
        kept, key=lambda e: (position[e.source], branch_rank(types[e.source], e.branch), e.branch)
    )


def compute_layers(nodes: list[FlowNode], edges: list[FlowEdge]) -> list[list[str]]:
    """Breadth-first layers from the triggers; nodes they don't reach start their own search
    (in definition order) so every node is drawn."""
    children: dict[str, list[str]] = {n.id: [] for n in nodes}
    for edge in _ordered_edges(nodes, edges):
        children[edge.source].append(edge.target)
    layer: dict[str, int] = {}
    order: list[str] = []

    def search(starts: Iterable[str]) -> None:
        queue: deque[str] = deque()
        for start in starts:
            if start not in layer:
                layer[start] = 0
                order.append(start)
                queue.append(start)
        while queue:
            current = queue.popleft()
            for child in children[current]:
                if child not in layer:
                    layer[child] = layer[current] + 1
                    order.append(child)
                    queue.append(child)

    search(roots(nodes, edges))
    for node in nodes:
        search([node.id])
    layers: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node_id in order:
        layers[layer[node_id]].append(node_id)
    return layers


def _ports(box: Box, labels: list[str]) -> list[tuple[int, str]]:
    """Column and (fitted) label of each port on a box's bottom border.

    One port sits in the middle, so a chain of single connectors is a straight line; several
    are spread along the border with their whole names when they fit, else equal shares.
    """
    inner = box.width - 2
    if len(labels) == 1:
        column = box.center
        return [(column, fit(labels[0], box.x + box.width - 2 - column))]
    needed = sum(1 + cell_len(label) for label in labels)
    if needed <= inner:
        spacing = (inner - needed) // len(labels)
        ports: list[tuple[int, str]] = []
        x = box.x + 1
        for label in labels:
            ports.append((x, label))
            x += 1 + cell_len(label) + spacing
        return ports
    share = inner // len(labels)
    return [(box.x + 1 + i * share, fit(label, share - 1)) for i, label in enumerate(labels)]


@dataclass
class _Gap:
    """The rows between layer ``index - 1`` and layer ``index``."""

    tracks: int = 0
    arrows: bool = False
    top: int = 0

    @property
    def rows(self) -> int:
        return self.tracks + (1 if self.arrows else 0)


@dataclass
class _Plan:
    edge: FlowEdge
    lane: int | None
    down_gap: int
    up_gap: int
    port: int = 0
    label: str = ""
    down_track: int = 0
    up_track: int = 0


@dataclass
class _Use:
    """A connector's turn in a gap: the column it comes down at and the one it leaves down by
    (None where it comes from or goes to a lane)."""

    plan: _Plan
    down: bool
    departs: int | None
    arrives: int | None


def _order_tracks(uses: list[_Use]) -> None:
    """Give each use a track so that no vertical runs over another: a connector coming down a
    column turns off before one going down the same column into a box turns onto it."""
    after: dict[int, set[int]] = {i: set() for i in range(len(uses))}
    for i, first in enumerate(uses):
        for j, second in enumerate(uses):
            if i != j and first.departs is not None and first.departs == second.arrives:
                after[j].add(i)
    placed: list[int] = []
    waiting = list(range(len(uses)))
    while waiting:
        ready = [i for i in waiting if after[i] <= set(placed)]
        chosen = ready[0] if ready else waiting[0]  # a cycle: some crossing is unavoidable
        placed.append(chosen)
        waiting.remove(chosen)
    for track, index in enumerate(placed):
        use = uses[index]
        if use.down:
            use.plan.down_track = track
        else:
            use.plan.up_track = track


def _plan(layers: list[list[str]], ordered: list[FlowEdge]) -> tuple[list[_Plan], list[_Gap], int]:
    layer_of = {node_id: i for i, layer in enumerate(layers) for node_id in layer}
    gaps = [_Gap() for _ in range(len(layers) + 1)]
    plans: list[_Plan] = []
    lanes = 0
    for edge in ordered:
        below, above = layer_of[edge.source] + 1, layer_of[edge.target]
        adjacent = above == below
        plans.append(_Plan(edge, None if adjacent else lanes, below, above))
        lanes += 0 if adjacent else 1
        gaps[below].tracks += 1
        if not adjacent:
            gaps[above].tracks += 1
        gaps[above].arrows = True
    # Boxes of consecutive layers never touch, even when no connector runs between them.
    y = 0
    for index, gap in enumerate(gaps):
        if 0 < index < len(layers) and gap.rows == 0:
            gap.arrows = True
        gap.top = y
        y += gap.rows + (BOX_HEIGHT if index < len(layers) else 0)
    return plans, gaps, lanes


def _place_boxes(layers: list[list[str]], gaps: list[_Gap]) -> tuple[dict[str, Box], int]:
    widest = max((len(layer) for layer in layers), default=0)
    content = widest * BOX_WIDTH + max(widest - 1, 0) * COLUMN_GAP
    boxes: dict[str, Box] = {}
    for index, layer in enumerate(layers):
        span = len(layer) * BOX_WIDTH + (len(layer) - 1) * COLUMN_GAP
        left = (content - span) // 2
        y = gaps[index].top + gaps[index].rows
        for position, node_id in enumerate(layer):
            boxes[node_id] = Box(node_id, left + position * (BOX_WIDTH + COLUMN_GAP), y)
    return boxes, content


def layout(nodes: list[FlowNode], edges: list[FlowEdge]) -> GraphLayout:
    """Where every box and connector goes."""
    layers = compute_layers(nodes, edges)
    ordered = _ordered_edges(nodes, edges)
    plans, gaps, lanes = _plan(layers, ordered)
    boxes, content = _place_boxes(layers, gaps)
    by_source: dict[str, list[_Plan]] = {}
    for plan in plans:
        by_source.setdefault(plan.edge.source, []).append(plan)
    for source, outgoing in by_source.items():
        alone = len(outgoing) == 1 and outgoing[0].edge.branch == "next"
        labels = ["" if alone else p.edge.branch for p in outgoing]
        for plan, (column, label) in zip(outgoing, _ports(boxes[source], labels), strict=True):
            plan.port, plan.label = column, label
    uses: dict[int, list[_Use]] = {}
    for plan in plans:
        center = boxes[plan.edge.target].center
        adjacent = plan.lane is None
        uses.setdefault(plan.down_gap, []).append(
            _Use(plan, True, plan.port, center if adjacent else None)
        )
        if not adjacent:
            uses.setdefault(plan.up_gap, []).append(_Use(plan, False, None, center))
    for gap_uses in uses.values():
        _order_tracks(gap_uses)
    routes = [_route(plan, boxes, gaps, content) for plan in plans]
    return GraphLayout(
        layers=tuple(tuple(layer) for layer in layers),
        boxes=boxes,
        routes=tuple(routes),
        width=content + (LANE_SPACING * lanes + 1 if lanes else 0),
        height=gaps[-1].top + gaps[-1].rows,
    )


def _route(plan: _Plan, boxes: dict[str, Box], gaps: list[_Gap], content: int) -> Route:
    edge = plan.edge
    source, target = boxes[edge.source], boxes[edge.target]
    below, above = gaps[plan.down_gap], gaps[plan.up_gap]
    arrow_y = above.top + above.tracks
    down_y = below.top + plan.down_track
    start = (plan.port, source.bottom)
    if plan.lane is None:
        points: tuple[Point, ...] = (
            start,
            (plan.port, down_y),
            (target.center, down_y),
            (target.center, arrow_y),
        )
    else:
        lane_x = content + LANE_SPACING * (plan.lane + 1)
        up_y = above.top + plan.up_track
        points = (
            start,
            (plan.port, down_y),
            (lane_x, down_y),
            (lane_x, up_y),
            (target.center, up_y),
            (target.center, arrow_y),
        )
    return Route(
        edge.source,
        edge.target,
        edge.branch,
        points,
        plan.label,
        (plan.port + 1, source.bottom),
        plan.lane,
    )


def fit(text: str, room: int) -> str:
    """``text`` cut to ``room`` cells, with an ellipsis when cut."""
    if cell_len(text) <= room:
        return text
    if room <= 0:
        return ""
    out = ""
    for char in text:
        if cell_len(out + char) > room - 1:
            break
        out += char
    return out + "…"


def neighbour(
    graph: GraphLayout, edges: list[FlowEdge], nodes: list[FlowNode], current: str, direction: str
) -> str:
    """The node the selection moves to from ``current``: ``down`` follows the first branch,
    ``up`` goes back to a node that leads here, ``left``/``right`` stay in the layer."""
    if current not in graph.boxes:
        return current
    index = graph.layer_of(current)
    layer = graph.layers[index]
    position = layer.index(current)
    if direction in ("left", "right"):
        step = -1 if direction == "left" else 1
        return layer[min(max(position + step, 0), len(layer) - 1)]
    ordered = _ordered_edges(nodes, edges)
    if direction == "down":
        follow = [e.target for e in ordered if e.source == current and e.target != current]
        if follow:
            return follow[0]
        target_layer = index + 1
    else:
        back = [e.source for e in ordered if e.target == current and e.source != current]
        if back:
            return min(back, key=lambda s: (graph.layer_of(s) >= index, graph.layer_of(s)))
        target_layer = index - 1
    if 0 <= target_layer < len(graph.layers):
        others = graph.layers[target_layer]
        x = graph.boxes[current].x
        return min(others, key=lambda other: abs(graph.boxes[other].x - x))
    return current
