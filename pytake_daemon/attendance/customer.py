"""Messages the queues send to the customer: welcome, position, out of hours, timeout, full.

They go through the outbox like an agent's reply, in the caller's transaction. Outside the
24-hour window free-form text is refused; these messages are courtesy, not worth a template,
so the refusal is logged and nothing is sent.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog

from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict
from pytake_daemon.i18n import N_, gettext
from pytake_daemon.protocol.outgoing import SendMessageRequest, TextOut
from pytake_daemon.whatsapp.send_service import queue_message
from pytake_i18n import DEFAULT_LANGUAGE

log = structlog.get_logger("pytake.queues")

# Our texts, said in the customer's language (pytake_daemon.ai.customer_language); a queue's
# own text is sent as its tenant wrote it. Translations keep the fields and the [optional] part.
DEFAULT_WELCOME = N_(
    "You're in the {queue} queue: you are number {position}[, about {wait_minutes} min to wait]."
)
DEFAULT_POSITION = N_("You are now number {position} in line[ (about {wait_minutes} min)].")
DEFAULT_OUT_OF_HOURS = N_("We're closed right now; an agent will answer as soon as we open.")
DEFAULT_TIMEOUT = N_(
    "Sorry, no agent could take your conversation in time. Please write again later."
)
DEFAULT_FULL = N_("All our agents are busy and the line is full. Please write again later.")


@dataclass(frozen=True)
class Fields:
    queue: str
    position: int = 0
    wait_minutes: int | None = None
    """None: no basis for an estimate (nothing handled in the last day, or no agent)."""


def estimated_wait_minutes(
    position: int, avg_handle_seconds: float | None, agents: int
) -> int | None:
    """Each agent frees a place every average handling time (the queue's own, measured over the
    last day); ``None`` when there is no such figure or no agent to free one: a guess would be a
    promise nobody measured (the demo once said "~3 min" for a wait of 0 s)."""
    if not avg_handle_seconds or agents < 1:
        return None
    return max(1, math.ceil(position * avg_handle_seconds / agents / 60))


_WAIT = "{wait_minutes}"
# What goes when the estimate is unknown, tried in this order: a [bracketed] optional part,
# a parenthesis, else the sentence that names it.
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_PARENTHESIS = re.compile(r"\s*\([^()]*\{wait_minutes\}[^()]*\)")
_CLAUSE = re.compile(r"\s*[,;:]\s*[^,;:.!?]*\{wait_minutes\}[^,;:.!?]*")
_SENTENCE = re.compile(r"[^.!?\s][^.!?]*\{wait_minutes\}[^.!?]*[.!?]?\s*")


def render(template: str, default: str, fields: Fields, language: str = DEFAULT_LANGUAGE) -> str:
    """The queue's text (or our default, in ``language``) with its fields; unknown braces are
    left as written.

    A part written in square brackets is shown only when the fields in it are known (so
    ``number {position}[ (~{wait_minutes} min)]`` drops the estimate when there is none); a
    text without brackets loses the parenthesis, else the clause (after a comma, semicolon or
    colon), else the sentence, naming the estimate."""
    # gettext("") is the catalog's header, not an empty text.
    text = template or (gettext(default, language=language) if default else "")
    known = fields.wait_minutes is not None

    def optional(match: re.Match[str]) -> str:
        part = match.group(1)
        if "{" not in part:
            return match.group(0)  # plain brackets, not an optional part
        return part if known or _WAIT not in part else ""

    text = _OPTIONAL.sub(optional, text)
    if not known:
        text = _PARENTHESIS.sub("", text)
        text = _CLAUSE.sub("", text)
        text = _SENTENCE.sub("", text).strip()
        if not text and template:  # the whole text was the estimate: ours says the place
            return render("", default, fields, language)
    for name in ("queue", "position", "wait_minutes"):
        text = text.replace("{" + name + "}", str(getattr(fields, name)))
    return text


async def tell(
    conn: Connection, conversation_id: uuid.UUID, text: str, *, now: datetime
) -> uuid.UUID | None:
    """Queue ``text`` for the customer; the message's id, or None when WhatsApp wouldn't take
    it (window closed) or there is nothing to say."""
    if not text.strip():
        return None  # a queue whose text renders to nothing says nothing
    try:
        # A savepoint: a refusal after a partial write must not spoil the caller's transaction.
        async with conn.transaction():
            queued = await queue_message(
                conn,
                conversation_id,
                SendMessageRequest(content=TextOut(body=text)),
                sent_by=None,
                now=now,
            )
    except Conflict as exc:
        log.info("queue message not sent", conversation_id=str(conversation_id), reason=str(exc))
        return None
    return queued.message_id
