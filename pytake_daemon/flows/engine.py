"""Runs a flow version for one session: executes nodes until the flow waits (an ``ask`` or a
``delay``) or ends, and records every executed node as a step.

The engine holds no I/O of its own: sending, transferring, tagging, HTTP calls and timers go
through :class:`FlowEffects`, implemented by the live runner (outbox, durable jobs) and by the
flow tester (a transcript, nothing sent). The session's state is a plain object the caller
loads and stores, so a live step and its state commit in one transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from pytake_daemon.flows.answers import accept_answer
from pytake_daemon.flows.compiled import CompiledFlow
from pytake_daemon.flows.conditions import condition_holds
from pytake_daemon.flows.contents import message_content, question_content
from pytake_daemon.flows.text import dig, fold, render, render_json
from pytake_daemon.protocol.flows import (
    ActionClose,
    ActionRequestPhone,
    ActionTag,
    ActionTransferToQueue,
    Ask,
    Condition,
    Delay,
    End,
    FlowNode,
    FlowStep,
    HttpRequest,
    LogicWindowCheck,
    MsgButtons,
    MsgList,
    MsgMedia,
    MsgTemplate,
    MsgText,
    SetVariable,
    TriggerKeyword,
    TriggerTemplate,
    TriggerUniversal,
)
from pytake_daemon.protocol.outgoing import (
    OutgoingContent,
    TextOut,
)

Waiting = Literal["ask", "delay"]


class SendRefused(Exception):
    """A message the flow wanted to send was refused (window closed, template unknown…)."""


class HttpFailed(Exception):
    """An http_request node's call failed: refused address, timeout, network, not JSON."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: Any


class FlowEffects(Protocol):
    async def send(self, content: OutgoingContent, *, step: int) -> None:
        """Queue a message (raises SendRefused)."""

    async def transfer(self, node: ActionTransferToQueue) -> None:
        """Hand the conversation to a human queue."""

    async def close(self) -> None:
        """Resolve the conversation."""

    async def tag(self, tags: list[str]) -> None: ...

    async def request_phone(self, text: str, *, step: int) -> OutgoingContent:
        """Queue the request for the customer's phone; the content sent (raises SendRefused)."""

    async def http(
        self, node: HttpRequest, url: str, headers: dict[str, str], body: Any
    ) -> HttpAnswer:
        """Perform the call (raises HttpFailed)."""

    def schedule(self, seconds: float, token: int) -> None:
        """Fire ``timer(token)`` on this session after ``seconds``, durably."""


@dataclass(frozen=True)
class Facts:
    """What the flow may read about the conversation at this moment."""

    conversation_id: str
    conversation_status: str
    contact_name: str | None
    contact_wa_id: str | None
    """The phone; None for a customer known only by their username (BSUID)."""
    window_open: bool
    now: datetime


@dataclass(frozen=True)
class Inbound:
    text: str
    reply_id: str | None = None
    """The id of a tapped reply button or list row, or a template button's payload."""


@dataclass
class SessionState:
    current_node: str | None = None
    waiting: Waiting | None = None
    attempts: int = 0
    wait_token: int = 0
    variables: dict[str, Any] = field(default_factory=dict)
    end_reason: str | None = None
    next_seq: int = 1

    @property
    def ended(self) -> bool:
        return self.end_reason is not None


@dataclass
class _Outcome:
    branch: str | None = None
    wait: Waiting | None = None
    end: str | None = None
    output: Any = None
    error: str | None = None
    changed: dict[str, Any] = field(default_factory=dict)


