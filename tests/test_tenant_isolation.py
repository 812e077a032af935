"""Tenant isolation: through every API endpoint, and in PostgreSQL itself (row-level security).

The API checks call with one tenant's credentials and another tenant's ids; whatever a role may
do, another tenant's rows are "not found", exactly as for an id that doesn't exist at all. The
database checks use the daemon's own role, so they hold even for a query the API forgot to scope.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel, ValidationError

from pytake_daemon.app import all_endpoints, create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.migrations import quote_ident
from pytake_daemon.db.pool import (
    Connection,
    Pool,
    connect,
    create_pool,
    set_tenant,
    tenant_transaction,
)
from pytake_daemon.http.api import Endpoint
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.protocol import Me, Problem, Role, TenantOut, TokenList, UserList
from tests.conftest import APP_ROLE, ApiClient, MakeTenant
from tests.conversations import factories
from tests.support import Member, TenantData

ROLES = list(Role)

# One app and one event loop for the module's async tests: the sweep below is ~300 tests, and
# starting the daemon's app for each was half of their time. Each test still makes its tenants.
MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(settings: Settings, endpoints: Endpoints) -> AsyncIterator[ApiClient]:
    client: ApiClient = TestClient(TestServer(create_app(settings, endpoints)))
    await client.start_server()
    yield client
    await client.close()


@pytest_asyncio.fixture(loop_scope="module")
async def admin_conn(endpoints: Endpoints) -> AsyncIterator[Connection]:
    """tests/conftest.py's, on the module's loop."""
    assert endpoints.admin_dsn is not None
    conn = await connect(endpoints.admin_dsn.get_secret_value())
    yield conn
    await conn.close()


@pytest_asyncio.fixture(loop_scope="module")
async def app_conn(endpoints: Endpoints) -> AsyncIterator[Connection]:
    """tests/conftest.py's, on the module's loop."""
    conn = await connect(endpoints.app_dsn.get_secret_value())
    yield conn
    await conn.close()


# Bodies for id-taking endpoints whose body model refuses ``{}``; the more damaging the better,
# since the point is that nothing happens to the other tenant's row.
SAMPLE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/users/{id}"): {"name": "renamed by another tenant", "disabled": True},
    ("PATCH", "/api/v1/conversations/{id}/status"): {"status": "resolved"},
    ("POST", "/api/v1/conversations/{id}/notes"): {"body": "written into another tenant"},
    ("PUT", "/api/v1/conversations/{id}/tags"): {"tags": ["tagged by another tenant"]},
    ("POST", "/api/v1/conversations/{id}/transfer"): {"queue_id": str(uuid.uuid4())},
    ("POST", "/api/v1/conversations/{id}/assignment"): {"take": True},
    ("POST", "/api/v1/conversations/{id}/messages"): {
        "content": {"type": "text", "body": "sent into another tenant"}
    },
    ("PUT", "/api/v1/flows/{id}"): {
        "definition": {"nodes": [{"id": "start", "type": "trigger_universal"}]}
    },
    ("POST", "/api/v1/flows/{id}/test"): {"script": {"steps": [{"say": "oi"}]}},
    ("PUT", "/api/v1/queues/{id}"): {"name": "renamed by another tenant", "active": False},
    ("POST", "/api/v1/queues/{id}/assign"): {},
    ("PATCH", "/api/v1/queues/{id}/items/{item_id}"): {"priority": 2},
    ("PUT", "/api/v1/agents/{id}/status"): {"status": "offline", "capacity": 0},
    ("POST", "/api/v1/agents/{id}/goals"): {"kind": "quality", "target": 1},
    ("PUT", "/api/v1/contacts/{id}/tags"): {"tags": ["tagged by another tenant"]},
    ("POST", "/api/v1/contacts/{id}/notes"): {"body": "written into another tenant"},
    ("PATCH", "/api/v1/notifications/{id}"): {"read": True},
    ("PUT", "/api/v1/onboarding/steps/{step}"): {"status": "skipped"},
    ("PUT", "/api/v1/gamification/challenges/{id}"): {
        "title": "changed by another tenant",
        "metric": "points",
        "threshold": 1,
        "first_day": "2026-03-23",
        "last_day": "2026-03-29",
    },
}
SAMPLE_QUERIES: dict[tuple[str, str], dict[str, str]] = {}

ID_ENDPOINTS = [ep for ep in all_endpoints() if ep.path_params]


def _ep_id(ep: Endpoint) -> str:
    return f"{ep.method} {ep.path}"


def _sample(
    ep: Endpoint, model: type[BaseModel] | None, samples: dict[tuple[str, str], Any]
) -> Any:
    """A valid body (or query) for ``ep``: a registered sample, else ``{}`` if the model
    accepts it."""
    if model is None:
        return None
    sample = samples.get((ep.method, ep.path))
    if sample is None:
        try:
            model.model_validate({})
        except ValidationError:
            pytest.fail(
                f"{_ep_id(ep)} takes an id and its {model.__name__} refuses {{}}: add a valid "
                "sample to SAMPLE_BODIES/SAMPLE_QUERIES in tests/test_tenant_isolation.py so the "
                "isolation sweep reaches the handler instead of stopping at validation"
            )
        sample = {}
    model.model_validate(sample)  # a sample that no longer validates would test nothing
    return sample


def _fill(path: str, value: uuid.UUID) -> str:
    return re.sub(r"{\w+}", str(value), path)


async def _problem(resp: ClientResponse) -> Problem:
    assert resp.content_type == "application/problem+json", await resp.text()
    return Problem.model_validate(await resp.json())


async def _tenant_tables(conn: Connection) -> list[str]:
    """Every table of schema public with a ``tenant_id`` column, plus ``tenants`` itself."""
    rows = await conn.fetch(
        """
        SELECT c.relname
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND (c.relname = 'tenants' OR EXISTS (
                SELECT 1 FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
         ORDER BY c.relname
        """
    )
    return [r["relname"] for r in rows]


def _tenant_column(table: str) -> str:
    return "id" if table == "tenants" else "tenant_id"


async def _snapshot(conn: Connection, tenant_id: uuid.UUID) -> dict[str, list[str]]:
    """Every row a tenant owns, in every tenant-owned table, as text (admin connection).

    One statement for all the tables, not one each: the sweep takes two snapshots a test."""
    tables = await _tenant_tables(conn)
    rows = await conn.fetch(
        " UNION ALL ".join(
            f"SELECT {i} AS n, to_jsonb(t)::text AS j FROM {quote_ident(table)} t"
            f" WHERE {_tenant_column(table)} = $1"
            for i, table in enumerate(tables)
        )
        + " ORDER BY 1, 2",
        tenant_id,
    )
    snap: dict[str, list[str]] = {table: [] for table in tables}
    for row in rows:
        snap[tables[row["n"]]].append(row["j"])
    return snap


async def _assert_tokens_work(api: ApiClient, tenant: TenantData) -> None:
    for member in tenant.members.values():
        resp = await api.get("/api/v1/auth/me", headers=member.headers)
        assert resp.status == 200, await resp.text()
        me = Me.model_validate(await resp.json())
        assert (me.tenant_id, me.user_id) == (tenant.id, member.id)


# --- the API --------------------------------------------------------------------------------


@MODULE_LOOP
@pytest.mark.parametrize("role", ROLES)
async def test_other_tenants_user_is_not_found(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, role: Role
) -> None:
    a, b = await make_tenant(), await make_tenant()
    caller = a[role]
    before = await _snapshot(admin_conn, b.id)
    may_read = role.at_least(Role.SUPERVISOR)
    may_write = role.at_least(Role.ADMIN)

    # Positive control: the same call with an id of the caller's own tenant works.
    own = await api.get(f"/api/v1/users/{a[Role.AGENT].id}", headers=caller.headers)
    assert own.status == (200 if may_read else 403)

    for victim in b.members.values():
        for target in (victim.id, uuid.uuid4()):  # B's user, and an id nobody has
            resp = await api.get(f"/api/v1/users/{target}", headers=caller.headers)
            assert resp.status == (404 if may_read else 403)
            problem = await _problem(resp)
            assert victim.email not in (problem.detail or "")
            resp = await api.patch(
                f"/api/v1/users/{target}",
                json={"name": "renamed by A", "disabled": True},
                headers=caller.headers,
            )
            assert resp.status == (404 if may_write else 403)
            await _problem(resp)

    assert await _snapshot(admin_conn, b.id) == before
    await _assert_tokens_work(api, b)


@MODULE_LOOP
@pytest.mark.parametrize("role", ROLES)
async def test_other_tenants_token_cannot_be_revoked(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection, role: Role
) -> None:
    a, b = await make_tenant(), await make_tenant()
    before = await _snapshot(admin_conn, b.id)
    for victim in b.members.values():
        resp = await api.delete(f"/api/v1/tokens/{victim.token_id}", headers=a[role].headers)
        assert resp.status == 404
        assert (await _problem(resp)).detail == "no such token"
    assert await _snapshot(admin_conn, b.id) == before
    await _assert_tokens_work(api, b)


@MODULE_LOOP
@pytest.mark.parametrize("role", ROLES)
async def test_user_list_shows_only_own_tenant(
    api: ApiClient, make_tenant: MakeTenant, role: Role
) -> None:
    a, _b = await make_tenant(), await make_tenant()
    resp = await api.get("/api/v1/users", headers=a[role].headers)
    if not role.at_least(Role.SUPERVISOR):
        assert resp.status == 403
        return
    assert resp.status == 200
    users = UserList.model_validate(await resp.json()).items
    assert {u.id for u in users} == {m.id for m in a.members.values()}
    assert all(u.email.endswith(f"@{a.slug}.test") for u in users)


@MODULE_LOOP
@pytest.mark.parametrize("role", ROLES)
async def test_token_list_shows_only_own_tenant(
    api: ApiClient, make_tenant: MakeTenant, role: Role
) -> None:
    a, _b = await make_tenant(), await make_tenant()
    resp = await api.get("/api/v1/tokens", headers=a[role].headers)
    assert resp.status == 200
    tokens = TokenList.model_validate(await resp.json()).items
    if role.at_least(Role.ADMIN):
        expected = {m.token_id for m in a.members.values()}
    else:
        expected = {a[role].token_id}
    assert {t.id for t in tokens} == expected


@MODULE_LOOP
@pytest.mark.parametrize("role", ROLES)
async def test_tenant_endpoint_returns_own_tenant(
    api: ApiClient, make_tenant: MakeTenant, role: Role
) -> None:
    a, _b = await make_tenant(), await make_tenant()
    resp = await api.get("/api/v1/tenant", headers=a[role].headers)
    assert resp.status == 200
    tenant = TenantOut.model_validate(await resp.json())
    assert (tenant.id, tenant.slug) == (a.id, a.slug)


def test_the_sweep_covers_the_known_id_endpoints() -> None:
    """The sweep below reads the route table; make sure it actually finds something."""
    found = {_ep_id(ep) for ep in ID_ENDPOINTS}
    assert {
        "GET /api/v1/users/{id}",
        "PATCH /api/v1/users/{id}",
        "DELETE /api/v1/tokens/{id}",
    } <= found


@MODULE_LOOP
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ID_ENDPOINTS, ids=_ep_id)
async def test_every_id_endpoint_hides_other_tenants_rows(
    api: ApiClient,
    make_tenant: MakeTenant,
    admin_conn: Connection,
    endpoint: Endpoint,
    role: Role,
) -> None:
    """Every route with a path parameter, called by A with each kind of id B has.

    B's id must get exactly the answer an id nobody has gets (404, or 401/403 when a gate
    comes first), never a 2xx, and nothing of B's may change.
    """
    a, b = await make_tenant(), await make_tenant()
    caller: Member = a[role]
    body = _sample(endpoint, endpoint.body, SAMPLE_BODIES)
    query = _sample(endpoint, endpoint.query, SAMPLE_QUERIES)
    victims = [m.id for m in b.members.values()] + [m.token_id for m in b.members.values()]
    victims += await _whatsapp_rows(admin_conn, api, b.id)
    before = await _snapshot(admin_conn, b.id)

    async def call(target: uuid.UUID) -> tuple[int, Problem | None]:
        resp = await api.request(
            endpoint.method,
            _fill(endpoint.path, target),
            json=body,
            params=query,
            headers=caller.headers,
        )
        if resp.status < 400:
            return resp.status, None
        return resp.status, await _problem(resp)

    nobody_status, nobody = await call(uuid.uuid4())
    assert nobody is not None, f"a random id got {nobody_status}"
    if endpoint.role is not None and not role.at_least(endpoint.role):
        assert nobody_status == 403
    else:
        assert nobody_status in {401, 403, 404}
    for victim in victims:
        status, problem = await call(victim)
        assert not 200 <= status < 300, f"{_ep_id(endpoint)} answered {status} for B's {victim}"
        assert problem is not None
        assert (status, problem.title, problem.detail) == (
            nobody_status,
            nobody.title,
            nobody.detail,
        ), "B's id must look exactly like an id that doesn't exist"

    assert await _snapshot(admin_conn, b.id) == before
    await _assert_tokens_work(api, b)


async def _whatsapp_rows(conn: Connection, api: ApiClient, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """A number, conversation, message and contact of the tenant: more ids another tenant must
    not reach."""
    box = api.app[SECRET_BOX]
    async with conn.transaction():
        await set_tenant(conn, tenant_id)
        number = await factories.insert_number(conn, tenant_id, box)
        conversation = await factories.insert_conversation(
            conn, tenant_id, number_id=number, last_inbound_at=datetime.now(UTC)
        )
        message = await factories.insert_message(
            conn, tenant_id, conversation_id=conversation, type="image", content={"id": "1"}
        )
        contact = await conn.fetchval(
            "SELECT contact_id FROM conversations WHERE id = $1", conversation
        )
    return [number, conversation, message, contact]


# --- PostgreSQL: row-level security for the daemon's role -----------------------------------


async def _readable_tenant_tables(conn: Connection) -> list[str]:
    tables = await _tenant_tables(conn)
    readable = [
        t
        for t in tables
        if await conn.fetchval("SELECT has_table_privilege(current_user, $1, 'SELECT')", t)
    ]
    assert {"tenants", "users", "auth_tokens", "tenant_event_seq"} <= set(readable)
    return readable


@MODULE_LOOP
async def test_app_role_without_tenant_sees_no_rows(
    app_conn: Connection, make_tenant: MakeTenant
) -> None:
    await make_tenant()
    await make_tenant()
    assert await app_conn.fetchval("SELECT current_user") == APP_ROLE
    tables = await _readable_tenant_tables(app_conn)
    async with app_conn.transaction():
        assert await app_conn.fetchval("SELECT current_tenant_id()") is None
        for table in tables:
            count = await app_conn.fetchval(f"SELECT count(*) FROM {quote_ident(table)}")
            assert count == 0, f"{table}: {count} rows visible without a tenant"
    # Outside any transaction too.
    for table in tables:
        assert await app_conn.fetchval(f"SELECT count(*) FROM {quote_ident(table)}") == 0


@MODULE_LOOP
async def test_app_role_with_tenant_sees_only_that_tenant(
    app_conn: Connection, admin_conn: Connection, make_tenant: MakeTenant
) -> None:
    a, b = await make_tenant(), await make_tenant()
    tables = await _readable_tenant_tables(app_conn)
    async with app_conn.transaction():
        await set_tenant(app_conn, a.id)
        for table in tables:
            column = _tenant_column(table)
            owners = await app_conn.fetch(f"SELECT DISTINCT {column} FROM {quote_ident(table)}")
            assert {r[column] for r in owners} <= {a.id}, table
            visible = await app_conn.fetchval(f"SELECT count(*) FROM {quote_ident(table)}")
            actual = await admin_conn.fetchval(
                f"SELECT count(*) FROM {quote_ident(table)} WHERE {column} = $1", a.id
            )
            assert visible == actual, table
        users = await app_conn.fetch("SELECT id FROM users")
        assert {r["id"] for r in users} == {m.id for m in a.members.values()}
        tokens = await app_conn.fetch("SELECT id FROM auth_tokens")
        assert {r["id"] for r in tokens} == {m.token_id for m in a.members.values()}
        assert await app_conn.fetchval("SELECT id FROM tenants") == a.id
        # Naming B's rows explicitly doesn't help.
        assert await app_conn.fetchval("SELECT count(*) FROM tenants WHERE id = $1", b.id) == 0
        assert (
            await app_conn.fetchval("SELECT count(*) FROM users WHERE id = $1", b[Role.OWNER].id)
            == 0
        )


_FOREIGN_INSERTS: dict[str, str] = {
    "users": "INSERT INTO users (tenant_id, email, name, role, password_hash) "
    "VALUES ($1, 'intruder@example.test', 'Intruder', 'owner', 'x')",
    "auth_tokens": "INSERT INTO auth_tokens (tenant_id, user_id, kind, name, token_hash, "
    "expires_at) VALUES ($1, $2, 'api', 'planted', sha256('planted'::bytea), "
    "now() + interval '1 day')",
    "tenant_event_seq": "INSERT INTO tenant_event_seq (tenant_id, seq) VALUES ($1, 0) "
    "ON CONFLICT (tenant_id) DO UPDATE SET seq = 999999",
    "tenants": "INSERT INTO tenants (id, slug, name) VALUES ($1, 'x-' || md5(random()::text), 'x')",
}


@MODULE_LOOP
@pytest.mark.parametrize("table", sorted(_FOREIGN_INSERTS))
async def test_rls_refuses_rows_of_another_tenant(
    app_conn: Connection, admin_conn: Connection, make_tenant: MakeTenant, table: str
) -> None:
    a, b = await make_tenant(), await make_tenant()
    before = await _snapshot(admin_conn, b.id)
    sql = _FOREIGN_INSERTS[table]
    args: list[Any] = [b.id]
    if table == "auth_tokens":
        args.append(b[Role.OWNER].id)
    if table == "tenants":
        args = [uuid.uuid4()]  # a tenant that isn't the current one
    async with app_conn.transaction():
        await set_tenant(app_conn, a.id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with app_conn.transaction():  # a savepoint, so the outer one stays usable
                await app_conn.execute(sql, *args)
        # Moving one of A's own rows over to B is refused the same way.
        if table in {"users", "auth_tokens"}:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with app_conn.transaction():
                    await app_conn.execute(
                        f"UPDATE {table} SET tenant_id = $1 WHERE tenant_id = $2", b.id, a.id
                    )
        # And B's rows can't be reached to update or delete at all.
        column = _tenant_column(table)
        updated = await app_conn.execute(
            f"UPDATE {quote_ident(table)} SET {column} = {column} WHERE {column} = $1", b.id
        )
        assert updated == "UPDATE 0"
        if table in {"users", "auth_tokens"}:
            deleted = await app_conn.execute(f"DELETE FROM {table} WHERE tenant_id = $1", b.id)
            assert deleted == "DELETE 0"
    assert await _snapshot(admin_conn, b.id) == before


@pytest_asyncio.fixture(loop_scope="module")
async def one_connection_pool(endpoints: Endpoints) -> AsyncIterator[Pool]:
    pool = await create_pool(endpoints.app_dsn.get_secret_value(), min_size=1, max_size=1)
    yield pool
    await pool.close()


@MODULE_LOOP
async def test_tenant_setting_does_not_outlive_its_transaction(
    one_connection_pool: Pool, make_tenant: MakeTenant
) -> None:
    pool = one_connection_pool
    a = await make_tenant()
    async with tenant_transaction(pool, a.id) as conn:
        pid = conn.get_server_pid()
        assert await conn.fetchval("SELECT count(*) FROM users") == len(a.members)

    async with pool.acquire() as conn:
        assert conn.get_server_pid() == pid, "the pool of one must hand out the same connection"
        assert await conn.fetchval("SELECT current_tenant_id()") is None
        assert await conn.fetchval("SELECT count(*) FROM users") == 0
        async with conn.transaction():
            assert await conn.fetchval("SELECT count(*) FROM users") == 0

    # A transaction that fails half-way leaks nothing either.
    async def fail_half_way() -> None:
        async with tenant_transaction(pool, a.id) as conn:
            assert await conn.fetchval("SELECT count(*) FROM users") == len(a.members)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await fail_half_way()
    async with pool.acquire() as conn:
        assert conn.get_server_pid() == pid
        assert await conn.fetchval("SELECT count(*) FROM users") == 0
        assert await conn.fetchval("SELECT count(*) FROM tenants") == 0


# --- PostgreSQL: the catalog -----------------------------------------------------------------


@MODULE_LOOP
async def test_every_tenant_table_forces_row_level_security(admin_conn: Connection) -> None:
    tables = await _tenant_tables(admin_conn)
    assert {"tenants", "users", "auth_tokens", "tenant_event_seq"} <= set(tables)
    rows = await admin_conn.fetch(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT count(*) FROM pg_policies p
                 WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
        """,
        tables,
    )
    assert {r["relname"] for r in rows} == set(tables)
    weak = [
        r["relname"]
        for r in rows
        if not (r["relrowsecurity"] and r["relforcerowsecurity"] and r["policies"] >= 1)
    ]
    assert weak == [], f"tables without ENABLE+FORCE row level security and a policy: {weak}"


@MODULE_LOOP
async def test_app_role_is_unprivileged(admin_conn: Connection) -> None:
    role = await admin_conn.fetchrow(
        "SELECT oid, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", APP_ROLE
    )
    assert role is not None
    assert not role["rolsuper"]
    assert not role["rolbypassrls"]
    owned = await admin_conn.fetch(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relowner = $1",
        role["oid"],
    )
    assert owned == [], f"{APP_ROLE} owns relations (owners bypass RLS unless forced): {owned}"
    # Nor may it join a role that does (membership would let it SET ROLE to one).
    inherited = await admin_conn.fetch(
        """
        SELECT r.rolname FROM pg_roles r
         WHERE pg_has_role($1, r.oid, 'MEMBER') AND r.rolname <> $1
           AND (r.rolsuper OR r.rolbypassrls)
        """,
        APP_ROLE,
    )
    assert inherited == []
