"""A message without text of its own is previewed by its kind, stored language-neutral and
worded by each reader (issue 22): the conversation list and queue monitor in the console's
language, a reply's notification in the recipient's; previews stored in English before the tag
read the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pytake_daemon.db.pool import Connection
from pytake_daemon.notifications import rules
from pytake_daemon.notifications.audience import Audience, ConversationFacts, Member
from pytake_daemon.protocol import (
    ConversationList,
    EventEnvelope,
    MessageReceived,
    Role,
)
from pytake_daemon.protocol.message_preview import MARK, Preview, PreviewKind, english, parse, tag
from pytake_daemon.protocol.outgoing import (
    LocationOut,
    OutgoingContent,
    RequestContactInfoOut,
    TemplateOut,
)
from pytake_daemon.whatsapp import preview_words
from pytake_daemon.whatsapp.render import (
    describe,
    describe_outgoing,
    render_outgoing,
    render_text,
    stored_preview,
)
from pytake_daemon.whatsapp.webhook_content import (
    MediaContent,
    OrderContent,
    ReactionContent,
    RevokeContent,
    SystemContent,
    TextContent,
    UnsupportedContent,
)
from pytake_i18n import use_language
from pytake_tui.preview_words import preview_line
from tests.conftest import MakeTenant
from tests.tui.fake_world import FakeWorld
from tests.whatsapp.payloads_2026 import bsuid, contact, inbound, value_envelope
from tests.whatsapp.test_ingest import rows
from tests.whatsapp.wa_support import ApiClient, add_number, post_signed

VOICE = MediaContent(id="m1", mime_type="audio/ogg", voice=True)
CASES: list[tuple[str, Any, str, str]] = [
    # type, content, English (messages.text), Portuguese (the console's preview)
    ("audio", VOICE, "[voice message]", "[mensagem de voz]"),
    ("image", MediaContent(id="m2", caption="receipt"), "[image] receipt", "[imagem] receipt"),
    ("reaction", ReactionContent(message_id="w", emoji="👍"), "reacted 👍", "reagiu 👍"),
    ("reaction", ReactionContent(message_id="w"), "removed a reaction", "removeu uma reação"),
    ("order", OrderContent(catalog_id="c", product_items=[{}, {}], text="soon"),
     "[order] 2 item(s): soon", "[pedido] 2 itens: soon"),
    ("system", SystemContent(type="user_changed_number"),
     "The customer changed their phone number", "O cliente mudou de número de telefone"),
    ("revoke", RevokeContent(original_message_id="w"), "[deleted a message]",
     "🚫 O cliente apagou esta mensagem"),
    ("sticker_pack", UnsupportedContent(type="sticker_pack", reason="new"),
     "[unsupported message: sticker_pack]", "[mensagem não suportada: sticker_pack]"),
]  # fmt: skip


@pytest.mark.parametrize(("msg_type", "content", "en", "pt"), CASES)
def test_a_kind_is_stored_as_a_tag_and_worded_by_each_reader(
    msg_type: str, content: Any, en: str, pt: str
) -> None:
    described = describe(msg_type, content)
    stored = stored_preview(described)
    assert stored.startswith(MARK)
    assert "[" not in stored.split(MARK)[1]  # a kind, not words
    assert render_text(msg_type, content) == en
    with use_language("pt_BR"):
        assert preview_line(stored) == pt  # the console
        assert preview_line(en) == pt  # a row stored in English before the tag
    assert preview_words.preview_line(stored, language="pt_BR") == pt  # a notification
    with use_language("en"):
        assert preview_line(stored) == preview_words.preview_line(stored, language="en")


def test_what_we_send_reads_the_same_way() -> None:
    body = {"type": "body", "parameters": ["Ana"]}
    template = {"name": "order_update", "language": "pt_BR", "components": [body]}
    sent: list[tuple[OutgoingContent, str, str]] = [
        (TemplateOut.model_validate(template),
         "[template order_update] Ana", "[modelo order_update] Ana"),
        (LocationOut(latitude=-23.5, longitude=-46.6, name="Loja"),
         "[location] Loja (-23.50000, -46.60000)", "[localização] Loja (-23.50000, -46.60000)"),
        (RequestContactInfoOut(body="May we call you?"),
         "May we call you? [Share contact info]", "[pediu os dados de contato] May we call you?"),
    ]  # fmt: skip
    for content, en, pt in sent:
        assert render_outgoing(content) == en
        stored = stored_preview(describe_outgoing(content))
        with use_language("pt_BR"):
            assert (preview_line(stored), preview_line(en)) == (pt, pt)


def test_a_customers_text_is_never_read_as_a_tag() -> None:
    forged = f"{MARK}voice{MARK}gotcha"
    stored = stored_preview(describe("text", TextContent(body=forged)))
    assert stored == "voice gotcha"  # the mark is whitespace to the one-line preview
    assert parse(stored) == Preview(None, "voice gotcha")
    # A newer release's kind shows its details rather than failing.
    assert parse(f"{MARK}hologram{MARK}hi") == Preview(None, "hi")
    order = Preview(PreviewKind.ORDER, "x", 3)
    assert parse(tag(order)) == order == parse(english(order))


def test_a_reply_notification_words_the_kind_for_its_recipient() -> None:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    ana = Member(uuid.UUID(int=1), Role.AGENT, "Ana", "ana@example.com", language="pt_BR")
    ben = Member(uuid.UUID(int=2), Role.AGENT, "Ben", "ben@example.com", language="en")
    world = FakeWorld()
    bodies = {}
    for n, member in enumerate((ana, ben)):
        stored = stored_preview(describe("audio", VOICE))
        conversation = world.add_conversation(n, "Maria", "5511999990001", preview=stored)
        message = world.add_message(
            conversation, "in", "[voice message]", ago=timedelta(0), type_="audio", content={}
        )
        facts = ConversationFacts(conversation.id, None, member.id, None)
        audience = Audience({member.id: member}, {}, {conversation.id: facts})
        event = MessageReceived(conversation=conversation, message=message)
        envelope = EventEnvelope(seq=1, tenant_id=uuid.UUID(int=5), at=at, event=event)
        [intent] = rules.intents([envelope], audience)
        bodies[member.name] = intent.body
    assert bodies == {"Ana": "[mensagem de voz]", "Ben": "[voice message]"}


async def test_a_voice_message_is_stored_tagged_and_listed_as_stored(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    number = await add_number(api, tenant)
    user = bsuid()
    msg = inbound(
        user_id=user, type="audio", audio={"id": "m1", "mime_type": "audio/ogg", "voice": True}
    )
    del msg["text"]
    payload = value_envelope(number, {"contacts": [contact(user_id=user)], "messages": [msg]})
    code, body = await post_signed(api, payload, number.app_secret)
    assert code == 200, body
    [row] = await rows(
        admin_conn,
        tenant.id,
        "SELECT c.last_message_preview, m.text FROM conversations c"
        " JOIN messages m ON m.conversation_id = c.id",
    )
    assert (row["last_message_preview"], row["text"]) == (f"{MARK}voice{MARK}", "[voice message]")
    resp = await api.get(
        "/api/v1/conversations",
        headers={**tenant[Role.AGENT].headers, "Accept-Language": "pt-BR"},
    )
    [listed] = ConversationList.model_validate(await resp.json()).items
    with use_language("pt_BR"):
        assert preview_line(listed.last_message_preview) == "[mensagem de voz]"
