"""Fixed data for the admin area's snapshots: a scripted daemon that answers the admin pages'
reads (users and their sessions, queues, agents, templates) for an admin, clock at FIXED_AT."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen

from pytake_daemon.protocol import Role, TokenList, TokenOut, UserList, UserOut
from pytake_daemon.protocol.agents import AgentList, AgentOut, AgentStatus
from pytake_daemon.protocol.invitations import InvitationList, InvitationOut, InvitationStatus
from pytake_daemon.protocol.queues import (
    OverflowAction,
    Policy,
    QueueList,
    QueueOut,
    TimeoutAction,
)
from pytake_daemon.protocol.whatsapp import MessageTemplateOut, NumberList, NumberOut, TemplateList
from pytake_tui import PyTakeApp, build_app
from pytake_tui.app import PyTakeApp as App
from pytake_tui.client import DaemonClient
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.navigation import SessionContext
from tests.conftest import ApiClient

from .chat_support import chat_ready
from .dashboard_support import me_as
from .fake_daemon import ScriptedClient, hello_envelope
from .fake_world import demo_world
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, TOKEN_ID, USER_ID

SERVER = "http://pytake.invalid:8420"
BRUNO = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
CARLA = uuid.UUID("00000000-0000-4000-8000-0000000000b3")
SALES = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
CARE = uuid.UUID("00000000-0000-4000-8000-0000000000d2")
NUMBER = uuid.UUID("00000000-0000-4000-8000-0000000000e1")


def _user(user_id: uuid.UUID, name: str, role: Role, *, disabled: bool = False) -> UserOut:
    email = f"{name.split(maxsplit=1)[0].lower()}@example.com"
    return UserOut(
        id=user_id, email=email, name=name, role=role, disabled=disabled,
        created_at=FIXED_AT - timedelta(days=30),
    )  # fmt: skip


def _token(n: int, user_id: uuid.UUID, kind: str, name: str) -> TokenOut:
    return TokenOut(
        id=TOKEN_ID if n == 0 else uuid.UUID(int=0xAB00 + n),
        user_id=user_id, kind=kind, name=name,
        created_at=FIXED_AT - timedelta(days=n + 1), expires_at=FIXED_AT + timedelta(days=30 - n),
        last_used_at=FIXED_AT - timedelta(minutes=5 * n + 1), revoked_at=None,
    )  # fmt: skip


def _queue(queue_id: uuid.UUID, name: str, **settings: Any) -> QueueOut:
    values: dict[str, Any] = {
        "id": queue_id, "name": name, "waiting": 0, "assigned": 0, "open_now": True,
        "created_at": FIXED_AT - timedelta(days=10), "updated_at": FIXED_AT,
    }  # fmt: skip
    return QueueOut.model_validate({**values, **settings})


def _agent(agent_id: uuid.UUID, name: str, **settings: Any) -> AgentOut:
    values: dict[str, Any] = {
        "id": agent_id, "name": name, "email": f"{name.split(maxsplit=1)[0].lower()}@example.com",
        "role": "agent", "status": AgentStatus.ONLINE, "status_changed_at": FIXED_AT,
        "capacity": 4, "active": 1, "skills": [], "departments": [], "working_hours": None,
        "timezone": "UTC", "busy_at_capacity": False, "last_activity_at": FIXED_AT,
    }  # fmt: skip
    return AgentOut.model_validate({**values, **settings})


def _template(n: int, name: str, status: str, body: str, reason: str | None = None) -> Any:
    return MessageTemplateOut(
        id=uuid.UUID(int=0xFEED00 + n), waba_id="102290129340398", meta_id=str(9000 + n),
        name=name, language="pt_BR", status=status, category="UTILITY",
        parameter_format="POSITIONAL", components=[{"type": "BODY", "text": body}],
        reason=reason, synced_at=FIXED_AT - timedelta(hours=n), updated_at=FIXED_AT,
    )  # fmt: skip


class AdminClient(ScriptedClient):
    """The demo inbox plus the admin pages' reads."""

    async def users(self) -> UserList:
        return UserList(
            items=[
                _user(USER_ID, "Alice Example", Role.ADMIN),
                _user(BRUNO, "Bruno Lima", Role.AGENT),
                _user(CARLA, "Carla Dias", Role.SUPERVISOR, disabled=True),
            ]
        )

    async def tokens(self) -> TokenList:
        return TokenList(
            items=[
                _token(0, USER_ID, "session", "pytake tui"),
                _token(1, USER_ID, "api", "nightly export"),
                _token(2, BRUNO, "session", "pytake tui"),
            ]
        )

    async def queues(self) -> QueueList:
        hours = {d: [("09:00", "18:00")] for d in ("mon", "tue", "wed", "thu", "fri")}
        return QueueList(
            items=[
                _queue(
                    SALES, "Sales", department="sales", required_skills=["pt", "sales"],
                    business_hours={**hours, "sat": [("09:00", "13:00")]},
                    timezone="America/Sao_Paulo", holidays=[date(2025, 12, 25)],
                    overflow_action=OverflowAction.DIVERT, overflow_queue_id=CARE,
                    welcome_message="Você é o número {position} na fila.",
                ),
                _queue(
                    CARE, "Care", policy=Policy.LEAST_LOADED, max_size=200,
                    timeout_action=TimeoutAction.RETURN_TO_BOT, active=False,
                ),
            ]
        )  # fmt: skip

    async def agents(self) -> AgentList:
        hours = {d: [("08:00", "17:00")] for d in ("mon", "tue", "wed", "thu", "fri")}
        return AgentList(
            items=[
                _agent(BRUNO, "Bruno Lima", skills=["pt", "sales"], departments=["sales"],
                       working_hours=hours, timezone="America/Sao_Paulo"),
                _agent(CARLA, "Carla Dias", capacity=6, status=AgentStatus.AWAY,
                       skills=["en"], departments=["care"]),
            ]
        )  # fmt: skip

    async def all_templates(self) -> TemplateList:
        return TemplateList(
            items=[
                _template(1, "order_shipped", "APPROVED", "Seu pedido {{1}} saiu para entrega."),
                _template(2, "promo_week", "REJECTED", "Só esta semana!", "INVALID_FORMAT"),
                _template(3, "payment_due", "PENDING", "O boleto {{1}} vence amanhã."),
            ]
        )

    async def invitations(self) -> InvitationList:
        def made(n: int, email: str, role: Role, status: InvitationStatus, **extra: Any) -> Any:
            return InvitationOut(
                id=uuid.UUID(int=0x1A00 + n), email=email, role=role, queue_ids=[],
                status=status, invited_by=USER_ID, created_at=FIXED_AT - timedelta(days=n),
                sent_at=FIXED_AT - timedelta(days=n), expires_at=FIXED_AT + timedelta(days=3 - n),
                emailed_at=None, accepted_at=None, revoked_at=None, **extra,
            )  # fmt: skip

        return InvitationList(
            items=[
                made(0, "dora@example.com", Role.AGENT, InvitationStatus.PENDING),
                made(1, "bruno@example.com", Role.AGENT, InvitationStatus.PENDING,
                     resets_user_id=BRUNO),
                made(5, "eva@example.com", Role.SUPERVISOR, InvitationStatus.EXPIRED),
            ]
        )  # fmt: skip

    async def business_numbers(self) -> NumberList:
        return NumberList(
            items=[
                NumberOut(
                    id=NUMBER, phone_number_id="106540352242922", waba_id="102290129340398",
                    display_phone_number="+55 11 4000-1234", label="Loja", throughput_mps=80,
                    created_at=FIXED_AT,
                )
            ]
        )  # fmt: skip


