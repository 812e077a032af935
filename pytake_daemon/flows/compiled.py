"""A flow version ready to run: nodes by id and edges by (node, branch). Versions never change
once stored, so a compiled flow is cached by (flow id, version) for the life of the process."""

from __future__ import annotations

import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from pytake_daemon.flows.text import fold
from pytake_daemon.protocol.flows import (
    FlowDefinition,
    FlowNode,
    KeywordMatch,
    TriggerKeyword,
    TriggerTemplate,
    TriggerUniversal,
)


@dataclass
class CompiledFlow:
    flow_id: uuid.UUID
    version: int
    definition: FlowDefinition
    nodes: dict[str, FlowNode] = field(init=False)
    edges: dict[tuple[str, str], str] = field(init=False)
    exit_keywords: frozenset[str] = field(init=False)
    _keyword_patterns: list[tuple[str, KeywordMatch, str | re.Pattern[str]]] = field(init=False)

    def __post_init__(self) -> None:
        self.nodes = {n.id: n for n in self.definition.nodes}
        self.edges = {(e.source, e.branch): e.target for e in self.definition.edges}
        self.exit_keywords = frozenset(fold(k) for k in self.definition.exit_keywords)
        self._keyword_patterns = []
        for node in self.definition.nodes:
            if isinstance(node, TriggerKeyword):
                for keyword in node.keywords:
                    pattern: str | re.Pattern[str] = (
                        re.compile(keyword, re.IGNORECASE)
                        if node.match == KeywordMatch.REGEX
                        else fold(keyword)
                    )
                    self._keyword_patterns.append((node.id, node.match, pattern))

    def next_node(self, node_id: str, branch: str) -> str | None:
        return self.edges.get((node_id, branch))

    def keyword_trigger(self, text: str) -> tuple[str, str] | None:
        """(trigger node id, matched keyword) for a message, or ``None``."""
        folded = fold(text)
        for node_id, match, pattern in self._keyword_patterns:
            if isinstance(pattern, re.Pattern):
                if pattern.search(folded) or pattern.search(text):
                    return node_id, pattern.pattern
                continue
            hit = (
                (match == KeywordMatch.EQUALS and folded == pattern)
                or (match == KeywordMatch.CONTAINS and pattern in folded)
                or (match == KeywordMatch.STARTS_WITH and folded.startswith(pattern))
            )
            if hit:
                return node_id, pattern
        return None

    def universal_trigger(self) -> str | None:
        return next((n.id for n in self.definition.nodes if isinstance(n, TriggerUniversal)), None)

    def template_trigger(self, template_name: str) -> str | None:
        return next(
            (
                n.id
                for n in self.definition.nodes
                if isinstance(n, TriggerTemplate) and n.template_name == template_name
            ),
            None,
        )


class CompiledFlows:
    """A bounded cache of compiled versions (immutable, so never stale)."""

    def __init__(self, capacity: int = 512) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[uuid.UUID, int], CompiledFlow] = OrderedDict()

    def get(self, flow_id: uuid.UUID, version: int) -> CompiledFlow | None:
        found = self._items.get((flow_id, version))
        if found is not None:
            self._items.move_to_end((flow_id, version))
        return found

    def put(self, flow: CompiledFlow) -> CompiledFlow:
        self._items[(flow.flow_id, flow.version)] = flow
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return flow
