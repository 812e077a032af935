"""Checking a flow document: every problem, each naming the node (or edge) and field.

Per-node settings are checked node by node (so one bad node names itself instead of failing the
whole list), then the graph as a whole: triggers, dangling or duplicate edges, branches a node
type doesn't have, unreachable nodes, and loops that could spin without waiting for the customer.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import TypeAdapter, ValidationError

from pytake_daemon.protocol.flows import (
    TRIGGER_TYPES,
    WAIT_TYPES,
    Ask,
    AskValidation,
    FlowDefinition,
    FlowDocument,
    FlowNode,
    FlowProblem,
    MsgMedia,
    node_branches,
)

_node_adapter: TypeAdapter[FlowNode] = TypeAdapter(FlowNode)
_NODE_TYPES = ", ".join(
    sorted(
        [
            *TRIGGER_TYPES,
            "logic_window_check",
            "condition",
            "set_variable",
            "delay",
            "msg_text",
            "msg_template",
            "msg_buttons",
            "msg_list",
            "msg_media",
            "ask",
            "http_request",
            "action_transfer_to_queue",
            "action_close",
            "action_tag",
            "action_request_phone",
            "end",
        ]
    )
)


def check_document(data: Any) -> tuple[FlowDocument | None, list[FlowProblem]]:
    """The parsed document when it is valid, and every problem found."""
    if not isinstance(data, dict):
        return None, [FlowProblem(node_id=None, field="(root)", message="must be an object")]
    problems: list[FlowProblem] = []
    definition = data.get("definition")
    raw_nodes = definition.get("nodes") if isinstance(definition, dict) else None
    if isinstance(raw_nodes, list):
        for index, raw in enumerate(raw_nodes):
            problems.extend(_node_problems(index, raw))
    try:
        document = FlowDocument.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False, include_input=False):
            loc = [str(p) for p in err["loc"]]
            if loc[:2] == ["definition", "nodes"] and len(loc) > 2 and problems:
                continue  # reported per node above
            problems.append(FlowProblem(node_id=None, field=".".join(loc), message=err["msg"]))
        return None, problems
    problems.extend(check_graph(document.definition))
    return (None if problems else document), problems


def check_definition(definition: FlowDefinition) -> list[FlowProblem]:
    """Graph checks of an already parsed definition (the API's bodies arrive parsed)."""
    return check_graph(definition)


def _node_problems(index: int, raw: Any) -> list[FlowProblem]:
    node_id = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else f"#{index + 1}"
    if isinstance(raw, dict) and raw.get("type") is None:
        return [
            FlowProblem(node_id=node_id, field="type", message=f"missing; one of {_NODE_TYPES}")
        ]
    try:
        _node_adapter.validate_python(raw)
    except ValidationError as exc:
        out = []
        for err in exc.errors(include_url=False, include_input=False):
            # The first location part is the discriminator's tag (the node type): drop it.
            loc = [str(p) for p in err["loc"]][1:] if err["type"] != "union_tag_invalid" else []
            message = err["msg"]
            if err["type"] == "union_tag_invalid":
                message = f"unknown node type {raw.get('type')!r}; one of {_NODE_TYPES}"
                loc = ["type"]
            out.append(
                FlowProblem(node_id=node_id, field=".".join(loc) or "(node)", message=message)
            )
        return out
    return []


def check_graph(definition: FlowDefinition) -> list[FlowProblem]:
    problems: list[FlowProblem] = []
    nodes = {}
    for node in definition.nodes:
        if node.id in nodes:
            problems.append(FlowProblem(node_id=node.id, field="id", message="duplicate node id"))
        nodes[node.id] = node
        problems.extend(_settings_problems(node))
    triggers = [n.id for n in definition.nodes if n.type in TRIGGER_TYPES]
    if not triggers:
        problems.append(
            FlowProblem(
                node_id=None, field="nodes", message="a flow needs at least one trigger node"
            )
        )
    successors: dict[str, list[str]] = defaultdict(list)
    seen_branches: set[tuple[str, str]] = set()
    for index, edge in enumerate(definition.edges):
        where = f"edges.{index}"
        source = nodes.get(edge.source)
        if source is None:
            problems.append(
                FlowProblem(
                    node_id=edge.source, field=f"{where}.source", message="no node with this id"
                )
            )
            continue
        if edge.target not in nodes:
            problems.append(
                FlowProblem(
                    node_id=edge.source,
                    field=f"{where}.target",
                    message=f"dangling edge: no node {edge.target!r}",
                )
            )
            continue
        allowed = node_branches(source.type)
        if edge.branch not in allowed:
            offer = ", ".join(allowed) if allowed else "none (it ends the session)"
            problems.append(
                FlowProblem(
                    node_id=edge.source,
                    field=f"{where}.branch",
                    message=(
                        f"a {source.type} node has no branch {edge.branch!r}; branches: {offer}"
                    ),
                )
            )
            continue
        if (edge.source, edge.branch) in seen_branches:
            problems.append(
                FlowProblem(
                    node_id=edge.source,
                    field=f"{where}.branch",
                    message=f"branch {edge.branch!r} already has an edge",
                )
            )
            continue
        if nodes[edge.target].type in TRIGGER_TYPES:
            problems.append(
                FlowProblem(
                    node_id=edge.source,
                    field=f"{where}.target",
                    message="an edge can't lead into a trigger node",
                )
            )
            continue
        seen_branches.add((edge.source, edge.branch))
        successors[edge.source].append(edge.target)
    reached = _reachable(triggers, successors)
    problems.extend(
        FlowProblem(node_id=node.id, field="(node)", message="unreachable from any trigger")
        for node in definition.nodes
        if node.id not in reached and node.type not in TRIGGER_TYPES
    )
    for cycle in _loops_without_wait(nodes, successors):
        problems.append(
            FlowProblem(
                node_id=cycle[0],
                field="edges",
                message="loop without a wait (add an ask or a delay): " + " -> ".join(cycle),
            )
        )
    return problems


def _settings_problems(node: FlowNode) -> list[FlowProblem]:
    if isinstance(node, MsgMedia) and (node.link is None) == (node.media_id is None):
        return [FlowProblem(node_id=node.id, field="link", message="give link or media_id")]
    if isinstance(node, Ask):
        if node.validation == AskValidation.OPTION and not node.options:
            return [
                FlowProblem(
                    node_id=node.id, field="options", message="option questions need options"
                )
            ]
        if node.validation == AskValidation.REGEX and not node.pattern:
            return [
                FlowProblem(node_id=node.id, field="pattern", message="regex questions need one")
            ]
    return []


def _reachable(starts: list[str], successors: dict[str, list[str]]) -> set[str]:
    reached = set(starts)
    stack = list(starts)
    while stack:
        for target in successors.get(stack.pop(), []):
            if target not in reached:
                reached.add(target)
                stack.append(target)
    return reached


def _loops_without_wait(
    nodes: dict[str, FlowNode], successors: dict[str, list[str]]
) -> list[list[str]]:
    """Cycles through nodes none of which waits for the customer or a timer."""
    graph = {
        source: [t for t in targets if nodes[t].type not in WAIT_TYPES]
        for source, targets in successors.items()
        if nodes[source].type not in WAIT_TYPES
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in graph.get(node, []):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for start in graph:
        if start not in state:
            visit(start)
    return cycles
