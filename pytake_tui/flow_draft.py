"""A flow being edited in the console: its nodes and edges, the edits the editor offers (add,
remove, connect, replace a node), what each node says in one line, and the test conversation's
script and lit path. No Textual here, so the rules are tested on their own.

Every node held is a valid protocol model (the node form only hands back validated nodes), so
what is left to the daemon's ``POST /api/v1/flows/validate`` is the graph as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel

from pytake_daemon.protocol.flows import (
    BRANCHES,
    TRIGGER_TYPES,
    ActionClose,
    ActionRequestPhone,
    ActionTag,
    ActionTransferToQueue,
    Ask,
    Condition,
    Delay,
    FlowDefinition,
    FlowDocument,
    FlowEdge,
    FlowNode,
    FlowOut,
    FlowProblem,
    FlowTestRequest,
    FlowTestResult,
    FlowTestScript,
    FlowUpdate,
    HttpRequest,
    MsgButtons,
    MsgList,
    MsgMedia,
    MsgTemplate,
    MsgText,
    ScriptStep,
    SetVariable,
    TriggerKeyword,
    TriggerTemplate,
)
from pytake_tui.i18n import N_, _

NODE_MODELS: dict[str, type[BaseModel]] = {
    model.model_fields["type"].default: model for model in get_args(get_args(FlowNode)[0])
}
"""Each node type's protocol model, by ``type`` (the order of the ``FlowNode`` union)."""

SHORT_TYPES: dict[str, str] = {
    "trigger_universal": N_("any message"),
    "trigger_keyword": N_("keyword"),
    "trigger_template": N_("template reply"),
    "logic_window_check": N_("window?"),
    "condition": N_("if"),
    "set_variable": N_("set"),
    "delay": N_("wait"),
    "msg_text": N_("text"),
    "msg_template": N_("template"),
    "msg_buttons": N_("buttons"),
    "msg_list": N_("list"),
    "msg_media": N_("media"),
    "ask": N_("ask"),
    "http_request": N_("http"),
    "action_transfer_to_queue": N_("transfer"),
    "action_close": N_("close"),
    "action_tag": N_("tag"),
    "action_request_phone": N_("ask phone"),
    "end": N_("end"),
}
"""What a box calls each node type (the full type is in the node form): ``N_`` msgids."""

TAP_COMMAND = "/tap "
WAIT_COMMAND = "/wait"


def branch_rank(node_type: str, branch: str) -> int:
    """Where ``branch`` comes among the type's branches (unknown ones last)."""
    branches = BRANCHES.get(node_type, ())
    return branches.index(branch) if branch in branches else len(branches)


def summary(node: FlowNode) -> str:
    """The node's settings in a few words, for its box."""
    match node:
        case TriggerKeyword():
            return ", ".join(node.keywords)
        case TriggerTemplate():
            return node.template_name
        case Condition():
            joiner = " " + (_("and") if node.match == "all" else _("or")) + " "
            rules = joiner.join(f"{r.variable} {r.operator.value} {r.value}" for r in node.rules)
            return rules or (_("business hours") if node.business_hours else "")
        case SetVariable():
            return f"{node.variable} = {node.value}"
        case Delay():
            return f"{node.seconds} s"
        case MsgText() | MsgButtons() | MsgList():
            return node.text
        case MsgTemplate():
            return node.name
        case MsgMedia():
            return node.media_type
        case Ask():
            return node.question
        case HttpRequest():
            return f"{node.method} {node.url}"
        case ActionTransferToQueue():
            return node.queueName
        case ActionClose():
            return node.message
        case ActionTag():
            return ", ".join(node.tags)
        case ActionRequestPhone():
            return node.text
        case _:
            return ""


