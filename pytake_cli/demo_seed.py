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
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

from pytake_cli.context import admin_connection, tenant_connection
from pytake_cli.i18n import _
from pytake_daemon.audit.cli_actions import record_cli_action
from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.db.pool import set_tenant
from pytake_daemon.errors import ApiError, PyTakeError
from pytake_daemon.protocol import LoginRequest, LoginResponse, Role, UserCreate, UserUpdate
from pytake_daemon.protocol.agents import AgentOut, AgentStatus, AgentStatusUpdate
from pytake_daemon.protocol.flows import FlowDocument, FlowList, FlowOut, FlowUpdate
from pytake_daemon.protocol.queues import QueueList, QueueOut, QueueSettings
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
TENANT_NAME = "Demo Shop"
CREDENTIALS_FILE = "demo-credentials"
FLOW_NAME = "demo"
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

# The bracketed estimate is left out when the queue has no measured figures yet.
_WELCOME = (
    "Você é o número {position} na fila {queue}[ (~{wait_minutes} min)]. "
    "You are number {position} in the {queue} queue[ (~{wait_minutes} min)]."
)
_POSITION = "Agora você é o número {position}. You are now number {position}."
QUEUES = (
    QueueSettings(
        name="Sales",
        description="Vendas: orçamentos e pedidos novos. New orders and quotes.",
        welcome_message=_WELCOME,
        position_message=_POSITION,
    ),
    QueueSettings(
        name="Support",
        description="Suporte: entregas, trocas, cobranças. Deliveries, returns, billing.",
        welcome_message=_WELCOME,
        position_message=_POSITION,
    ),
)

# Answers greetings in Portuguese or English (the simulated customers' openers) and, through its
# universal trigger, any other first message; asks with three buttons, and hands over to a
# queue — "Urgent" jumps the Support line; an answer that is no button goes to Support.
_SALES, _SUPPORT, _URGENT = "Vendas · Sales", "Suporte · Support", "Urgente · Urgent"


def _transfer(node_id: str, queue: str, priority: int, message: str) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "action_transfer_to_queue",
        "queueId": queue,
        "queueName": queue,
        "priority": priority,
        "message": message,
        "waitTimeoutMinutes": 30,
        "fallbackAction": "keep_waiting",
    }


DEMO_FLOW = FlowDocument.model_validate(
    {
        "name": FLOW_NAME,
        "description": "Ready-made demo: greets in Portuguese and English, hands over to a queue.",
        "definition": {
            "session_expiry_minutes": 15,
            "exit_keywords": ["sair", "exit"],
            "nodes": [
                {"id": "start", "type": "trigger_keyword", "match": "starts_with",
                 "keywords": ["oi", "olá", "bom dia", "boa tarde", "hi", "hello",
                              "good morning", "menu"]},
                # The universal fallback (the original's template > keyword > universal): any
                # other first message ("Cadê o meu pedido?") gets the same menu.
                {"id": "anything", "type": "trigger_universal"},
                {"id": "menu", "type": "ask", "variable": "topic", "validation": "option",
                 "question": "Olá {{contact.name}}! Como podemos ajudar? · "
                             "Hi! How can we help?",
                 "options": [_SALES, _SUPPORT, _URGENT], "max_attempts": 2,
                 "retry_message": "Toque num botão, por favor. · Please tap a button.",
                 "timeout_minutes": 30},
                {"id": "is_sales", "type": "condition",
                 "rules": [{"variable": "topic", "operator": "equals", "value": _SALES}]},
                {"id": "is_urgent", "type": "condition",
                 "rules": [{"variable": "topic", "operator": "equals", "value": _URGENT}]},
                _transfer("to_sales", "Sales", 0,
                          "Um vendedor já vem! · A salesperson will be right with you."),
                _transfer("to_support", "Support", 0,
                          "Vou te passar para o suporte. · Passing you to support."),
                _transfer("to_urgent", "Support", 2,
                          "Prioridade máxima! · Top priority: an agent is on the way."),
                {"id": "bye", "type": "action_close",
                 "message": "Sem resposta, encerramos. Volte quando quiser! · "
                            "No answer, so we're closing. Write any time!"},
            ],
            "edges": [
                {"source": "start", "target": "menu"},
                {"source": "anything", "target": "menu"},
                {"source": "menu", "target": "is_sales"},
                {"source": "menu", "target": "to_support", "branch": "invalid"},
                {"source": "menu", "target": "bye", "branch": "timeout"},
                {"source": "is_sales", "target": "to_sales", "branch": "true"},
                {"source": "is_sales", "target": "is_urgent", "branch": "false"},
                {"source": "is_urgent", "target": "to_urgent", "branch": "true"},
                {"source": "is_urgent", "target": "to_support", "branch": "false"},
            ],
        },
    }
)  # fmt: skip


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


async def seed_accounts(cfg: Settings, endpoints: Endpoints, path: Path) -> Credentials:
    """The demo tenant and its accounts, created or found; passwords made for the new ones."""
    async with admin_connection(cfg, endpoints) as admin:
        if await tenancy_db.tenant_id(admin, TENANT) is None:
            async with admin.transaction():
                row = await tenancy_db.insert_tenant(admin, slug=TENANT, name=TENANT_NAME)
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
                    body = UserCreate(
                        email=account.email, name=account.name, role=account.role, password=password
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


async def seed_workspace(api: Api, credentials: Credentials) -> Workspace:
    """As the owner: the number, the queues, the flow (published), the agents online."""
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
    for settings in QUEUES:
        if settings.name not in existing:
            made = await api.call("POST", "/api/v1/queues", QueueOut, settings)
            existing[made.name] = made.id

    flows = await api.call("GET", "/api/v1/flows", FlowList)
    flow = next((f for f in flows.items if f.name == FLOW_NAME), None)
    if flow is None:
        created = await api.call("POST", "/api/v1/flows", FlowOut, DEMO_FLOW)
        flow_id, published = created.id, created.published_version is not None
    else:
        flow_id, published = flow.id, flow.published_version is not None
        shown = await api.call("GET", f"/api/v1/flows/{flow_id}", FlowOut)
        if shown.definition != DEMO_FLOW.definition:
            # A demo seeded by an older release (before the universal fallback): the flow it
            # ships now becomes a new version, published.
            update = FlowUpdate(description=DEMO_FLOW.description, definition=DEMO_FLOW.definition)
            await api.call("PUT", f"/api/v1/flows/{flow_id}", FlowOut, update)
            published = False
    if not published:
        await api.call("POST", f"/api/v1/flows/{flow_id}/publish", FlowOut, _Empty())

    users = {u.email: u.id for u in (await api.call("GET", "/api/v1/users", UserList)).items}
    on_duty = AgentStatusUpdate(status=AgentStatus.ONLINE, capacity=AGENT_CAPACITY)
    for agent in AGENTS:
        await api.call("PUT", f"/api/v1/agents/{users[agent.email]}/status", AgentOut, on_duty)
    return Workspace(
        queues={s.name: existing[s.name] for s in QUEUES},
        flow_id=flow_id,
        agents={a.email: users[a.email] for a in AGENTS},
    )


async def sync_templates(api: Api) -> TemplateSyncResult:
    """The simulator's approved templates, fetched like Meta's."""
    return await api.call("POST", "/api/v1/whatsapp/templates/sync", TemplateSyncResult)


class _Empty(BaseModel):
    """An empty JSON object (``publish`` takes an optional version)."""
