"""A scripted daemon for the canned responses screen and the composer's ``/shortcut``: replies
in memory under the daemon's rules (the caller's own first, then the team's by shortcut and
title; the team's managed by supervisors; a shortcut unique per scope, a 409 otherwise), every
call recorded, and the fixed replies of the tests and snapshots."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.protocol import EventEnvelope, Me, Role
from pytake_daemon.protocol.ai import (
    ReplyCreate,
    ReplyKind,
    ReplyList,
    ReplyOut,
    ReplyQuery,
    ReplyScope,
    ReplyUpdate,
)
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession
from pytake_tui.screens import ChatScreen
from pytake_tui.screens.canned_replies import CannedRepliesScreen

from .dashboard_support import me_as
from .fake_daemon import ScriptedClient, hello_envelope
from .fake_world import FakeWorld, demo_world
from .helpers import wait_until
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT, USER_ID

SERVER = "http://pytake.invalid:8420"
OTHER_USER = uuid.UUID("00000000-0000-4000-8000-0000000000c9")


def reply(
    n: int,
    title: str,
    body: str,
    *,
    shortcut: str | None = None,
    owner: uuid.UUID | None = None,
    department: str | None = None,
    language: str | None = "pt",
    kind: ReplyKind = ReplyKind.CANNED,
) -> ReplyOut:
    return ReplyOut(
        id=uuid.UUID(int=0xC0FFEE00 + n),
        kind=kind,
        title=title,
        body=body,
        intents=[],
        language=language,
        created_at=FIXED_AT - timedelta(days=n),
        updated_at=FIXED_AT - timedelta(days=n),
        shortcut=shortcut,
        scope=ReplyScope.PERSONAL if owner else ReplyScope.TEAM,
        owner_id=owner,
        department=department,
    )


def team_replies() -> list[ReplyOut]:
    """Alice's two own replies, the team's, one department's, and another agent's own."""
    return [
        reply(1, "My sign-off", "Um abraço, {{agent_name}}", shortcut="bye", owner=USER_ID),
        reply(2, "Call me back", "Can I call you at {{phone}}?", owner=USER_ID, language=None),
        reply(3, "Order number", "Qual o número do pedido, {{first_name}}?", shortcut="order"),
        reply(4, "Order late", "Seu pedido atrasou; já estamos vendo.", shortcut="order-late"),
        reply(
            5,
            "Refund policy",
            "Refunds take 5 business days.",
            department="billing",
            language="en",
            kind=ReplyKind.SNIPPET,
            shortcut="refund",
        ),
        reply(6, "Bob's own", "Not Alice's business", shortcut="bob", owner=OTHER_USER),
    ]


@dataclass
class RepliesWorld:
    """The tenant's replies; ``departments`` are the caller's (the team replies they see)."""

    replies: list[ReplyOut] = field(default_factory=team_replies)
    departments: set[str] = field(default_factory=set)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    created: int = 0

    def usable(self, me: Me, query: ReplyQuery) -> list[ReplyOut]:
        prefix = (query.shortcut or "").removeprefix("/").lower()
        supervisor = me.role.at_least(Role.SUPERVISOR)
        shown = [
            r
            for r in self.replies
            if (r.owner_id == me.user_id if r.owner_id else True)
            and (r.owner_id is not None or supervisor or r.department in (None, *self.departments))
            and (not prefix or (r.shortcut or "").startswith(prefix))
            and (query.scope is None or r.scope is query.scope)
        ]
        return sorted(shown, key=lambda r: (r.owner_id is None, r.shortcut or "~", r.title))

    def _may(self, me: Me, scope: ReplyScope) -> None:
        if scope is ReplyScope.TEAM and not me.role.at_least(Role.SUPERVISOR):
            raise DaemonError(
                403,
                "Forbidden",
                "shared replies are managed by supervisors; add your own with scope 'personal'",
            )

    def _taken(self, me: Me, candidate: ReplyOut) -> None:
        for other in self.replies:
            if (
                other.id != candidate.id
                and candidate.shortcut is not None
                and other.shortcut == candidate.shortcut
                and other.owner_id == candidate.owner_id
            ):
                among = "the team's replies" if candidate.owner_id is None else "your own replies"
                raise DaemonError(
                    409,
                    "Conflict",
                    f"the shortcut /{candidate.shortcut} is already used among {among}",
                )

    def create(self, me: Me, body: ReplyCreate) -> ReplyOut:
        self._may(me, body.scope)
        self.created += 1
        new = ReplyOut(
            id=uuid.UUID(int=0xBEEF0000 + self.created),
            created_at=FIXED_AT,
            updated_at=FIXED_AT,
            owner_id=me.user_id if body.scope is ReplyScope.PERSONAL else None,
            **body.model_dump(),
        )
        self._taken(me, new)
        self.replies.append(new)
        return new

    def _visible(self, me: Me, reply_id: uuid.UUID) -> ReplyOut:
        found = next((r for r in self.replies if r.id == reply_id), None)
        if found is None or (found.owner_id is not None and found.owner_id != me.user_id):
            raise DaemonError(404, "Not Found", "no such reply")
        return found

    def update(self, me: Me, reply_id: uuid.UUID, change: ReplyUpdate) -> ReplyOut:
        before = self._visible(me, reply_id)
        self._may(me, before.scope)
        values = change.model_dump(exclude_unset=True)
        scope = ReplyScope(values.get("scope") or before.scope)
        self._may(me, scope)
        if scope is ReplyScope.PERSONAL and values.get("department"):
            raise DaemonError(
                422, "Unprocessable Entity", "department: a personal reply has no department"
            )
        owner = (before.owner_id or me.user_id) if scope is ReplyScope.PERSONAL else None
        after = before.model_copy(update={**values, "scope": scope, "owner_id": owner})
        if scope is ReplyScope.PERSONAL:
            after = after.model_copy(update={"department": None})
        self._taken(me, after)
        self.replies[self.replies.index(before)] = after
        return after

    def delete(self, me: Me, reply_id: uuid.UUID) -> None:
        before = self._visible(me, reply_id)
        self._may(me, before.scope)
        self.replies.remove(before)


class RepliesClient(ScriptedClient):
    """The chat's scripted client with the reply calls answered from a :class:`RepliesWorld`."""

    def __init__(
        self,
        server: str,
        replies: RepliesWorld,
        me: Me,
        envelopes: list[EventEnvelope],
        world: FakeWorld,
    ) -> None:
        super().__init__(server, envelopes, world, me)
        self.replies = replies

    async def canned_replies(self) -> ReplyList:
        return await self.find_replies(ReplyQuery())

    async def find_replies(self, query: ReplyQuery) -> ReplyList:
        self.replies.calls.append(("GET", "replies", query.shortcut))
        return ReplyList(items=self.replies.usable(self._me, query))

    async def create_reply(self, reply: ReplyCreate) -> ReplyOut:
        self.replies.calls.append(("POST", "replies", reply))
        return self.replies.create(self._me, reply)

    async def update_reply(self, reply_id: uuid.UUID, change: ReplyUpdate) -> ReplyOut:
        self.replies.calls.append(("PATCH", str(reply_id), change))
        return self.replies.update(self._me, reply_id, change)

    async def delete_reply(self, reply_id: uuid.UUID) -> None:
        self.replies.calls.append(("DELETE", str(reply_id), None))
        self.replies.delete(self._me, reply_id)


def replies_app(
    tmp: Path,
    replies: RepliesWorld,
    *,
    role: Role = Role.AGENT,
    world: FakeWorld | None = None,
) -> PyTakeApp:
    """An app resumed from a saved session as Alice with ``role``, its clock at ``FIXED_AT``."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )
    who = me_as(role)
    inbox = world or demo_world()

    def client(server: str) -> DaemonClient:
        return RepliesClient(server, replies, who, [hello_envelope(1)], inbox)

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )


async def replies_ready(pilot: Pilot[Any]) -> CannedRepliesScreen:
    """Open the canned responses (f12) and wait for the list."""
    app = pilot.app
    assert isinstance(app, PyTakeApp)
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
    await pilot.press("f12")
    await wait_until(pilot, lambda: isinstance(app.screen, CannedRepliesScreen), "the replies")
    screen = app.screen
    assert isinstance(screen, CannedRepliesScreen)
    await wait_until(pilot, lambda: screen.loads > 0, "the replies listed")
    await pilot.pause()
    return screen
