"""Contact profiles and search through the API: the real app, PostgreSQL and Redis."""

from __future__ import annotations

from typing import Any

from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.protocol import Problem, Role
from pytake_daemon.protocol.contacts import ContactNoteList, ContactPage, ContactProfile
from tests.conftest import ApiClient, MakeTenant
from tests.contacts.seed import BSUID, PHONE, T0, Customer, seed_customers
from tests.support import TenantData


async def _seeded(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> tuple[TenantData, Customer]:
    tenant = await make_tenant()
    customer = await seed_customers(
        admin_conn, tenant.id, tenant[Role.AGENT].id, api.app[SECRET_BOX]
    )
    return tenant, customer


async def _profile(resp: Any) -> ContactProfile:
    assert resp.status == 200, await resp.text()
    return ContactProfile.model_validate(await resp.json())


async def test_profile_shows_identity_history_ratings_and_mood(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, customer = await _seeded(api, make_tenant, admin_conn)
    agent = tenant[Role.AGENT]

    profile = await _profile(
        await api.get(f"/api/v1/contacts/{customer.ana}", headers=agent.headers)
    )
    assert (profile.name, profile.phone, profile.contact.wa_id) == ("Ana Souza", f"+{PHONE}", PHONE)
    [conversation] = profile.conversations
    assert (conversation.id, conversation.status, conversation.mood) == (
        customer.ana_conversation, "resolved", "positive",
    )  # fmt: skip
    # Newest first: the abandoned wait, then the attendance the customer rated.
    assert [(a.outcome, a.queue_name, a.agent_name, a.rating) for a in profile.attendances] == [
        ("abandoned", "Support", None, None),
        ("completed", "Support", f"Agent of {tenant.slug}", 5),
    ]
    assert profile.attendances[1].rating_comment == "rápido"
    assert profile.rating_average == 5
    assert [(p.label, p.at) for p in profile.mood] == [
        (label, T0.replace(minute=m))
        for m, label in ((1, "negative"), (2, "neutral"), (3, "positive"))
    ]
    # The language each was read in and how it was chosen (0023's default: detected).
    assert {(p.language, p.language_source) for p in profile.mood} == {("pt", "detected")}

    hidden = await _profile(
        await api.get(f"/api/v1/contacts/{customer.hidden}", headers=agent.headers)
    )
    assert (hidden.name, hidden.phone, hidden.contact.bsuid) == ("@mari.lima", "hidden", BSUID)
    assert (hidden.attendances, hidden.mood, hidden.rating_average) == ([], [], None)

    resp = await api.get(f"/api/v1/contacts/{customer.ana_conversation}", headers=agent.headers)
    assert resp.status == 404
    assert Problem.model_validate(await resp.json()).detail == "no such contact"


async def test_the_team_names_tags_describes_and_notes_a_contact(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, customer = await _seeded(api, make_tenant, admin_conn)
    headers = tenant[Role.AGENT].headers
    url = f"/api/v1/contacts/{customer.ana}"

    body: dict[str, Any] = {
        "name": "  Ana  (VIP) ",
        "attributes": {"plan": "gold", "city": "Recife"},
    }
    profile = await _profile(await api.patch(url, json=body, headers=headers))
    assert (profile.name, profile.name_override) == ("Ana (VIP)", "Ana (VIP)")
    assert profile.attributes == {"plan": "gold", "city": "Recife"}
    body = {"name": None, "attributes": {"city": None, "order_count": "3"}}
    profile = await _profile(await api.patch(url, json=body, headers=headers))
    assert (profile.name, profile.attributes) == ("Ana Souza", {"plan": "gold", "order_count": "3"})
    profile = await _profile(await api.patch(url, json={}, headers=headers))  # nothing changes
    assert profile.attributes == {"plan": "gold", "order_count": "3"}

    for bad in (
        {"attributes": {"Not A Slug": "x"}},
        {"attributes": {"plan": "x" * 501}},
        {"attributes": {f"k{n}": "v" for n in range(51)}},
        {"name": "   "},
    ):
        resp = await api.patch(url, json=bad, headers=headers)
        assert resp.status == 422, bad
        assert Problem.model_validate(await resp.json()).errors
    # The count is checked after the merge too.
    resp = await api.patch(
        url, json={"attributes": {f"k{n}": "v" for n in range(49)}}, headers=headers
    )
    problem = Problem.model_validate(await resp.json())
    assert (resp.status, problem.detail) == (
        422, "attributes: a contact has at most 50 attributes (51 with this change)",
    )  # fmt: skip

    profile = await _profile(
        await api.put(f"{url}/tags", json={"tags": ["VIP ", "vip", "Recife"]}, headers=headers)
    )
    assert profile.tags == ["recife", "vip"]
    await _profile(await api.put(f"{url}/tags", json={"tags": ["vip", "recife"]}, headers=headers))

    for text in ("Prefers e-mail", "Called about the refund"):
        resp = await api.post(f"{url}/notes", json={"body": text}, headers=headers)
        assert resp.status == 201, await resp.text()
    resp = await api.post(f"{url}/notes", json={"body": "  "}, headers=headers)
    assert resp.status == 422
    resp = await api.get(f"{url}/notes", headers=tenant[Role.SUPERVISOR].headers)
    notes = ContactNoteList.model_validate(await resp.json()).items
    assert [(n.body, n.author_id) for n in notes] == [
        ("Called about the refund", tenant[Role.AGENT].id),
        ("Prefers e-mail", tenant[Role.AGENT].id),
    ]
    profile = await _profile(await api.get(url, headers=headers))
    assert [n.id for n in profile.notes] == [n.id for n in notes]

    audit = await admin_conn.fetch(
        "SELECT action, diff FROM audit_entries WHERE tenant_id = $1 AND action LIKE 'contact.%'"
        " ORDER BY seq",
        tenant.id,
    )
    assert [r["action"] for r in audit] == [
        "contact.update", "contact.update", "contact.tags", "contact.note", "contact.note",
    ]  # fmt: skip
    assert audit[0]["diff"]["name"] == {"before": None, "after": "Ana (VIP)"}
    assert audit[2]["diff"]["tags"] == {"before": [], "after": ["recife", "vip"]}


async def test_search_by_name_username_phone_digits_and_bsuid_in_keyset_pages(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant, customer = await _seeded(api, make_tenant, admin_conn)
    headers = tenant[Role.AGENT].headers

    async def found(query: str) -> list[str]:
        resp = await api.get("/api/v1/contacts", params={"q": query}, headers=headers)
        assert resp.status == 200, await resp.text()
        return [c.name for c in ContactPage.model_validate(await resp.json()).items]

    assert await found("souza") == ["Ana Souza"]
    assert await found("+55 (11) 98765-4321") == ["Ana Souza"]
    assert await found("@mari") == ["@mari.lima"]
    assert await found(BSUID[:7]) == ["@mari.lima"]
    assert await found("nobody-here") == []
    resp = await api.patch(
        f"/api/v1/contacts/{customer.hidden}", json={"name": "Mariana"}, headers=headers
    )
    assert resp.status == 200
    assert await found("marian") == ["Mariana"]

    pages: list[str] = []
    params = {"limit": "1"}
    while True:
        resp = await api.get("/api/v1/contacts", params=params, headers=headers)
        page = ContactPage.model_validate(await resp.json())
        pages += [c.name for c in page.items]
        if page.next_cursor is None:
            break
        params = {"limit": "1", "cursor": page.next_cursor}
    assert sorted(pages) == ["Ana Souza", "Mariana"]
    assert len(pages) == 2

    resp = await api.get("/api/v1/contacts", params={"q": "an"}, headers=headers)
    assert resp.status == 422
    resp = await api.get("/api/v1/contacts", params={"cursor": "garbage"}, headers=headers)
    assert resp.status == 400
    assert Problem.model_validate(await resp.json()).detail == (
        "invalid cursor: not one this API returned"
    )
