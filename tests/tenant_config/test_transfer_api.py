"""``/api/v1/config``: admins and owners only, audited, every problem with its path (422),
all or nothing, and one tenant's document never touches another tenant."""

from __future__ import annotations

from typing import Any

import yaml

from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.tenant_config import ImportResult
from tests.conftest import ApiClient, MakeTenant
from tests.support import Member
from tests.tenant_config.support import configure

EXPORT = "/api/v1/config/export"
IMPORT = "/api/v1/config/import"


async def export(api: ApiClient, member: Member) -> str:
    response = await api.get(EXPORT, headers=member.headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "application/yaml"
    return await response.text()


async def send(api: ApiClient, member: Member, text: str, mode: str) -> tuple[int, dict[str, Any]]:
    # An English client: the configured tenant's language is Portuguese, and the problem
    # documents would follow it (issue 22).
    headers = {**member.headers, "Accept-Language": "en"}
    response = await api.post(IMPORT, params={"mode": mode}, data=text.encode(), headers=headers)
    return response.status, await response.json()


async def test_only_admins_and_owners_and_every_call_audited(
    api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    await configure(api, admin_conn, tenant)
    for role in (Role.AGENT, Role.SUPERVISOR):
        member = tenant[role]
        assert (await api.get(EXPORT, headers=member.headers)).status == 403
        response = await api.post(IMPORT, data=b"version: 1\n", headers=member.headers)
        assert response.status == 403
    assert (await api.get(EXPORT)).status == 401

    text = await export(api, tenant[Role.ADMIN])
    assert text == await export(api, tenant[Role.OWNER])
    status, body = await send(api, tenant[Role.ADMIN], text, "dry-run")
    assert status == 200, body
    result = ImportResult.model_validate(body)
    assert not result.applied
    assert {c.kind.value for c in result.changes} == {"unchanged"}
    status, body = await send(api, tenant[Role.OWNER], text, "apply")
    assert (status, body["applied"]) == (200, True)

    actions = await admin_conn.fetch(
        "SELECT action, diff FROM audit_entries WHERE tenant_id = $1 AND action LIKE 'config.%'"
        " ORDER BY seq",
        tenant.id,
    )
    assert [a["action"] for a in actions] == ["config.export", "config.export"] + [
        "config.import"
    ] * 2
    modes = [a["diff"]["import"]["after"] for a in actions[2:]]
    assert [(m["mode"], m["created"], m["changed"], m["deleted"]) for m in modes] == [
        ("dry-run", 0, 0, 0),
        ("apply", 0, 0, 0),
    ]

    # An admin may not hand out the owner role, nor take it away, through a document.
    document = yaml.safe_load(text)
    document["users"].append({"email": "boss2@x.test", "name": "Boss 2", "role": "owner"})
    status, body = await send(api, tenant[Role.ADMIN], yaml.safe_dump(document), "dry-run")
    assert status == 422
    assert [(e["loc"], e["msg"]) for e in body["errors"]] == [
        (
            f"users[{len(document['users']) - 1}].role",
            "needs the owner role (this import runs as admin)",
        )
    ]
    # Nobody imports a document that would lock them out.
    document = yaml.safe_load(text)
    document["users"] = [u for u in document["users"] if u["role"] != "admin"]
    status, body = await send(api, tenant[Role.ADMIN], yaml.safe_dump(document), "apply")
    assert status == 422
    assert any("would disable you" in e["msg"] for e in body["errors"]), body
    # A rule of the import itself, said in Portuguese too.
    portuguese = {**tenant[Role.ADMIN].headers, "Accept-Language": "pt-BR"}
    data = yaml.safe_dump(document).encode()
    response = await api.post(IMPORT, params={"mode": "apply"}, data=data, headers=portuguese)
    said = [e["msg"] for e in (await response.json())["errors"]]
    assert any(m.startswith("desativaria você (") for m in said), said


async def test_problems_listed_with_paths_and_nothing_applied(
    api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    await configure(api, admin_conn, tenant)
    owner = tenant[Role.OWNER]
    text = await export(api, owner)
    document = yaml.safe_load(text)
    document["queues"][1]["max_size"] = 0
    document["queues"][1]["business_hours"] = {"funday": [["09:00", "10:00"]]}
    document["intents"][0]["name"] = "Not Valid"
    status, body = await send(api, owner, yaml.safe_dump(document), "apply")
    assert status == 422, body
    assert [e["loc"] for e in body["errors"]] == [
        "queues[1].max_size",
        "queues[1].business_hours",
        "intents[0].name",
    ]
    assert body["detail"] == "the document has 3 problem(s); nothing applied"
    hours = "unknown weekday 'funday': use mon, tue, wed, thu, fri, sat, sun"
    assert [e["msg"] for e in body["errors"]][:2] == ["Must be 1 or more", hours]
    # In Portuguese (issue 22): pydantic's and the protocol's sentences in the reader's words.
    portuguese = {**owner.headers, "Accept-Language": "pt-BR"}
    data = yaml.safe_dump(document).encode()
    response = await api.post(IMPORT, params={"mode": "apply"}, data=data, headers=portuguese)
    assert response.status == 422
    assert [e["msg"] for e in (await response.json())["errors"]][:2] == [
        "Deve ser 1 ou mais",
        "dia da semana desconhecido 'funday': use mon, tue, wed, thu, fri, sat, sun",
    ]
    assert await export(api, owner) == text

    status, body = await send(api, owner, "\xff not yaml: [", "dry-run")
    assert status == 422
    assert body["errors"][0]["loc"].startswith("line 1")


async def test_apply_is_all_or_nothing(
    api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    await configure(api, admin_conn, tenant)
    owner = tenant[Role.OWNER]
    text = await export(api, owner)
    document = yaml.safe_load(text)
    document["tenant"]["name"] = "Renamed"
    document["queues"].append({"name": "Later"})
    document["canned_responses"].append({"title": "Clash", "body": "x", "shortcut": "hi"})
    status, body = await send(api, owner, yaml.safe_dump(document), "apply")
    assert status == 409, body
    assert body["detail"].startswith("nothing was applied: two team canned responses")
    assert await export(api, owner) == text


async def test_tenants_stay_apart(
    api: ApiClient, admin_conn: Connection, make_tenant: MakeTenant
) -> None:
    first, second = await make_tenant(), await make_tenant()
    await configure(api, admin_conn, first)
    other = await export(api, second[Role.OWNER])
    assert yaml.safe_load(other)["queues"] == []
    assert "Support" not in other
    for email in (m.email for m in first.members.values()):
        assert email not in other

    # The first tenant's document, less its people, applied to the second: the first is
    # untouched, and the second gets the queues, flows and replies.
    text = await export(api, first[Role.OWNER])
    document = yaml.safe_load(text)
    del document["users"]
    document["canned_responses"] = [r for r in document["canned_responses"] if "owner" not in r]
    status, body = await send(api, second[Role.OWNER], yaml.safe_dump(document), "apply")
    assert status == 200, body
    assert await export(api, first[Role.OWNER]) == text
    applied = yaml.safe_load(await export(api, second[Role.OWNER]))
    assert [q["name"] for q in applied["queues"]] == ["Overflow", "Support"]
    assert [u["email"] for u in applied["users"]] == sorted(
        m.email for m in second.members.values()
    )