def admin_app(tmp: Path, role: Role = Role.ADMIN, *, language: str = "en") -> PyTakeApp:
    """An app resumed from a saved session as an admin (or ``role``) whose profile language is
    ``language``, clock at FIXED_AT."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )

    def client(server: str) -> DaemonClient:
        me = me_as(role).model_copy(update={"language": language})
        return AdminClient(server, [hello_envelope(1)], demo_world(), me)

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )


def session_of(app: Any) -> SessionContext:
    assert isinstance(app, App)
    assert app.client is not None
    assert app.me is not None
    return SessionContext(app.client, app.me, app.clock, app.downloads)


async def admin_ready(pilot: Pilot[Any]) -> None:
    """Signed in, the chat showing its demo conversations."""
    await chat_ready(pilot, 4)


async def shown(pilot: Pilot[Any], screen: Screen[Any], loaded: str = "loads") -> None:
    """Push ``screen`` and wait until it showed its first list."""
    await pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: getattr(screen, loaded, 1) > 0, "the page's list")
    await pilot.pause()


def real_app(tmp: Path, server: str, token: str, email: str) -> PyTakeApp:
    """The console resumed with a real daemon's session token."""
    credentials = tmp / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(
            server=server, token=token, expires_at=FIXED_AT + timedelta(days=36500), email=email
        )
    )
    return build_app(server=server, credentials_path=credentials, downloads_dir=tmp)


async def signed_in(pilot: Pilot[Any]) -> None:
    """The saved session resumed (the console is on its first destination)."""
    await wait_until(pilot, lambda: isinstance(pilot.app, App) and pilot.app.me is not None, "me")
    await pilot.pause()


LIVE_DEADLINE = 30.0
"""How long a live admin page may take to follow another admin's change (the suite's workers
load the machine)."""


def server_of(api: ApiClient) -> str:
    """The test daemon's base address, as the console is given it."""
    return str(api.make_url("")).rstrip("/")
