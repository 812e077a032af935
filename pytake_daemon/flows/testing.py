"""Flow tests: a scripted conversation run against one flow version, entirely in memory.

Nothing reaches WhatsApp: messages become transcript lines, transfers and tags are recorded,
timers fire when the script says ``elapse``. ``http_request`` nodes use the script's mocks, or
the guarded client when the script has none for a node. Used by ``POST /api/v1/flows/{id}/test``,
``pytake flow test`` and the test suite (the shipped segment flows).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pytake_daemon.flows.compiled import CompiledFlow
from pytake_daemon.flows.engine import (
    Facts,
    FlowEngine,
    HttpAnswer,
    HttpFailed,
    Inbound,
    SessionState,
)
from pytake_daemon.flows.text import fold
from pytake_daemon.protocol.flows import (
    ActionTransferToQueue,
    FlowDefinition,
    FlowStep,
    FlowTestResult,
    FlowTestScript,
    HttpRequest,
    ScriptStep,
    TranscriptLine,
)
from pytake_daemon.protocol.outgoing import OutgoingContent, RequestContactInfoOut
from pytake_daemon.whatsapp.render import render_outgoing

HttpCall = Callable[[HttpRequest, str, dict[str, str], Any], Awaitable[HttpAnswer]]


class RecordingEffects:
    def __init__(self, script: FlowTestScript, http: HttpCall | None) -> None:
        self.script = script
        self.http_call = http
        self.transcript: list[TranscriptLine] = []
        self.transfers: list[dict[str, Any]] = []
        self.tags: list[str] = []
        self.closed = False

    async def send(self, content: OutgoingContent, *, step: int) -> None:
        self.transcript.append(
            TranscriptLine(
                who="bot",
                text=render_outgoing(content),
                content=content.model_dump(mode="json", exclude_none=True),
            )
        )

    async def request_phone(self, text: str, *, step: int) -> OutgoingContent:
        # Outside the window the live runner sends a template instead; which one depends on
        # the tenant's synced templates, so the tester shows the in-window message.
        content = RequestContactInfoOut(body=text)
        await self.send(content, step=step)
        return content

    async def transfer(self, node: ActionTransferToQueue) -> None:
        self.transfers.append(node.model_dump(exclude={"id", "label", "position", "type"}))
        self.transcript.append(
            TranscriptLine(who="system", text=f"transferred to queue {node.queueName}")
        )

    async def close(self) -> None:
        self.closed = True
        self.transcript.append(TranscriptLine(who="system", text="conversation closed"))

    async def tag(self, tags: list[str]) -> None:
        self.tags.extend(tags)

    async def http(
        self, node: HttpRequest, url: str, headers: dict[str, str], body: Any
    ) -> HttpAnswer:
        mock = self.script.http.get(node.id)
        if mock is not None:
            return HttpAnswer(status=mock.status, body=mock.json_body)
        if self.http_call is None:
            raise HttpFailed(f"no mock for node {node.id} and live calls are off")
        return await self.http_call(node, url, headers, body)

    def schedule(self, seconds: float, token: int) -> None:
        """Timers fire only when the script says ``elapse``."""


async def run_script(
    definition: FlowDefinition,
    script: FlowTestScript,
    *,
    http: HttpCall | None = None,
    max_steps: int = 50,
    now: datetime | None = None,
) -> FlowTestResult:
    flow = CompiledFlow(uuid.UUID(int=0), 0, definition)
    effects = RecordingEffects(script, http)
    state: SessionState | None = None
    steps: list[FlowStep] = []
    failures: list[str] = []
    turn_start = 0
    facts = Facts(
        conversation_id="test",
        conversation_status="open",
        contact_name=script.contact_name,
        contact_wa_id=script.contact_wa_id,
        window_open=script.window_open,
        now=now or datetime.now(UTC),
    )
    started_by_template = False
    for index, step in enumerate(script.steps, start=1):
        where = f"step {index}"
        if step.say is not None or step.button is not None:
            text = step.say if step.say is not None else (step.button or "")
            inbound = Inbound(text=text, reply_id=step.button)
            effects.transcript.append(TranscriptLine(who="customer", text=text))
            turn_start = len(effects.transcript)
            if state is None or state.ended:
                trigger = None
                if script.template_reply and not started_by_template:
                    trigger = flow.template_trigger(script.template_reply)
                    started_by_template = True
                if trigger is None:
                    keyword = flow.keyword_trigger(text)
                    trigger = keyword[0] if keyword else flow.universal_trigger()
                if trigger is None:
                    effects.transcript.append(TranscriptLine(who="system", text="no flow started"))
                    continue
                state = SessionState()
                engine = FlowEngine(flow, state, facts, effects, max_steps=max_steps)
                await engine.start(trigger, inbound)
            else:
                engine = FlowEngine(flow, state, facts, effects, max_steps=max_steps)
                await engine.receive(inbound)
            steps.extend(engine.steps)
        elif step.elapse:
            if state is None or state.waiting is None:
                failures.append(f"{where}: elapse, but nothing is waiting")
                continue
            engine = FlowEngine(flow, state, facts, effects, max_steps=max_steps)
            await engine.timer(state.wait_token)
            steps.extend(engine.steps)
        else:
            failure = _check(step, effects, state, effects.transcript[turn_start:])
            if failure:
                failures.append(f"{where}: {failure}")
    return FlowTestResult(
        passed=not failures,
        failures=failures,
        transcript=effects.transcript,
        steps=steps,
        variables=dict(state.variables) if state else {},
    )


def _check(
    step: ScriptStep,
    effects: RecordingEffects,
    state: SessionState | None,
    since_turn: list[TranscriptLine],
) -> str | None:
    if step.expect is not None:
        wanted = fold(step.expect)
        bot = [line.text for line in since_turn if line.who == "bot"]
        if not any(wanted in fold(text) for text in bot):
            return f"expected a bot message containing {step.expect!r}; got {bot}"
    if step.expect_variables is not None:
        variables = state.variables if state else {}
        for name, value in step.expect_variables.items():
            if str(variables.get(name)) != str(value):
                return f"expected variable {name} = {value!r}; got {variables.get(name)!r}"
    if step.expect_transfer is not None:
        if not effects.transfers:
            return "expected a transfer; there was none"
        last = effects.transfers[-1]
        for name, value in step.expect_transfer.items():
            if last.get(name) != value:
                return f"expected transfer {name} = {value!r}; got {last.get(name)!r}"
    if step.expect_end is not None:
        if state is None or not state.ended:
            return "expected the session to have ended; it is still running"
        if step.expect_end not in ("", "any") and state.end_reason != step.expect_end:
            return f"expected the session to end with {step.expect_end!r}; got {state.end_reason!r}"
    return None
