"""The canned-response and contact-profile calls of DaemonClient against the real daemon (app,
PostgreSQL, Redis): an agent's own replies and the team's, the shortcut completion, sharing,
the daemon's refusals as one-line errors; contact search, profile, edit, tags and notes."""

from __future__ import annotations

import pytest

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.ai import ReplyCreate, ReplyQuery, ReplyScope, ReplyUpdate
from pytake_daemon.protocol.contacts import ContactUpdate
from pytake_tui.client import DaemonClient, DaemonError
from tests.conftest import ApiClient, MakeTenant
from tests.contacts.seed import BSUID, PHONE, seed_customers
from tests.support import Member


def _client(api: ApiClient, member: Member) -> DaemonClient:
    return DaemonClient(str(api.make_url("/")), token=member.token)


async def test_replies_own_team_shortcuts_and_sharing(
    api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    async with (
        _client(api, tenant[Role.AGENT]) as agent,
        _client(api, tenant[Role.SUPERVISOR]) as supervisor,
    ):
        team = await supervisor.create_reply(
            ReplyCreate(title="Order number", body="Your order, {{first_name}}?", shortcut="/order")
        )
        assert (team.scope, team.shortcut, team.owner_id) == (ReplyScope.TEAM, "order", None)
        mine = await agent.create_reply(
            ReplyCreate(
                title="Opening hours", body="9 to 5", shortcut="hours", scope=ReplyScope.PERSONAL
            )
        )
        assert (mine.scope, mine.owner_id) == (ReplyScope.PERSONAL, tenant[Role.AGENT].id)

        # The agent sees their own first, then the team's; the completion filters by prefix.
        listed = await agent.find_replies(ReplyQuery())
        assert [r.id for r in listed.items] == [mine.id, team.id]
        assert [r.id for r in (await agent.find_replies(ReplyQuery(shortcut="/or"))).items] == [
            team.id
        ]
        assert (await agent.find_replies(ReplyQuery(shortcut="x"))).items == []
        # Another user's personal reply is nobody else's business.
        assert [r.id for r in (await supervisor.find_replies(ReplyQuery())).items] == [team.id]

        # A PATCH sends what is set, nulls included: the shortcut goes, the title stays.
        changed = await agent.update_reply(mine.id, ReplyUpdate(body="9 to 6", shortcut=None))
        assert (changed.title, changed.body, changed.shortcut) == ("Opening hours", "9 to 6", None)

        # Sharing is a supervisor's: the agent is refused in one line with the daemon's words.
        with pytest.raises(DaemonError) as refused:
            await agent.update_reply(mine.id, ReplyUpdate(scope=ReplyScope.TEAM))
        assert refused.value.status == 403
        assert "managed by supervisors" in refused.value.message
        with pytest.raises(DaemonError) as refused:
            await agent.delete_reply(team.id)
        assert refused.value.status == 403

        # A supervisor's own reply shared with one department, then back to personal.
        draft = await supervisor.create_reply(
            ReplyCreate(title="Refund", body="Refunds take 5 days", scope=ReplyScope.PERSONAL)
        )
        shared = await supervisor.update_reply(
            draft.id, ReplyUpdate(scope=ReplyScope.TEAM, department="billing")
        )
        assert (shared.scope, shared.department, shared.owner_id) == (
            ReplyScope.TEAM, "billing", None,
        )  # fmt: skip
        # Not in the agent's departments: the agent does not see it.
        assert shared.id not in {r.id for r in (await agent.find_replies(ReplyQuery())).items}

        # A taken shortcut and an invalid one: 409 and 422, each a sentence.
        with pytest.raises(DaemonError) as refused:
            await supervisor.update_reply(shared.id, ReplyUpdate(shortcut="order"))
        assert refused.value.status == 409
        assert "/order is already used" in refused.value.message
        with pytest.raises(DaemonError) as refused:
            await supervisor.update_reply(
                shared.id, ReplyUpdate(scope=ReplyScope.PERSONAL, department="care")
            )
        assert refused.value.status == 422
        assert "personal reply has no department" in refused.value.message

        await agent.delete_reply(mine.id)
        assert [r.id for r in (await agent.find_replies(ReplyQuery())).items] == [team.id]


async def test_contact_search_profile_edit_tags_and_notes(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    agent = tenant[Role.AGENT]
    customer = await seed_customers(admin_conn, tenant.id, agent.id, api.app[SECRET_BOX])
    async with _client(api, agent) as client:
        found = await client.search_contacts(PHONE[-6:])
        assert [c.contact.id for c in found.items] == [customer.ana]
        assert [c.contact.id for c in (await client.search_contacts("mari.l")).items] == [
            customer.hidden
        ]
        with pytest.raises(DaemonError) as refused:
            await client.search_contacts("an")
        assert refused.value.status is None
        assert refused.value.message.startswith("Check the search: q: ")

        profile = await client.contact_profile(customer.hidden)
        assert (profile.phone, profile.contact.bsuid) == ("hidden", BSUID)

        edited = await client.update_contact(
            customer.ana, ContactUpdate(name="Ana (VIP)", attributes={"plan": "gold"})
        )
        assert (edited.name, edited.attributes) == ("Ana (VIP)", {"plan": "gold"})
        # None removes: the attribute goes, and the team's name gives way to Meta's.
        edited = await client.update_contact(
            customer.ana, ContactUpdate(name=None, attributes={"plan": None, "city": "Recife"})
        )
        assert (edited.name, edited.name_override, edited.attributes) == (
            "Ana Souza", None, {"city": "Recife"},
        )  # fmt: skip

        tagged = await client.set_contact_tags(customer.ana, ["VIP", " late "])
        assert tagged.tags == ["late", "vip"]
        note = await client.add_contact_note(customer.ana, "  prefers e-mail  ")
        assert note.body == "prefers e-mail"
        assert [n.id for n in (await client.contact_notes(customer.ana)).items] == [note.id]
        assert [n.id for n in (await client.contact_profile(customer.ana)).notes] == [note.id]

        with pytest.raises(DaemonError) as refused:
            await client.contact_profile(customer.ana_conversation)
        assert (refused.value.status, refused.value.detail) == (404, "no such contact")
