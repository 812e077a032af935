"""A short message takes the language the customer wrote in before, across conversations (issue
#23): the analysis remembers it on the contact (0023) in its own transaction. Real app,
PostgreSQL and Redis; the tenant's default language is Portuguese."""

from __future__ import annotations

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.ai import ConversationAnalysis, MessageAnalyzed
from tests.ai.test_ai_api import next_of, say, setup
from tests.conftest import MakeTenant
from tests.whatsapp.wa_support import ApiClient, add_number, digits

ENGLISH = "Hello, my order has not arrived yet and I would like to know where it is"


async def test_a_short_message_takes_the_contacts_language_in_a_new_conversation(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant, number = await setup(api, make_tenant)
    other_number = await add_number(api, tenant)
    supervisor = tenant[Role.SUPERVISOR].headers
    customer, newcomer = digits(12), digits(12)
    async with api.ws_connect("/api/v1/ws", headers=supervisor) as ws:
        await say(api, number, customer, ENGLISH)
        first: MessageAnalyzed = await next_of(ws, MessageAnalyzed)
        # The same customer writes to the tenant's other number: a new conversation, with no
        # language of its own, and a text no detector can place.
        await say(api, other_number, customer, "ok 👍")
        second: MessageAnalyzed = await next_of(ws, MessageAnalyzed)
        await say(api, other_number, newcomer, "ok 👍")
        third: MessageAnalyzed = await next_of(ws, MessageAnalyzed)

    assert (first.analysis.language, first.analysis.language_source) == ("en", "detected")
    assert second.analysis.conversation_id != first.analysis.conversation_id
    assert (second.analysis.language, second.analysis.language_source) == ("en", "contact")
    assert (third.analysis.language, third.analysis.language_source) == ("pt", "default")

    # Stored with the analysis: the API's list says how the language was chosen.
    resp = await api.get(
        f"/api/v1/conversations/{second.analysis.conversation_id}/analysis", headers=supervisor
    )
    assert resp.status == 200, await resp.text()
    [stored] = ConversationAnalysis.model_validate(await resp.json()).items
    assert (stored.language, stored.language_source) == ("en", "contact")

    # Only a reliable detection changes what is remembered: a one-word Portuguese "obrigado"
    # is Portuguese, yet the next unplaceable text is still the customer's English.
    async with api.ws_connect("/api/v1/ws", headers=supervisor) as ws:
        await say(api, other_number, customer, "obrigado")
        thanks: MessageAnalyzed = await next_of(ws, MessageAnalyzed)
        await say(api, number, customer, "👍")
        thumbs: MessageAnalyzed = await next_of(ws, MessageAnalyzed)
    assert (thanks.analysis.language, thanks.analysis.language_source) == ("pt", "detected")
    assert thumbs.analysis.conversation_id == first.analysis.conversation_id
    assert (thumbs.analysis.language, thumbs.analysis.language_source) == ("en", "contact")


async def test_a_short_message_takes_the_conversations_language_when_the_contact_has_none(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    """The middle of the chain: a text one-sided evidence places (not reliably, so the contact
    remembers nothing) gives the conversation its language, and the next unplaceable text takes
    it rather than the tenant's Portuguese."""
    tenant, number = await setup(api, make_tenant)
    supervisor = tenant[Role.SUPERVISOR].headers
    customer = digits(12)
    async with api.ws_connect("/api/v1/ws", headers=supervisor) as ws:
        await say(api, number, customer, "LMAO, AMAZING!")
        first: MessageAnalyzed = await next_of(ws, MessageAnalyzed)
        await say(api, number, customer, "ok 👍")
        second: MessageAnalyzed = await next_of(ws, MessageAnalyzed)
    assert (first.analysis.language, first.analysis.language_source) == ("en", "detected")
    assert first.analysis.sentiment > 0.5  # English VADER; the Portuguese lexicon gave 0.000
    assert second.analysis.conversation_id == first.analysis.conversation_id
    assert (second.analysis.language, second.analysis.language_source) == ("en", "conversation")
