"""What ``pytake demo`` puts in place, idempotently: the demo tenant and its accounts (through the
database, like ``pytake tenant create`` / ``user add``), then — over the daemon's REST API, as
the demo owner — the simulator's number, two queues, a ready-made bilingual flow, and two agents
on duty. Running it again finds everything and changes nothing but the agents' status.

Passwords are generated the first time, saved in ``<state dir>/demo-credentials`` (mode 0600,
one ``email password`` per line: the format ``scripts/up.sh`` used for the owner) and printed
once; an account whose password is missing from the file gets a new one.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

from pytake_cli.context import admin_connection, tenant_connection
from pytake_cli.demo_content import (
    ENGLISH,
    FLOW_NAME,
    SEEDED_WORDS,
    DemoWords,
    demo_flow,
    queues,
    words_for,
)
from pytake_cli.i18n import _
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import set_tenant
from pytake_daemon.errors import ApiError, PyTakeError
from pytake_daemon.protocol import LoginRequest, LoginResponse, Role, UserCreate, UserUpdate
from pytake_daemon.protocol.agents import AgentOut, AgentStatus, AgentStatusUpdate
from pytake_daemon.protocol.flows import FlowList, FlowOut, FlowUpdate
from pytake_daemon.protocol.queues import QueueList, QueueOut
from pytake_daemon.protocol.users import UserList
from pytake_daemon.protocol.whatsapp import (
    NumberCreate,
    NumberList,
    NumberOut,
    TemplateSyncResult,
)
from pytake_daemon.tenancy import db as tenancy_db
from pytake_daemon.users import db as users_db
from pytake_daemon.users import service as users_service
from pytake_simulator.config import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_SECRET,
    DEFAULT_DISPLAY_PHONE_NUMBER,
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_VERIFY_TOKEN,
    DEFAULT_WABA_ID,
)

M = TypeVar("M", bound=BaseModel)

TENANT = "demo"
CREDENTIALS_FILE = "demo-credentials"
AGENT_CAPACITY = 3
NUMBER_DISPLAY = DEFAULT_DISPLAY_PHONE_NUMBER


@dataclass(frozen=True)
class Account:
    email: str
    name: str
    role: Role


OWNER = Account("owner@demo.test", "Demo Owner", Role.OWNER)
SUPERVISOR = Account("supervisor@demo.test", "Sofia Souza", Role.SUPERVISOR)
AGENTS = (
    Account("ana@demo.test", "Ana Lima", Role.AGENT),
    Account("ben@demo.test", "Ben Carter", Role.AGENT),
)
ACCOUNTS = (OWNER, SUPERVISOR, *AGENTS)


# --- accounts ---------------------------------------------------------------------------------


@dataclass
class Credentials:
    path: Path
    passwords: dict[str, str]
    new: list[str] = field(default_factory=list)
    """E-mails whose password was made in this run (print these once)."""


def read_credentials(path: Path) -> dict[str, str]:
    """``email password`` lines; anything else (or no file) is ignored."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    found: dict[str, str] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2:
            found[parts[0]] = parts[1]
    return found


