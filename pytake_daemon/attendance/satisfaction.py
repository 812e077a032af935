"""Satisfaction ratings: asked when an attendance ends, answered by the customer's next reply.

Inside the 24-hour window the question is three reply buttons (WhatsApp allows three); outside
it, only an approved template may be sent, so the configured one is (or nothing, logged). The
answer is a tap on a button (its id carries the rating) or a plain "1" to "5".
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from pytake_daemon.ai.customer_language import customer_language
from pytake_daemon.attendance import agents_db, feedback_db
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, UnprocessableEntity
from pytake_daemon.i18n import N_, gettext
from pytake_daemon.protocol.outgoing import (
    ButtonsOut,
    ReplyButton,
    SendMessageRequest,
    TemplateOut,
)
from pytake_daemon.whatsapp.send_service import queue_message
from pytake_i18n import DEFAULT_LANGUAGE

log = structlog.get_logger("pytake.agents")

# Said in the customer's language (pytake_daemon.ai.customer_language); a button's title is at
# most 20 characters in every language (WhatsApp's limit).
QUESTION = N_("How would you rate this conversation?")
BUTTONS = ((5, N_("Great")), (3, N_("OK")), (1, N_("Bad")))
BUTTON_PREFIX = "csat:"
# A bare digit counts as an answer only this long after the question.
ANSWER_WINDOW = timedelta(hours=24)

_DIGIT = re.compile(r"^\s*([1-5])\s*(?:/\s*5)?\s*$")


def buttons(feedback_id: uuid.UUID, language: str = DEFAULT_LANGUAGE) -> ButtonsOut:
    return ButtonsOut(
        body=gettext(QUESTION, language=language),
        buttons=[
            ReplyButton(
                id=f"{BUTTON_PREFIX}{feedback_id}:{rating}",
                title=gettext(label, language=language),
            )
            for rating, label in BUTTONS
        ],
    )


async def ask(
    conn: Connection,
    *,
    item_id: uuid.UUID,
    conversation_id: uuid.UUID,
    agent_id: uuid.UUID,
    now: datetime,
    template: tuple[str, str] | None,
) -> uuid.UUID | None:
    """Record the request and queue the question; the queued message's id, if one was."""
    feedback_id = await feedback_db.ask_feedback(
        conn, item_id=item_id, conversation_id=conversation_id, agent_id=agent_id, at=now
    )
    if feedback_id is None:
        return None
    language = await customer_language(conn, conversation_id)
    requests = [SendMessageRequest(content=buttons(feedback_id, language))]
    if template is not None:
        requests.append(
            SendMessageRequest(content=TemplateOut(name=template[0], language=template[1]))
        )
    for request in requests:
        try:
            async with conn.transaction():
                queued = await queue_message(conn, conversation_id, request, sent_by=None, now=now)
            return queued.message_id
        except (Conflict, UnprocessableEntity) as exc:
            reason = str(exc)
    log.info("satisfaction not asked", conversation_id=str(conversation_id), reason=reason)
    return None


@dataclass(frozen=True)
class Answer:
    rating: int
    feedback_id: uuid.UUID | None
    """Named by the button tapped; ``None`` for a typed digit (the latest open request)."""


def parse_answer(content: dict[str, object], text: str) -> Answer | None:
    """A rating in an inbound message: a tapped rating button, or a message of just a digit."""
    reply = content.get("reply")
    reply_id = reply.get("id") if isinstance(reply, dict) else content.get("id")
    if isinstance(reply_id, str) and reply_id.startswith(BUTTON_PREFIX):
        feedback, _, rating = reply_id[len(BUTTON_PREFIX) :].partition(":")
        try:
            return Answer(int(rating), uuid.UUID(feedback))
        except ValueError:
            return None
    match = _DIGIT.match(text)
    if match:
        return Answer(int(match.group(1)), None)
    return None


async def record_answer(
    conn: Connection, conversation_id: uuid.UUID, answer: Answer, text: str, now: datetime
) -> uuid.UUID | None:
    """Store the rating on its request; the agent rated, or ``None`` if nothing was asked."""
    if answer.feedback_id is None and not await feedback_db.has_open_feedback(
        conn, conversation_id, now - ANSWER_WINDOW
    ):
        return None
    item_id = None
    if answer.feedback_id is not None:
        item_id = await feedback_db.feedback_item(conn, answer.feedback_id)
        if item_id is None:
            return None
    row = await feedback_db.answer_feedback(
        conn, conversation_id, item_id, answer.rating, text or None, now
    )
    if row is None:
        return None
    agent_id: uuid.UUID = row["agent_id"]
    await agents_db.add_activities(
        conn, [(agent_id, "feedback_received", conversation_id, {"rating": answer.rating})], now
    )
    return agent_id
