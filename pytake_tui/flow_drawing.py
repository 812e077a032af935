"""Drawing a :class:`~pytake_tui.flow_layout.GraphLayout` with box-drawing characters: the
boxes with their node's id and summary, the connectors with their arrowheads and branch names,
and for each character what it belongs to (no Textual)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import IntFlag

from rich.cells import cell_len

from pytake_daemon.protocol.flows import FlowNode
from pytake_tui.flow_draft import SHORT_TYPES, summary
from pytake_tui.flow_layout import Box, GraphLayout, Point, fit
from pytake_tui.i18n import _

ARROW = "▼"


class Bits(IntFlag):
    """Which sides a line cell connects to."""

    NONE = 0
    UP = 1
    DOWN = 2
    LEFT = 4
    RIGHT = 8


_LINES: dict[int, str] = {
    Bits.UP: "│",
    Bits.DOWN: "│",
    Bits.UP | Bits.DOWN: "│",
    Bits.LEFT: "─",
    Bits.RIGHT: "─",
    Bits.LEFT | Bits.RIGHT: "─",
    Bits.DOWN | Bits.RIGHT: "┌",
    Bits.DOWN | Bits.LEFT: "┐",
    Bits.UP | Bits.RIGHT: "└",
    Bits.UP | Bits.LEFT: "┘",
    Bits.UP | Bits.DOWN | Bits.RIGHT: "├",
    Bits.UP | Bits.DOWN | Bits.LEFT: "┤",
    Bits.DOWN | Bits.LEFT | Bits.RIGHT: "┬",
    Bits.UP | Bits.LEFT | Bits.RIGHT: "┴",
    Bits.UP | Bits.DOWN | Bits.LEFT | Bits.RIGHT: "┼",
}

HEAVY = str.maketrans("│─┌┐└┘├┤┬┴┼", "┃━┏┓┗┛┣┫┳┻╋")
"""The selected node's border."""

# ---- Drawing -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Owner:
    """What a drawn cell belongs to: a node's box (``edge`` None) or a connector."""

    node_id: str | None = None
    edge: tuple[str, str] | None = None
    """(source, branch) of the connector."""
    label: bool = False
    text: bool = False
    """Inside a box: its first line (the node id) when True."""


@dataclass
class Drawing:
    """The canvas as characters, and what each character belongs to (for styling)."""

    chars: list[list[str]]
    owners: list[list[Owner | None]]

    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self.chars]


def _segment(a: Point, b: Point) -> list[tuple[Point, Bits]]:
    """Cells of an orthogonal segment from a to b, each with the sides it joins."""
    (x1, y1), (x2, y2) = a, b
    cells: list[tuple[Point, Bits]] = []
    if x1 == x2:
        step = 1 if y2 >= y1 else -1
        forward, backward = (Bits.DOWN, Bits.UP) if step == 1 else (Bits.UP, Bits.DOWN)
        for y in range(y1, y2 + step, step):
            bits = Bits.NONE
            if y != y2:
                bits |= forward
            if y != y1:
                bits |= backward
            cells.append(((x1, y), bits))
    else:
        step = 1 if x2 >= x1 else -1
        forward, backward = (Bits.RIGHT, Bits.LEFT) if step == 1 else (Bits.LEFT, Bits.RIGHT)
        for x in range(x1, x2 + step, step):
            bits = Bits.NONE
            if x != x2:
                bits |= forward
            if x != x1:
                bits |= backward
            cells.append(((x, y1), bits))
    return cells


def _box_outline(box: Box) -> list[tuple[Point, Bits]]:
    right, bottom = box.x + box.width - 1, box.bottom
    corners = [(box.x, box.y), (right, box.y), (right, bottom), (box.x, bottom), (box.x, box.y)]
    cells: list[tuple[Point, Bits]] = []
    for a, b in itertools.pairwise(corners):
        cells.extend(_segment(a, b))
    return cells


def draw(graph: GraphLayout, nodes: list[FlowNode]) -> Drawing:
    """Boxes with the node id, type and summary; connectors with arrowheads and branch names."""
    width, height = max(graph.width, 1), max(graph.height, 1)
    bits: list[list[Bits]] = [[Bits.NONE] * width for _ in range(height)]
    owners: list[list[Owner | None]] = [[None] * width for _ in range(height)]
    by_id = {n.id: n for n in nodes}
    for route in graph.routes:
        owner = Owner(edge=(route.source, route.branch))
        for a, b in itertools.pairwise(route.points):
            for (x, y), joined in _segment(a, b):
                bits[y][x] |= joined
                if owners[y][x] is None:
                    owners[y][x] = owner
        # The port joins the border: the line starts from the box, not below it.
        x, y = route.points[0]
        bits[y][x] |= Bits.DOWN
    for box in graph.boxes.values():
        for (x, y), joined in _box_outline(box):
            bits[y][x] |= joined
            owners[y][x] = Owner(node_id=box.node_id)
    chars = [[_LINES.get(cell, " ") for cell in row] for row in bits]
    for route in graph.routes:
        x, y = route.points[-1]
        chars[y][x] = ARROW
        _write(
            chars,
            owners,
            route.label_at,
            route.label,
            Owner(edge=(route.source, route.branch), label=True),
        )
    for box in graph.boxes.values():
        node = by_id[box.node_id]
        inner = box.width - 2
        title = node.id if not node.label else f"{node.id} · {node.label}"
        kind = _(SHORT_TYPES[node.type]) if node.type in SHORT_TYPES else node.type
        about = summary(node)
        second = f"{kind}: {about}" if about else kind
        _write(
            chars,
            owners,
            (box.x + 1, box.y + 1),
            fit(f" {title}", inner),
            Owner(node_id=box.node_id, text=True),
        )
        _write(
            chars,
            owners,
            (box.x + 1, box.y + 2),
            fit(f" {second}", inner),
            Owner(node_id=box.node_id),
        )
    return Drawing(chars=chars, owners=owners)


def _write(
    chars: list[list[str]],
    owners: list[list[Owner | None]],
    at: Point,
    text: str,
    owner: Owner,
) -> None:
    x, y = at
    for char in text:
        if x >= len(chars[y]):
            return
        chars[y][x] = char
        owners[y][x] = owner
        # Wide characters take two cells; the second stays empty for the terminal to fill.
        x += cell_len(char)
        if cell_len(char) == 2 and x - 1 < len(chars[y]):
            chars[y][x - 1] = ""


# ---- Moving the selection --------------------------------------------------------------------