@dataclass
class FlowDraft:
    """The editor's working copy; ``dirty`` until it is saved."""

    name: str
    description: str = ""
    nodes: list[FlowNode] = field(default_factory=list)
    edges: list[FlowEdge] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    """The definition's other fields (session expiry, exit keywords), kept as loaded."""
    dirty: bool = False

    @classmethod
    def from_flow(cls, flow: FlowOut) -> FlowDraft:
        definition = flow.definition
        return cls(
            name=flow.name,
            description=flow.description,
            nodes=list(definition.nodes),
            edges=list(definition.edges),
            settings=definition.model_dump(exclude={"nodes", "edges"}, exclude_none=True),
        )

    def node(self, node_id: str) -> FlowNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def ids(self) -> set[str]:
        return {n.id for n in self.nodes}

    def new_id(self, node_type: str) -> str:
        """The first free ``<type>_<n>``."""
        taken = self.ids()
        number = 1
        while f"{node_type}_{number}" in taken:
            number += 1
        return f"{node_type}_{number}"

    def branches(self, node_id: str) -> tuple[str, ...]:
        """The branches ``node_id`` may leave by."""
        node = self.node(node_id)
        return BRANCHES.get(node.type, ()) if node is not None else ()

    def outgoing(self, node_id: str) -> dict[str, str]:
        """Branch → target of the node's edges."""
        return {e.branch: e.target for e in self.edges if e.source == node_id}

    def add(self, node: FlowNode, source: str | None = None, branch: str | None = None) -> None:
        """Add ``node``, reached from ``source`` by ``branch`` when given."""
        self.nodes.append(node)
        if source is not None and branch is not None:
            self.connect(source, branch, node.id)
        self.dirty = True

    def replace(self, old_id: str, node: FlowNode) -> None:
        """Put the edited ``node`` in place of ``old_id``; edges follow a renamed id."""
        self.nodes = [node if n.id == old_id else n for n in self.nodes]
        if node.id != old_id:
            self.edges = [
                e.model_copy(
                    update={
                        "source": node.id if e.source == old_id else e.source,
                        "target": node.id if e.target == old_id else e.target,
                    }
                )
                for e in self.edges
            ]
        # Branches the new settings no longer have would only be refused on save.
        kept = BRANCHES.get(node.type, ())
        self.edges = [e for e in self.edges if e.source != node.id or e.branch in kept]
        self.dirty = True

    def remove(self, node_id: str) -> None:
        """Drop the node and every edge into or out of it."""
        self.nodes = [n for n in self.nodes if n.id != node_id]
        self.edges = [e for e in self.edges if node_id not in (e.source, e.target)]
        self.dirty = True

    def connect(self, source: str, branch: str, target: str) -> None:
        """Make ``branch`` of ``source`` lead to ``target`` (a branch has one target)."""
        self.edges = [e for e in self.edges if (e.source, e.branch) != (source, branch)]
        self.edges.append(FlowEdge(source=source, target=target, branch=branch))
        self.dirty = True

    def disconnect(self, source: str, branch: str) -> None:
        self.edges = [e for e in self.edges if (e.source, e.branch) != (source, branch)]
        self.dirty = True

    def definition(self) -> FlowDefinition:
        """The graph as the protocol has it; raises ValidationError while it has no node."""
        return FlowDefinition.model_validate(
            {**self.settings, "nodes": self.nodes, "edges": self.edges}
        )

    def document(self) -> FlowDocument:
        return FlowDocument(
            name=self.name, description=self.description, definition=self.definition()
        )

    def update(self) -> FlowUpdate:
        return FlowUpdate(description=self.description, definition=self.definition())


def roots(nodes: list[FlowNode], edges: list[FlowEdge]) -> list[str]:
    """Where a flow starts: its triggers, else the nodes nothing leads to, else the first."""
    triggers = [n.id for n in nodes if n.type in TRIGGER_TYPES]
    if triggers:
        return triggers
    targets = {e.target for e in edges}
    sources = [n.id for n in nodes if n.id not in targets]
    return sources or [n.id for n in nodes[:1]]


def problem_nodes(problems: list[FlowProblem], draft: FlowDraft) -> list[str]:
    """The nodes named by ``problems``, in order, once each."""
    ids = draft.ids()
    found: list[str] = []
    for problem in problems:
        if problem.node_id in ids and problem.node_id not in found:
            found.append(problem.node_id)
    return found


def script_step(line: str) -> ScriptStep:
    """A line typed in the test panel: ``/tap ID`` taps a button, ``/wait`` lets the pending
    delay or timeout fire, anything else is what the customer writes."""
    if line.startswith(TAP_COMMAND):
        return ScriptStep(button=line.removeprefix(TAP_COMMAND).strip())
    if line.strip() == WAIT_COMMAND:
        return ScriptStep(elapse=True)
    return ScriptStep(say=line)


def script_request(lines: list[str], version: int | None = None) -> FlowTestRequest:
    """The whole conversation so far, replayed from the start (a flow test keeps no state)."""
    script = FlowTestScript(steps=[script_step(line) for line in lines])
    return FlowTestRequest(version=version, script=script)


@dataclass(frozen=True, slots=True)
class LitPath:
    """What a test run went through: nodes in order, and (source, branch) of edges taken."""

    nodes: tuple[str, ...] = ()
    edges: frozenset[tuple[str, str]] = frozenset()


def lit_path(result: FlowTestResult) -> LitPath:
    steps = sorted(result.steps, key=lambda s: s.seq)
    nodes: list[str] = []
    for step in steps:
        if step.node_id not in nodes:
            nodes.append(step.node_id)
    taken = frozenset((s.node_id, s.branch) for s in steps if s.branch is not None)
    return LitPath(nodes=tuple(nodes), edges=taken)