def write_credentials(path: Path, passwords: dict[str, str]) -> None:
    """Replace the file atomically, readable by its owner only (it holds passwords)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        for account in ACCOUNTS:
            if account.email in passwords:
                out.write(f"{account.email} {passwords[account.email]}\n")
    os.replace(partial, path)


async def seed_accounts(
    cfg: Settings, endpoints: Endpoints, path: Path, language: str | None = None
) -> Credentials:
    """The demo tenant (named in ``language``: ``words_for``) and its accounts, created or
    found; passwords made for the new ones."""
    words = words_for(language)
    async with admin_connection(cfg, endpoints) as admin:
        if await tenancy_db.tenant_id(admin, TENANT) is None:
            async with admin.transaction():
                row = await tenancy_db.insert_tenant(admin, slug=TENANT, name=words.shop)
                if row is not None:  # None: another run made it meanwhile
                    await set_tenant(admin, row.id)
                    await record_cli_action(
                        admin, "tenant.create", target_type="tenant", target_id=row.id
                    )
    credentials = Credentials(path, read_credentials(path))
    passwords = Passwords(cfg.auth)
    async with tenant_connection(cfg, endpoints, TENANT) as conn:
        for account in ACCOUNTS:
            existing = await users_db.get_user_by_email(conn, account.email)
            if existing is not None and account.email in credentials.passwords:
                continue
            password = secrets.token_urlsafe(12)
            try:
                if existing is None:
                    # The owner is named in the demo's language; the people have their names.
                    name = words.owner_name if account is OWNER else account.name
                    body = UserCreate(
                        email=account.email, name=name, role=account.role, password=password
                    )
                    user = await users_service.create_user(
                        conn, passwords, body, by_role=Role.OWNER
                    )
                    action, user_id = "user.create", user.id
                else:  # the file lost it: a new password, the same account
                    update = UserUpdate(password=password)
                    await users_service.update_user(
                        conn, passwords, existing.id, update, by_role=Role.OWNER
                    )
                    action, user_id = "user.update", existing.id
            except ApiError as exc:
                raise PyTakeError(f"{account.email}: {exc}") from None
            await record_cli_action(conn, action, target_type="user", target_id=user_id)
            credentials.passwords[account.email] = password
            credentials.new.append(account.email)
    if credentials.new:  # only once the accounts have committed
        write_credentials(path, credentials.passwords)
    return credentials


# --- the daemon's API -------------------------------------------------------------------------


class Api:
    """Just enough of a REST client: protocol models in and out, one-line errors."""

    def __init__(self, session: aiohttp.ClientSession, server: str) -> None:
        self._session = session
        self._server = server
        self.token: str | None = None

    async def call(
        self, method: str, path: str, response: type[M], body: BaseModel | None = None
    ) -> M:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = body.model_dump(mode="json", exclude_none=True) if body is not None else None
        try:
            async with self._session.request(
                method, f"{self._server}{path}", json=payload, headers=headers
            ) as resp:
                data = await resp.json(content_type=None)
                status, reason = resp.status, resp.reason
        except (aiohttp.ClientError, ValueError) as exc:
            raise PyTakeError(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        if status >= 400:
            detail = data.get("detail") if isinstance(data, dict) else None
            raise PyTakeError(f"{method} {path}: {status} {detail or reason}")
        try:
            return response.model_validate(data)
        except ValidationError as exc:
            raise PyTakeError(
                _("{method} {path}: unexpected answer ({error_count} errors)").format(
                    method=method, path=path, error_count=exc.error_count()
                )
            ) from None

    async def login(self, email: str, password: str) -> LoginResponse:
        body = LoginRequest(email=email, password=password, tenant=TENANT)
        answer = await self.call("POST", "/api/v1/auth/login", LoginResponse, body)
        self.token = answer.token
        return answer


@dataclass(frozen=True)
class Workspace:
    queues: dict[str, uuid.UUID]
    flow_id: uuid.UUID
    agents: dict[str, uuid.UUID]
    words: DemoWords = ENGLISH


def seeded_words(names: set[str], language: str | None = None) -> DemoWords:
    """The language of the queues a run finds (the first run's), else ``words_for``: a demo
    seeded in English and run again in Portuguese keeps its queues and its flow."""
    for words in SEEDED_WORDS:
        if {words.sales, words.support} <= names:
            return words
    return words_for(language)


async def seed_workspace(
    api: Api, credentials: Credentials, language: str | None = None
) -> Workspace:
    """As the owner: the number, the queues, the flow (published), the agents online; named
    in ``language`` the first time (``seeded_words``)."""
    try:
        await api.login(OWNER.email, credentials.passwords[OWNER.email])
    except PyTakeError as exc:
        raise PyTakeError(
            _(
                "can't log in as {email} with the saved password ({exc}); remove its "
                "line from {path} and run again to reset it"
            ).format(email=OWNER.email, exc=exc, path=credentials.path)
        ) from None
    numbers = await api.call("GET", "/api/v1/whatsapp/numbers", NumberList)
    if not any(n.phone_number_id == DEFAULT_PHONE_NUMBER_ID for n in numbers.items):
        number = NumberCreate(
            phone_number_id=DEFAULT_PHONE_NUMBER_ID,
            waba_id=DEFAULT_WABA_ID,
            display_phone_number=DEFAULT_DISPLAY_PHONE_NUMBER,
            label="Demo",
            access_token=DEFAULT_ACCESS_TOKEN,
            app_secret=DEFAULT_APP_SECRET,
            verify_token=DEFAULT_VERIFY_TOKEN,
        )
        await api.call("POST", "/api/v1/whatsapp/numbers", NumberOut, number)

    existing = {q.name: q.id for q in (await api.call("GET", "/api/v1/queues", QueueList)).items}
    words = seeded_words(set(existing), language)
    wanted = queues(words)
    for settings in wanted:
        if settings.name not in existing:
            made = await api.call("POST", "/api/v1/queues", QueueOut, settings)
            existing[made.name] = made.id

    flows = await api.call("GET", "/api/v1/flows", FlowList)
    flow = next((f for f in flows.items if f.name == FLOW_NAME), None)
    document = demo_flow(words)
    if flow is None:
        created = await api.call("POST", "/api/v1/flows", FlowOut, document)
        flow_id, published = created.id, created.published_version is not None
    else:
        flow_id, published = flow.id, flow.published_version is not None
        shown = await api.call("GET", f"/api/v1/flows/{flow_id}", FlowOut)
        if shown.definition != document.definition:
            # A demo seeded by an older release (before the universal fallback): the flow it
            # ships now becomes a new version, published.
            update = FlowUpdate(description=document.description, definition=document.definition)
            await api.call("PUT", f"/api/v1/flows/{flow_id}", FlowOut, update)
            published = False
    if not published:
        await api.call("POST", f"/api/v1/flows/{flow_id}/publish", FlowOut, _Empty())

    users = {u.email: u.id for u in (await api.call("GET", "/api/v1/users", UserList)).items}
    on_duty = AgentStatusUpdate(status=AgentStatus.ONLINE, capacity=AGENT_CAPACITY)
    for agent in AGENTS:
        await api.call("PUT", f"/api/v1/agents/{users[agent.email]}/status", AgentOut, on_duty)
    return Workspace(
        queues={s.name: existing[s.name] for s in wanted},
        flow_id=flow_id,
        agents={a.email: users[a.email] for a in AGENTS},
        words=words,
    )


async def sync_templates(api: Api) -> TemplateSyncResult:
    """The simulator's approved templates, fetched like Meta's."""
    return await api.call("POST", "/api/v1/whatsapp/templates/sync", TemplateSyncResult)


class _Empty(BaseModel):
    """An empty JSON object (``publish`` takes an optional version)."""
