"""Every node type, run in memory through the flow tester (the same engine as live sessions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pytake_daemon.flows.testing import run_script
from pytake_daemon.flows.text import fold, render
from pytake_daemon.flows.validation import check_document
from tests.flows.builders import bot_lines, chain, definition, script


async def test_keyword_triggers_ignore_case_and_accents_and_take_several_keywords() -> None:
    flow = definition(
        {
            "name": "k",
            "definition": {
                "nodes": [
                    {"id": "k1", "type": "trigger_keyword", "keywords": ["olá", "menu"]},
                    {
                        "id": "k2",
                        "type": "trigger_keyword",
                        "match": "contains",
                        "keywords": ["pedido"],
                    },
                    {
                        "id": "k3",
                        "type": "trigger_keyword",
                        "match": "starts_with",
                        "keywords": ["ajuda"],
                    },
                    {
                        "id": "k4",
                        "type": "trigger_keyword",
                        "match": "regex",
                        "keywords": [r"^#\d+$"],
                    },
                    {"id": "a", "type": "msg_text", "text": "A"},
                    {"id": "b", "type": "msg_text", "text": "B"},
                    {"id": "c", "type": "msg_text", "text": "C"},
                    {"id": "d", "type": "msg_text", "text": "D"},
                ],
                "edges": [
                    {"source": "k1", "target": "a"},
                    {"source": "k2", "target": "b"},
                    {"source": "k3", "target": "c"},
                    {"source": "k4", "target": "d"},
                ],
            },
        }
    )
    for said, expected in [
        ("OLA", "A"),
        ("  Menu ", "A"),
        ("meu PEDÍDO chegou?", "B"),
        ("Ajuda por favor", "C"),
        ("#123", "D"),
    ]:
        result = await run_script(flow, script({"say": said}))
        assert bot_lines(result) == [expected], said
    result = await run_script(flow, script({"say": "tchau"}))
    assert bot_lines(result) == []
    assert result.transcript[-1].text == "no flow started"


async def test_window_check_takes_both_branches_and_a_template_goes_outside() -> None:
    document = chain(
        {"id": "w", "type": "logic_window_check", "_out": "inside"},
        {"id": "free", "type": "msg_text", "text": "free-form"},
    )
    document["definition"]["nodes"].append(
        {
            "id": "tpl",
            "type": "msg_template",
            "name": "retomar",
            "language": "pt_BR",
            "body_parameters": ["{{contact.name}}"],
        }
    )
    document["definition"]["edges"].append({"source": "w", "target": "tpl", "branch": "outside"})
    flow = definition(document)
    inside = await run_script(flow, script({"say": "x"}))
    assert bot_lines(inside) == ["free-form"]
    outside = await run_script(flow, script({"say": "x"}, window_open=False, contact_name="Ana"))
    [line] = [t for t in outside.transcript if t.who == "bot"]
    assert line.content is not None
    assert line.content["type"] == "template"
    assert line.content["components"] == [{"type": "body", "parameters": ["Ana"]}]
    assert [s.branch for s in outside.steps if s.node_id == "w"] == ["outside"]


async def test_messages_render_variables_from_contact_conversation_and_input() -> None:
    flow = definition(
        chain(
            {"id": "q", "type": "ask", "question": "Nome?", "variable": "nome"},
            {
                "id": "t",
                "type": "msg_text",
                "text": (
                    "Oi {{nome}} ({{contact.name}}, {{contact.wa_id}}, {{conversation.status}})"
                ),
            },
            {
                "id": "b",
                "type": "msg_buttons",
                "text": "Escolha, {{nome}}",
                "buttons": [{"id": "s", "title": "Sim"}, {"id": "n", "title": "Não"}],
            },
            {
                "id": "l",
                "type": "msg_list",
                "text": "Lista",
                "options": [{"id": "1", "title": "Um"}],
            },
            {
                "id": "m",
                "type": "msg_media",
                "media_type": "document",
                "link": "https://example.com/a.pdf",
                "caption": "para {{nome}}",
            },
        )
    )
    result = await run_script(
        flow, script({"say": "x"}, {"say": "Zé"}, contact_name="José", contact_wa_id="5511")
    )
    lines = [t for t in result.transcript if t.who == "bot"]
    assert lines[1].text == "Oi Zé (José, 5511, open)"
    assert [line.content["type"] for line in lines if line.content] == [
        "text",
        "text",
        "buttons",
        "list",
        "document",
    ]
    assert lines[4].content is not None
    assert lines[4].content["caption"] == "para Zé"


async def test_the_starting_message_is_a_variable_so_a_flow_can_echo_it() -> None:
    flow = definition(chain({"id": "echo", "type": "msg_text", "text": "{{message.text}}"}))
    result = await run_script(flow, script({"say": "Olá, tudo bem?"}, {"say": "segunda"}))
    # Each message starts the flow anew (it ends after the echo) and is echoed as it came.
    assert bot_lines(result) == ["Olá, tudo bem?", "segunda"]


@pytest.mark.parametrize(
    ("validation", "extra", "bad", "good", "stored"),
    [
        ("number", {}, "dois", "2,5", "2.5"),
        ("email", {}, "ana@", "Ana@Example.com", "ana@example.com"),
        ("date", {}, "amanhã", "05/01/2030", "2030-01-05"),
        ("regex", {"pattern": r"[A-Z]{3}-\d{4}"}, "abc", "ABC-1234", "ABC-1234"),
        ("option", {"options": ["Manhã", "Tarde"]}, "noite", "tarde", "Tarde"),
        ("option", {"options": ["Manhã", "Tarde"]}, "3", "1", "Manhã"),
    ],
)
async def test_ask_validates_re_asks_and_stores(
    validation: str, extra: dict[str, object], bad: str, good: str, stored: str
) -> None:
    flow = definition(
        chain(
            {
                "id": "q",
                "type": "ask",
                "question": "Pergunta",
                "variable": "v",
                "validation": validation,
                "retry_message": "De novo",
                **extra,
            },
            {"id": "ok", "type": "msg_text", "text": "ok {{v}}"},
        )
    )
    result = await run_script(flow, script({"say": "x"}, {"say": bad}, {"say": good}))
    assert bot_lines(result)[-2:] == ["De novo", f"ok {stored}"]
    assert result.variables["v"] == stored


async def test_ask_gives_up_after_max_attempts_and_times_out() -> None:
    document = chain(
        {
            "id": "q",
            "type": "ask",
            "question": "Número?",
            "variable": "v",
            "validation": "number",
            "max_attempts": 2,
            "timeout_minutes": 5,
        },
        {"id": "ok", "type": "msg_text", "text": "ok"},
    )
    document["definition"]["nodes"] += [
        {"id": "bad", "type": "msg_text", "text": "desisto"},
        {"id": "late", "type": "msg_text", "text": "tempo esgotado"},
    ]
    document["definition"]["edges"] += [
        {"source": "q", "target": "bad", "branch": "invalid"},
        {"source": "q", "target": "late", "branch": "timeout"},
    ]
    flow = definition(document)
    invalid = await run_script(flow, script({"say": "x"}, {"say": "a"}, {"say": "b"}))
    assert bot_lines(invalid)[-1] == "desisto"
    timeout = await run_script(flow, script({"say": "x"}, {"elapse": True}))
    assert bot_lines(timeout)[-1] == "tempo esgotado"
    assert [s.branch for s in timeout.steps if s.node_id == "q"][-1] == "timeout"


async def test_condition_set_variable_tag_close_and_exit_keyword() -> None:
    document = chain(
        {"id": "set", "type": "set_variable", "variable": "nivel", "value": "{{contact.name}}-vip"},
        {
            "id": "c",
            "type": "condition",
            "match": "all",
            "_out": "true",
            "rules": [
                {"variable": "nivel", "operator": "contains", "value": "VIP"},
                {"variable": "contact.name", "operator": "exists"},
            ],
        },
        {"id": "tag", "type": "action_tag", "tags": ["vip"]},
        {"id": "close", "type": "action_close", "message": "tchau"},
    )
    flow = definition(document)
    result = await run_script(
        flow, script({"say": "x"}, {"expect_end": "closed"}, contact_name="Ana")
    )
    assert result.passed, result.failures
    assert result.variables["nivel"] == "Ana-vip"
    assert bot_lines(result) == ["tchau"]
    exiting = definition(
        chain({"id": "q", "type": "ask", "question": "?", "variable": "v"}, exit_keywords=["Sair"])
    )
    result = await run_script(
        exiting, script({"say": "x"}, {"say": "SAIR"}, {"expect_end": "exit_keyword"})
    )
    assert result.passed, result.failures


async def test_business_hours_condition() -> None:
    document = chain(
        {
            "id": "c",
            "type": "condition",
            "_out": "true",
            "business_hours": {
                "timezone": "America/Sao_Paulo",
                "days": [0],
                "start": "09:00",
                "end": "18:00",
            },
        },
        {"id": "open", "type": "msg_text", "text": "aberto"},
    )
    document["definition"]["nodes"].append({"id": "shut", "type": "msg_text", "text": "fechado"})
    document["definition"]["edges"].append({"source": "c", "target": "shut", "branch": "false"})
    flow = definition(document)
    monday_noon = datetime(2030, 1, 7, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo
    monday_night = datetime(2030, 1, 7, 23, 0, tzinfo=UTC)
    assert bot_lines(await run_script(flow, script({"say": "x"}), now=monday_noon)) == ["aberto"]
    assert bot_lines(await run_script(flow, script({"say": "x"}), now=monday_night)) == ["fechado"]


async def test_delay_waits_for_its_timer_and_ignores_messages_meanwhile() -> None:
    flow = definition(
        chain(
            {"id": "d", "type": "delay", "seconds": 30},
            {"id": "after", "type": "msg_text", "text": "depois"},
        )
    )
    result = await run_script(flow, script({"say": "x"}, {"say": "e aí?"}, {"elapse": True}))
    assert bot_lines(result) == ["depois"]
    assert [s.node_id for s in result.steps] == ["start", "d", "d", "after"]


async def test_template_trigger_stores_the_button() -> None:
    flow = definition(
        chain(
            {"id": "tt", "type": "trigger_template", "template_name": "promo"},
            {"id": "m", "type": "msg_text", "text": "você escolheu {{template_button}}"},
        )
    )
    result = await run_script(flow, script({"button": "QUERO"}, template_reply="promo"))
    assert bot_lines(result) == ["você escolheu QUERO"]


async def test_http_node_maps_the_response_and_errors_take_the_error_branch() -> None:
    document = chain(
        {
            "id": "h",
            "type": "http_request",
            "method": "POST",
            "url": "https://api.example.com/x/{{contact.wa_id}}",
            "body": {"who": "{{contact.name}}"},
            "response_map": {"saldo": "data.saldo"},
            "_out": "success",
        },
        {"id": "ok", "type": "msg_text", "text": "saldo {{saldo}}"},
    )
    document["definition"]["nodes"].append({"id": "ko", "type": "msg_text", "text": "falhou"})
    document["definition"]["edges"].append({"source": "h", "target": "ko", "branch": "error"})
    flow = definition(document)
    ok = await run_script(flow, script({"say": "x"}, http={"h": {"json": {"data": {"saldo": 7}}}}))
    assert bot_lines(ok) == ["saldo 7"]
    status = await run_script(flow, script({"say": "x"}, http={"h": {"status": 500}}))
    assert bot_lines(status) == ["falhou"]
    [step] = [s for s in status.steps if s.node_id == "h"]
    assert step.error == "HTTP 500"
    unmocked = await run_script(flow, script({"say": "x"}))
    assert bot_lines(unmocked) == ["falhou"]


async def test_a_node_loop_is_stopped_by_the_step_limit() -> None:
    # Validation refuses such a flow; the engine's limit protects against one anyway.
    from pytake_daemon.protocol.flows import FlowDefinition

    flow = FlowDefinition.model_validate(
        {
            "nodes": [
                {"id": "s", "type": "trigger_universal"},
                {"id": "a", "type": "set_variable", "variable": "x", "value": "1"},
            ],
            "edges": [{"source": "s", "target": "a"}, {"source": "a", "target": "a"}],
        }
    )
    result = await run_script(flow, script({"say": "x"}, {"expect_end": "max_steps"}), max_steps=20)
    assert result.passed, result.failures
    assert len(result.steps) == 21


async def test_failed_expectations_are_reported() -> None:
    flow = definition(chain({"id": "t", "type": "msg_text", "text": "oi"}))
    result = await run_script(
        flow,
        script(
            {"say": "x"},
            {"expect": "tchau"},
            {"expect_transfer": {"queueId": "q"}},
            {"elapse": True},
        ),
    )
    assert not result.passed
    assert len(result.failures) == 3
    assert result.failures[0].startswith("step 2: expected a bot message containing 'tchau'")


def test_text_helpers() -> None:
    assert fold("  Olá   MUNDO ") == "ola mundo"
    assert render("{{a}}-{{ b.c }}-{{missing}}", {"a": 1, "b.c": "x"}) == "1-x-"


async def test_request_phone_asks_a_username_customer_and_skips_a_known_phone() -> None:
    document = chain(
        {
            "id": "ask_phone",
            "type": "action_request_phone",
            "text": "{{contact.name}}, share your phone so we can call you.",
        },
        {"id": "thanks", "type": "msg_text", "text": "Thanks!"},
    )
    document["definition"]["nodes"].append({"id": "hello", "type": "msg_text", "text": "Hi!"})
    document["definition"]["edges"].append(
        {"source": "ask_phone", "target": "hello", "branch": "known"}
    )
    flow = definition(document)
    username = await run_script(flow, script({"say": "oi"}, contact_wa_id=None, contact_name="Ana"))
    first, second = [line for line in username.transcript if line.who == "bot"]
    assert first.content == {
        "type": "request_contact_info",
        "body": "Ana, share your phone so we can call you.",
    }
    assert second.text == "Thanks!"
    assert [s.branch for s in username.steps if s.node_id == "ask_phone"] == ["next"]
    known = await run_script(flow, script({"say": "oi"}))
    assert bot_lines(known) == ["Hi!"]
    assert [s.branch for s in known.steps if s.node_id == "ask_phone"] == ["known"]


def test_request_phone_has_the_branches_next_known_and_error() -> None:
    document = chain(
        {"id": "ask_phone", "type": "action_request_phone", "_out": "maybe"},
        {"id": "end", "type": "end"},
    )
    _, problems = check_document(document)
    assert "a action_request_phone node has no branch 'maybe'; branches: next, known, error" in [
        p.message for p in problems
    ]
