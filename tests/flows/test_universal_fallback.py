"""Every shipped flow answers any first message (issue 17): the original's priority is template
> keyword > universal, so each segment flow and the demo's end in a universal trigger, and a
customer who opens with a question instead of a greeting still gets the menu or a person."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from pytake_cli.demo_content import DEMO_FLOW, PORTUGUESE, demo_flow
from pytake_daemon.flows.testing import run_script
from pytake_daemon.flows.validation import check_document
from pytake_daemon.protocol.flows import FlowDefinition, FlowTestScript

SEGMENTS = Path(__file__).resolve().parents[2] / "flows" / "segments"
FLOWS = sorted(p for p in SEGMENTS.glob("*.yaml") if not p.name.endswith(".test.yaml"))
OPENER = "Cadê o meu pedido? Já faz uma semana"


def _definitions() -> Sequence[object]:
    found = [
        pytest.param("demo", DEMO_FLOW.definition, id="demo"),
        pytest.param("demo", demo_flow(PORTUGUESE).definition, id="demo-pt_BR"),
    ]
    for path in FLOWS:
        document, problems = check_document(yaml.safe_load(path.read_text()))
        assert document is not None, [str(p) for p in problems]
        found.append(pytest.param(path.stem, document.definition, id=path.stem))
    return found


@pytest.mark.parametrize(("name", "definition"), _definitions())
async def test_a_non_greeting_first_message_is_answered(
    name: str, definition: FlowDefinition
) -> None:
    assert any(n.type == "trigger_universal" for n in definition.nodes), name
    script = FlowTestScript.model_validate({"contact_name": "Bia", "steps": [{"say": OPENER}]})
    result = await run_script(definition, script)
    said = [line for line in result.transcript if line.who == "bot"]
    assert said, f"{name}: nobody answered {OPENER!r}: {result.transcript}"
    # It is the flow's own first answer, not an error path.
    assert not any(s.error for s in result.steps), result.steps
