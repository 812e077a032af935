"""Flow documents: every problem is reported with the node id and field."""

from __future__ import annotations

from typing import Any

from pytake_daemon.flows.validation import check_document
from pytake_daemon.protocol.flows import FlowProblem, node_branches
from tests.flows.builders import chain


def problems_of(document: Any) -> list[tuple[str | None, str, str]]:
    parsed, problems = check_document(document)
    assert (parsed is None) == bool(problems)
    return [(p.node_id, p.field, p.message) for p in problems]


def test_a_valid_chain_has_no_problems() -> None:
    assert problems_of(chain({"id": "hi", "type": "msg_text", "text": "Olá"})) == []


def test_missing_config_and_unknown_types_name_the_node_and_field() -> None:
    document = chain(
        {"id": "hi", "type": "msg_text"},
        {"id": "weird", "type": "teleport"},
        {"id": "q", "type": "ask", "question": "?", "variable": "x", "max_attempts": 0},
    )
    found = problems_of(document)
    assert ("hi", "text", "Field required") in found
    assert any(n == "weird" and f == "type" and "unknown node type" in m for n, f, m in found)
    assert any(n == "q" and f == "max_attempts" for n, f, _ in found)


def test_dangling_edges_wrong_branches_and_unreachable_nodes() -> None:
    document = chain({"id": "hi", "type": "msg_text", "text": "Olá"})
    document["definition"]["nodes"].append({"id": "lost", "type": "end"})
    document["definition"]["edges"] += [
        {"source": "hi", "target": "nowhere", "branch": "error"},
        {"source": "start", "target": "hi", "branch": "maybe"},
    ]
    found = problems_of(document)
    assert ("hi", "edges.1.target", "dangling edge: no node 'nowhere'") in found
    assert any(
        n == "start" and f == "edges.2.branch" and "no branch 'maybe'" in m for n, f, m in found
    )
    assert ("lost", "(node)", "unreachable from any trigger") in found


def test_a_loop_without_a_wait_is_refused_and_one_with_an_ask_is_not() -> None:
    looping = chain(
        {"id": "a", "type": "set_variable", "variable": "n", "value": "1"},
        {"id": "b", "type": "msg_text", "text": "again"},
        extra_edges=[{"source": "b", "target": "a"}],
    )
    found = problems_of(looping)
    assert any(
        f == "edges" and "loop without a wait" in m and "a -> b -> a" in m for _, f, m in found
    )
    waiting = chain(
        {"id": "a", "type": "ask", "question": "?", "variable": "n"},
        {"id": "b", "type": "msg_text", "text": "again"},
        extra_edges=[{"source": "b", "target": "a"}],
    )
    assert problems_of(waiting) == []


def test_no_trigger_duplicate_ids_and_bad_regexes() -> None:
    nodes: list[dict[str, Any]] = [
        {"id": "a", "type": "msg_text", "text": "1"},
        {"id": "a", "type": "msg_text", "text": "2"},
        {"id": "k", "type": "ask", "question": "?", "variable": "v", "pattern": "(["},
    ]
    document = {"name": "x", "definition": {"nodes": nodes}}
    found = problems_of(document)
    assert any(n == "k" and f == "pattern" and "regular expression" in m for n, f, m in found)
    nodes.pop()
    found = problems_of(document)
    assert (None, "nodes", "a flow needs at least one trigger node") in found
    assert ("a", "id", "duplicate node id") in found


def test_option_questions_need_options_and_media_needs_a_source() -> None:
    found = problems_of(
        chain(
            {"id": "q", "type": "ask", "question": "?", "variable": "v", "validation": "option"},
            {"id": "m", "type": "msg_media", "media_type": "image"},
        )
    )
    assert ("q", "options", "option questions need options") in found
    assert ("m", "link", "give link or media_id") in found


def test_transfer_keeps_the_original_configuration() -> None:
    node = {
        "id": "t",
        "type": "action_transfer_to_queue",
        "queueId": "q1",
        "queueName": "Vendas",
        "priority": 3,
        "message": "m",
        "waitTimeoutMinutes": 5,
        "fallbackAction": "close",
    }
    found = problems_of(chain(node))
    assert [(n, f) for n, f, _ in found] == [("t", "priority")]
    assert node_branches("action_transfer_to_queue") == ()
    assert str(FlowProblem(node_id="t", field="priority", message="bad")) == "node t: priority: bad"


def test_not_an_object() -> None:
    assert problems_of([1, 2]) == [(None, "(root)", "must be an object")]
