"""Small flow definitions for the tests, built from plain dicts like a flow file."""

from __future__ import annotations

import itertools
from typing import Any

from pytake_daemon.flows.validation import check_document
from pytake_daemon.protocol.flows import FlowDefinition, FlowTestResult, FlowTestScript


def chain(*nodes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A flow document whose nodes follow one another on branch ``next`` (first: a universal
    trigger unless given); ``extra_edges`` adds more."""
    all_nodes = list(nodes)
    if all_nodes[0]["type"] not in ("trigger_universal", "trigger_keyword", "trigger_template"):
        all_nodes.insert(0, {"id": "start", "type": "trigger_universal"})
    edges = [
        {"source": a["id"], "target": b["id"], "branch": a.get("_out", "next")}
        for a, b in itertools.pairwise(all_nodes)
    ]
    edges += extra.pop("extra_edges", [])
    clean = [{k: v for k, v in n.items() if k != "_out"} for n in all_nodes]
    return {
        "name": extra.pop("name", "test"),
        "definition": {"nodes": clean, "edges": edges, **extra},
    }


def definition(document: dict[str, Any]) -> FlowDefinition:
    parsed, problems = check_document(document)
    assert not problems, [str(p) for p in problems]
    assert parsed is not None
    return parsed.definition


def script(*steps: dict[str, Any], **options: Any) -> FlowTestScript:
    return FlowTestScript.model_validate({"steps": list(steps), **options})


def bot_lines(result: FlowTestResult) -> list[str]:
    return [line.text for line in result.transcript if line.who == "bot"]