class FlowEngine:
    def __init__(
        self,
        flow: CompiledFlow,
        state: SessionState,
        facts: Facts,
        effects: FlowEffects,
        *,
        max_steps: int = 50,
    ) -> None:
        self.flow = flow
        self.state = state
        self.facts = facts
        self.effects = effects
        self.max_steps = max_steps
        self.steps: list[FlowStep] = []

    # ---- entry points ------------------------------------------------------------------------

    async def start(self, trigger_id: str, inbound: Inbound) -> None:
        await self._run(trigger_id, inbound)

    async def receive(self, inbound: Inbound) -> None:
        """A customer's message for a running session."""
        state = self.state
        if state.ended or state.current_node is None:
            return
        if fold(inbound.text) in self.flow.exit_keywords:
            self._record_marker("exit_keyword", inbound.text)
            state.end_reason = "exit_keyword"
            return
        node = self.flow.nodes[state.current_node]
        if state.waiting != "ask" or not isinstance(node, Ask):
            return  # a delay is running: messages don't skip it
        await self._run(node.id, inbound, answering=True)

    async def timer(self, token: int) -> None:
        """A delay or an ask timeout fired; stale tokens (the session moved on) do nothing."""
        state = self.state
        if state.ended or state.waiting is None or token != state.wait_token:
            return
        assert state.current_node is not None
        node = self.flow.nodes[state.current_node]
        branch = "next" if state.waiting == "delay" else "timeout"
        state.waiting = None
        started = time.perf_counter()
        self._record(node, None, _Outcome(branch=branch, output={"fired": branch}), started)
        await self._follow(node.id, branch)

    # ---- the loop ----------------------------------------------------------------------------

    async def _run(self, node_id: str, inbound: Inbound | None, *, answering: bool = False) -> None:
        current: str | None = node_id
        first = True
        while current is not None:
            if len(self.steps) >= self.max_steps:
                self._record_marker("max_steps", f"stopped after {self.max_steps} steps")
                self.state.end_reason = "max_steps"
                return
            node = self.flow.nodes[current]
            started = time.perf_counter()
            given = inbound if first else None
            try:
                if answering and first:
                    outcome = await self._answer(node, given)
                else:
                    outcome = await self._execute(node, given)
            except Exception as exc:  # a node's failure ends the session, never the runner
                outcome = _Outcome(end="error", error=f"{type(exc).__name__}: {exc}")
            first = False
            self.state.variables.update(outcome.changed)
            self._record(node, given.text if given else None, outcome, started)
            if outcome.wait is not None:
                self.state.current_node = node.id
                self.state.waiting = outcome.wait
                return
            self.state.waiting = None
            if outcome.end is not None:
                self.state.current_node = node.id
                self.state.end_reason = outcome.end
                return
            assert outcome.branch is not None
            target = self.flow.next_node(node.id, outcome.branch)
            if target is None:
                self.state.current_node = node.id
                self.state.end_reason = "error" if outcome.error else "completed"
                return
            current = target

    async def _follow(self, node_id: str, branch: str) -> None:
        target = self.flow.next_node(node_id, branch)
        if target is None:
            self.state.end_reason = "timeout" if branch == "timeout" else "completed"
            return
        await self._run(target, None)

    def _record(self, node: FlowNode, given: Any, outcome: _Outcome, started: float) -> None:
        self.steps.append(
            FlowStep(
                seq=self.state.next_seq,
                node_id=node.id,
                node_type=node.type,
                input=given,
                output=outcome.output,
                variables=outcome.changed,
                branch=outcome.branch,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                error=outcome.error,
                at=self.facts.now,
            )
        )
        self.state.next_seq += 1

    def _record_marker(self, kind: str, detail: str) -> None:
        self.steps.append(
            FlowStep(
                seq=self.state.next_seq,
                node_id=self.state.current_node or "",
                node_type=kind,
                input=detail,
                duration_ms=0.0,
                at=self.facts.now,
            )
        )
        self.state.next_seq += 1

    # ---- values ------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {
            **self.state.variables,
            "contact.name": self.facts.contact_name or "",
            "contact.wa_id": self.facts.contact_wa_id or "",
            "contact.phone": self.facts.contact_wa_id or "",
            "conversation.id": self.facts.conversation_id,
            "conversation.status": self.facts.conversation_status,
        }

    def _text(self, template: str) -> str:
        return render(template, self.values())

    # ---- nodes -------------------------------------------------------------------------------

    async def _execute(self, node: FlowNode, inbound: Inbound | None) -> _Outcome:
        match node:
            case TriggerUniversal() | TriggerKeyword():
                text = inbound.text if inbound else ""
                # The message that started the flow, for {{message.text}} (an echo, a search…).
                self.state.variables["message.text"] = text
                return _Outcome(branch="next", output={"message": text})
            case TriggerTemplate():
                reply = (inbound.reply_id or inbound.text) if inbound else ""
                return _Outcome(
                    branch="next",
                    output={"template": node.template_name},
                    changed={"template_button": reply},
                )
            case LogicWindowCheck():
                inside = self.facts.window_open
                return _Outcome(branch="inside" if inside else "outside", output={"open": inside})
            case Condition():
                result = condition_holds(node, self.values(), self._text, self.facts.now)
                return _Outcome(branch="true" if result else "false", output={"result": result})
            case SetVariable():
                value = self._text(node.value)
                return _Outcome(branch="next", changed={node.variable: value}, output=value)
            case Delay():
                return self._wait("delay", node.seconds, output={"seconds": node.seconds})
            case MsgText() | MsgTemplate() | MsgButtons() | MsgList() | MsgMedia():
                return await self._send(message_content(node, self._text))
            case Ask():
                sent = await self._send(question_content(node, self._text))
                if sent.error is not None:
                    return sent
                self.state.attempts = 0
                timeout = node.timeout_minutes * 60 if node.timeout_minutes else None
                return self._wait("ask", timeout, output=sent.output)
            case HttpRequest():
                return await self._http(node)
            case ActionTransferToQueue():
                if node.message:
                    sent = await self._send(TextOut(body=self._text(node.message)))
                    if sent.error is not None:
                        return _Outcome(end="error", error=sent.error)
                await self.effects.transfer(node)
                return _Outcome(
                    end="transferred",
                    output={"queueId": node.queueId, "priority": node.priority},
                )
            case ActionClose():
                if node.message:
                    await self._send(TextOut(body=self._text(node.message)))
                await self.effects.close()
                return _Outcome(end="closed")
            case ActionTag():
                await self.effects.tag(node.tags)
                return _Outcome(branch="next", output={"tags": node.tags})
            case ActionRequestPhone():
                return await self._request_phone(node)
            case End():
                return _Outcome(end="completed")
        raise AssertionError(f"unhandled node type {node.type}")

    async def _answer(self, node: FlowNode, inbound: Inbound | None) -> _Outcome:
        assert isinstance(node, Ask)
        assert inbound is not None
        value = accept_answer(node, inbound.text, inbound.reply_id)
        if value is not None:
            return _Outcome(branch="next", changed={node.variable: value}, output=value)
        self.state.attempts += 1
        if self.state.attempts >= node.max_attempts:
            return _Outcome(branch="invalid", output={"attempts": self.state.attempts})
        retry = await self._send(TextOut(body=self._text(node.retry_message)))
        if retry.error is not None:
            return retry
        # Still waiting for this question; the timeout already scheduled keeps running.
        return _Outcome(
            wait="ask", output={"invalid": inbound.text, "attempt": self.state.attempts}
        )

    def _wait(self, kind: Waiting, seconds: float | None, *, output: Any) -> _Outcome:
        self.state.wait_token += 1
        if seconds is not None:
            self.effects.schedule(seconds, self.state.wait_token)
        return _Outcome(wait=kind, output=output)

    async def _send(self, content: OutgoingContent | str) -> _Outcome:
        if isinstance(content, str):  # the content couldn't be built
            return _Outcome(branch="error", error=content)
        try:
            await self.effects.send(content, step=self.state.next_seq)
        except SendRefused as exc:
            return _Outcome(branch="error", error=str(exc))
        return _Outcome(branch="next", output=content.model_dump(mode="json", exclude_none=True))

    async def _request_phone(self, node: ActionRequestPhone) -> _Outcome:
        if self.facts.contact_wa_id:
            return _Outcome(branch="known", output={"phone": self.facts.contact_wa_id})
        try:
            sent = await self.effects.request_phone(self._text(node.text), step=self.state.next_seq)
        except SendRefused as exc:
            return _Outcome(branch="error", error=str(exc))
        return _Outcome(branch="next", output=sent.model_dump(mode="json", exclude_none=True))

    async def _http(self, node: HttpRequest) -> _Outcome:
        values = self.values()
        url = render(node.url, values)
        headers = {k: render(v, values) for k, v in node.headers.items()}
        body = render_json(node.body, values)
        try:
            answer = await self.effects.http(node, url, headers, body)
        except HttpFailed as exc:
            return _Outcome(branch="error", error=str(exc), output={"url": url})
        if not 200 <= answer.status < 300:
            return _Outcome(
                branch="error",
                error=f"HTTP {answer.status}",
                output={"url": url, "status": answer.status},
            )
        changed = {var: dig(answer.body, path) for var, path in node.response_map.items()}
        return _Outcome(
            branch="success", changed=changed, output={"url": url, "status": answer.status}
        )
