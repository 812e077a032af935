"""The ingest fan-out's flow steps, in rounds: one message of each conversation a round.

A step read its conversation, session and claim, queued its reply and saved its session and
log on its own: three round trips a customer message, in a transaction the whole batch waits
on. A round's steps read their facts in one statement, queue their replies in one more and save
their sessions in a third (``step_db.step_facts``, ``live_effects.RoundSends``,
``step_db.save_sessions``); a conversation's next message is stepped in the next round, once
its session was saved, so it sees what the first left.

Run again alone (``InboundBatch.isolate``: a step failed the optimistic try), each step reads,
queues and saves its own inside its savepoint, and one that fails again is handed to ``failed``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from pytake_daemon.conversations.inbound import InboundBatch
from pytake_daemon.effects import Effects
from pytake_daemon.flows import step_db
from pytake_daemon.flows.live_effects import RoundSends
from pytake_daemon.flows.stepping import Step
from pytake_daemon.loops import OUTAGE_ERRORS
from pytake_daemon.protocol import ConversationOut, MessageOut

Pair = tuple[ConversationOut, MessageOut]


@dataclass
class Round:
    """What a round's steps share: their facts, read at once, and what they leave for the
    round's end: the sessions to save and the replies to queue."""

    facts: Mapping[uuid.UUID, step_db.StepFacts]
    saves: list[step_db.SessionSave] = field(default_factory=list)
    sends: RoundSends = field(default_factory=RoundSends)


StepOne = Callable[
    [ConversationOut, MessageOut, dict[uuid.UUID, str], Round | None], Awaitable[Step]
]
"""Step one message: (conversation, message, its previews, its round; None: a step reading,
saving and queueing its own)."""
Failed = Callable[[InboundBatch, uuid.UUID, uuid.UUID], Awaitable[None]]
"""(batch, conversation id, message id) of a step that failed alone."""


class _Conversation(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


C = TypeVar("C", bound=_Conversation)
M = TypeVar("M")


def rounds(messages: Sequence[tuple[C, M]]) -> list[list[tuple[C, M]]]:
    """The messages in rounds, in order: each conversation's first message in the first round,
    its second in the second, and so on."""
    out: list[list[tuple[C, M]]] = []
    seen: dict[uuid.UUID, int] = {}
    for conversation, message in messages:
        n = seen.get(conversation.id, 0)
        seen[conversation.id] = n + 1
        if n == len(out):
            out.append([])
        out[n].append((conversation, message))
    return out


async def step_in_rounds(
    batch: InboundBatch,
    messages: Sequence[Pair],
    queued: Effects,
    step: StepOne,
    failed: Failed,
) -> None:
    """Step each message; their events and previews go to ``batch``, their queues' after-commit
    work to ``queued``."""
    for round_ in rounds(messages):
        shared = (
            None
            if batch.isolate
            else Round(await step_db.step_facts(batch.conn, [(c.id, m.id) for c, m in round_]))
        )
        done: list[Step] = []
        for conversation, message in round_:
            previews: dict[uuid.UUID, str] = {}  # the batch's once the step's savepoint holds
            try:
                async with batch.conn.transaction() if batch.isolate else contextlib.nullcontext():
                    step_done = await step(conversation, message, previews, shared)
            except OUTAGE_ERRORS:
                raise
            except Exception:
                if not batch.isolate:
                    raise
                await failed(batch, conversation.id, message.id)
                continue
            batch.deferred_previews.update(previews)
            queued.merge(step_done.queue_effects)
            done.append(step_done)
        if shared is not None:
            await shared.sends.flush(batch.conn)
            await step_db.save_sessions(batch.conn, shared.saves)
        for step_done in done:
            sent = step_done.sent if step_done.later is None else await step_done.later()
            batch.events.extend(sent)
            queued.messages_queued = queued.messages_queued or bool(sent)
