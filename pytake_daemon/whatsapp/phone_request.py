"""Asking a customer known only by their BSUID (a username customer) to share their phone number.

Inside the 24-hour window this is the ``request_contact_info`` interactive message (a body of our
own and a button whose text Meta fixes). Outside it only a template can be sent, so it is an
approved utility template carrying Meta's ``REQUEST_CONTACT_INFO`` button (utility or marketing
only, one such button and no other, button text fixed by Meta). The template is picked among the
tenant's synced templates of the conversation's WABA; when there is none the agent is told what
to create. The customer's answer (a ``contacts`` message with ``origin: contact_request``) is
stored by the webhook side.

Both go through ``queue_message``, so the window, the number's state and idempotency are checked
exactly as for any other send.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pytake_daemon.ai.customer_language import customer_language
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, NotFound
from pytake_daemon.i18n import N_, gettext
from pytake_daemon.protocol.outgoing import (
    OutgoingContent,
    RequestContactInfoOut,
    SendMessageRequest,
    TemplateOut,
)
from pytake_daemon.whatsapp import db as whatsapp_db
from pytake_daemon.whatsapp import outbox_db
from pytake_daemon.whatsapp.send_service import Queued, queue_message, window_open
from pytake_daemon.whatsapp.template_params import asks_for_phone, expected_parameters

# Said in the customer's language (pytake_daemon.ai.customer_language); an agent's own text
# is sent as written.
DEFAULT_TEXT = N_("To continue, please share your phone number with us.")

# Raised as is and translated where it is shown (the problem document, the CLI).
NO_TEMPLATE = N_(
    "More than 24 hours have passed since the customer last wrote, so the phone number can only "
    "be asked with an approved utility template that has a 'Share contact info' button "
    "(REQUEST_CONTACT_INFO) and no variables. None is synced for this number's account: create "
    "one, get it approved, and run a template sync."
)


async def ask_for_phone(
    conn: Connection,
    conversation_id: uuid.UUID,
    *,
    text: str | None,
    sent_by: uuid.UUID | None,
    now: datetime,
    idempotency_key: str | None = None,
    deferred_previews: dict[uuid.UUID, str] | None = None,
) -> tuple[Queued, OutgoingContent]:
    """Queue the request for the customer's phone in the caller's tenant transaction; the
    queued message and what it says.

    Raises ``Conflict`` when the phone is already known, and when the window is closed and no
    approved template can ask for it.
    """
    conversation = await outbox_db.conversation_for_send(conn, conversation_id)
    if conversation is None:
        raise NotFound("no such conversation")
    if conversation["wa_id"] is not None:
        raise Conflict("This customer's phone number is already known; there is nothing to ask.")
    content: OutgoingContent
    if window_open(conversation["last_inbound_at"], now):
        if not text:
            language = await customer_language(conn, conversation_id)
            text = gettext(DEFAULT_TEXT, language=language)
        content = RequestContactInfoOut(body=text)
    else:
        content = await _phone_template(conn, conversation["waba_id"])
    request = SendMessageRequest(content=content, idempotency_key=idempotency_key)
    queued = await queue_message(
        conn,
        conversation_id,
        request,
        sent_by=sent_by,
        now=now,
        deferred_previews=deferred_previews,
    )
    return queued, content


async def _phone_template(conn: Connection, waba_id: str) -> TemplateOut:
    """The first approved utility template of the WABA (by name, then language) with a
    REQUEST_CONTACT_INFO button and nothing to fill in: there is no one here to fill it."""
    rows = await whatsapp_db.list_templates(
        conn, status="APPROVED", category="UTILITY", waba_id=waba_id
    )
    for row in rows:
        definition: dict[str, Any] = {
            "id": row.meta_id or str(row.id),
            "name": row.name,
            "language": row.language,
            "category": row.category,
            "parameter_format": row.parameter_format,
            "components": row.components,
        }
        if asks_for_phone(definition) and not expected_parameters(definition):
            return TemplateOut(name=row.name, language=row.language)
    raise Conflict(NO_TEMPLATE)
