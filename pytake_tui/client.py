"""The only code in the TUI that talks to the daemon: REST calls and the WebSocket event stream.

Nothing here knows about Textual, so the CLI may use :class:`DaemonClient` too. Every failure a
caller can see is a :class:`DaemonError` carrying a one-line message fit for a toast. The stream's
items and rules (backoff, sequence checks) live in :mod:`pytake_tui.stream`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.frames import CloseCode

from pytake_daemon.protocol import (
    ConversationList,
    ConversationOut,
    ConversationQuery,
    ConversationStats,
    ConversationStatus,
    ConversationStatusUpdate,
    EventEnvelope,
    Health,
    Hello,
    LoginRequest,
    LoginResponse,
    Me,
    MessageList,
    MessageOut,
    PasswordChange,
    Problem,
    SendMessageRequest,
    Typing,
    UserList,
    parse_server_event,
)
from pytake_daemon.protocol.agents import (
    ActivityList,
    ActivityQuery,
    AgentList,
    AgentMetrics,
    AgentOut,
    AgentStatus,
    AgentStatusUpdate,
    GoalList,
)
from pytake_daemon.protocol.ai import (
    AiSettingsOut,
    AiSettingsUpdate,
    AlertList,
    AlertQuery,
    Insights,
    InsightsQuery,
    ReplyList,
    SuggestionList,
)
from pytake_daemon.protocol.audit import (
    AlertList as SecurityAlertList,
)
from pytake_daemon.protocol.audit import (
    AuditCounts,
    AuditCountsQuery,
    AuditEntryOut,
    AuditList,
    AuditQuery,
    TrendList,
)
from pytake_daemon.protocol.backups import (
    BackupCreate,
    BackupHealth,
    BackupList,
    BackupManifest,
    BackupRunList,
    VerifyResult,
)
from pytake_daemon.protocol.conversations import (
    NoteCreate,
    NoteList,
    NoteOut,
    TagsUpdate,
    TransferRequest,
)
from pytake_daemon.protocol.flows import (
    FlowDocument,
    FlowList,
    FlowOut,
    FlowPublish,
    FlowTestRequest,
    FlowTestResult,
    FlowUpdate,
    FlowValidateRequest,
    FlowValidation,
)
from pytake_daemon.protocol.outgoing import PhoneRequest
from pytake_daemon.protocol.queues import (
    AssignRequest,
    AssignResult,
    Dashboard,
    ItemQuery,
    Priority,
    PriorityUpdate,
    QueueItemList,
    QueueItemOut,
    QueueList,
)
from pytake_daemon.protocol.whatsapp import TemplateList
from pytake_tui.stream import (
    Connected,
    Connecting,
    Disconnected,
    Polling,
    ReconnectPolicy,
    Rejected,
    Resync,
    StreamEvent,
    StreamState,
)

DEFAULT_SERVER = "http://127.0.0.1:8420"
"""Where ``pytake daemon`` listens by default (``server.host`` and ``server.port``)."""

API_PREFIX = "/api/v1"
BACKUP_TIMEOUT = 900.0
"""Seconds to wait for a backup or a verify, which the daemon runs within the request."""

_ModelT = TypeVar("_ModelT", bound=BaseModel)


class DaemonError(Exception):
    """A request failed: a Problem from the daemon, or no answer at all (``status`` is None)."""

    def __init__(
        self,
        status: int | None,
        title: str,
        detail: str | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line for a toast or a status bar."""
        text = f"{self.title}: {self.detail}" if self.detail else self.title
        if self.retry_after is not None:
            text += f" (try again in {self.retry_after} s)"
        return text

    @property
    def unauthorized(self) -> bool:
        """The token was missing, expired or revoked: the user must log in again."""
        return self.status == 401

    @classmethod
    def from_response(cls, response: httpx.Response) -> DaemonError:
        """Build from an error response, whose body should be a Problem document."""
        retry_after = _retry_after(response.headers.get("Retry-After"))
        try:
            problem = Problem.model_validate_json(response.content)
        except ValidationError:
            title = response.reason_phrase or f"HTTP {response.status_code}"
            return cls(response.status_code, title, retry_after=retry_after)
        detail = problem.detail
        if problem.errors:
            fields = "; ".join(f"{error.loc}: {error.msg}" for error in problem.errors)
            detail = f"{detail} ({fields})" if detail else fields
        return cls(problem.status, problem.title, detail, retry_after=retry_after)


def _retry_after(value: str | None) -> int | None:
    # The daemon sends delta-seconds; an HTTP-date is possible by RFC 9110 but not used by us.
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _summarize(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def normalize_server(url: str) -> str:
    """``host:port`` or ``http(s)://host[:port][/prefix]`` → URL without a trailing slash."""
    text = url.strip()
    if "://" not in text:
        text = f"http://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def websocket_url(server: str) -> str:
    """The event stream's URL: ws:// for http://, wss:// for https://."""
    parts = urlsplit(normalize_server(server))
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, f"{parts.path}{API_PREFIX}/ws", "", ""))


@dataclass(slots=True)
class _Attempt:
    """One connection attempt and how it ended."""

    started: float
    connected: bool = False
    rejected: bool = False
    reason: str = "connection lost"


class _NotHelloError(Exception):
    """The first frame of a connection was not a Hello."""


def _close_reason(error: ConnectionClosed) -> str:
    if error.rcvd is None:
        return "connection lost"
    if error.rcvd.code == CloseCode.GOING_AWAY:
        return "server going away"
    if error.rcvd.code == CloseCode.TRY_AGAIN_LATER:
        return "server dropped a slow client"
    detail = f": {error.rcvd.reason}" if error.rcvd.reason else ""
    return f"closed by server ({error.rcvd.code}{detail})"


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A downloaded medium; ``filename`` is the customer's, when the message had one."""

    content: bytes
    content_type: str
    filename: str | None


# --- The client -------------------------------------------------------------------------------


class DaemonClient:
    """REST and WebSocket access to one daemon, with the session token once logged in."""

    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        reconnect: ReconnectPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.server = normalize_server(server)
        self.token = token
        self.reconnect = reconnect or ReconnectPolicy()
        # Jitter only spreads reconnects out; it needs no cryptographic strength.
        # Backoff jitter, not a secret: a seedable PRNG keeps the tests deterministic.
        self._rng = rng or random.Random()  # noqa: S311
        self._http = httpx.AsyncClient(base_url=self.server, timeout=timeout)
        self._websocket: ClientConnection | None = None
        """The open event stream, for the frames a client sends (typing)."""

    @property
    def ws_url(self) -> str:
        """Where :meth:`events` connects."""
        return websocket_url(self.server)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    # REST

    async def login(self, email: str, password: str, tenant: str | None = None) -> LoginResponse:
        """Open a session; the token is kept for the calls that follow."""
        try:
            body = LoginRequest(email=email.strip(), password=password, tenant=tenant or None)
        except ValidationError as error:
            raise DaemonError(None, "Check the form", _summarize(error)) from None
        response = await self._send("POST", f"{API_PREFIX}/auth/login", body=body, auth=False)
        result = _parse(LoginResponse, response)
        self.token = result.token
        return result

    async def logout(self) -> None:
        """End the session on the daemon; a token it already refuses counts as logged out."""
        if self.token is None:
            return
        try:
            await self._send("POST", f"{API_PREFIX}/auth/logout")
        except DaemonError as error:
            if not error.unauthorized:
                raise
        finally:
            self.token = None

    async def change_password(self, current: str, new: str) -> None:
        """Change the user's own password; the daemon ends their other sessions."""
        await self._send(
            "POST",
            f"{API_PREFIX}/auth/password",
            body=PasswordChange(current_password=current, new_password=new),
        )

    async def me(self) -> Me:
        """Who the token belongs to; raises a 401 DaemonError once it expired or was revoked."""
        return _parse(Me, await self._send("GET", f"{API_PREFIX}/auth/me"))

    async def health(self) -> Health:
        """The daemon's liveness answer."""
        return _parse(Health, await self._send("GET", "/healthz", auth=False))

    # Conversations

    async def conversations(self, query: ConversationQuery) -> ConversationList:
        """A page of conversations matching ``query``, most recent first."""
        params = query.model_dump(mode="json", exclude_none=True)
        response = await self._send("GET", f"{API_PREFIX}/conversations", params=params)
        return _parse(ConversationList, response)

    async def conversation(self, conversation_id: uuid.UUID) -> ConversationOut:
        """One conversation, as it is now."""
        path = f"{API_PREFIX}/conversations/{conversation_id}"
        return _parse(ConversationOut, await self._send("GET", path))

    async def conversation_stats(self) -> ConversationStats:
        """The tenant's inbox counts (unread, open…)."""
        path = f"{API_PREFIX}/conversations/stats"
        return _parse(ConversationStats, await self._send("GET", path))

    async def messages(
        self, conversation_id: uuid.UUID, *, cursor: str | None = None, limit: int = 50
    ) -> MessageList:
        """A page of a conversation's messages, newest first."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        path = f"{API_PREFIX}/conversations/{conversation_id}/messages"
        return _parse(MessageList, await self._send("GET", path, params=params))

    async def mark_read(self, conversation_id: uuid.UUID) -> ConversationOut:
        """Unread count to zero (and read receipts to the customer)."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/read"
        return _parse(ConversationOut, await self._send("PATCH", path))

    async def set_status(
        self, conversation_id: uuid.UUID, status: ConversationStatus
    ) -> ConversationOut:
        """Resolve, reopen, snooze…"""
        path = f"{API_PREFIX}/conversations/{conversation_id}/status"
        body = ConversationStatusUpdate(status=status)
        return _parse(ConversationOut, await self._send("PATCH", path, body=body))

    async def send_message(
        self, conversation_id: uuid.UUID, request: SendMessageRequest
    ) -> MessageOut:
        """Queue a message; repeating ``request.idempotency_key`` returns the first one."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/messages"
        return _parse(MessageOut, await self._send("POST", path, body=request))

    async def request_phone(self, conversation_id: uuid.UUID, request: PhoneRequest) -> MessageOut:
        """Ask a customer known only by their username to share their phone number (409 when
        it is known, or outside the window with no template that can ask for it)."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/phone-request"
        return _parse(MessageOut, await self._send("POST", path, body=request))

    async def media(self, conversation_id: uuid.UUID, message_id: uuid.UUID) -> MediaFile:
        """The bytes of a customer's image, audio, video, document or sticker."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/messages/{message_id}/media"
        response = await self._send("GET", path)
        disposition = response.headers.get("Content-Disposition", "")
        _, _, filename = disposition.partition('filename="')
        return MediaFile(
            content=response.content,
            content_type=response.headers.get("Content-Type", "application/octet-stream"),
            filename=filename.rstrip('"') or None,
        )

    async def approved_templates(self) -> TemplateList:
        """The templates that may be sent now (outside the 24-hour window too)."""
        path = f"{API_PREFIX}/whatsapp/templates"
        response = await self._send("GET", path, params={"status": "APPROVED"})
        return _parse(TemplateList, response)

    async def users(self) -> UserList:
        """The tenant's users (supervisors and above; agents get a 403)."""
        return _parse(UserList, await self._send("GET", f"{API_PREFIX}/users"))

    async def send_typing(self, conversation_id: uuid.UUID, typing: bool) -> None:
        """Tell the other consoles this user is (no longer) typing; dropped while offline."""
        websocket = self._websocket
        if websocket is None:
            return
        frame = Typing(conversation_id=conversation_id, typing=typing)
        with contextlib.suppress(ConnectionClosed):
            await websocket.send(frame.model_dump_json())

    # --- chat actions ---

    async def notes(self, conversation_id: uuid.UUID) -> NoteList:
        """The conversation's internal notes, oldest first."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/notes"
        return _parse(NoteList, await self._send("GET", path))

    async def add_note(self, conversation_id: uuid.UUID, body: str) -> NoteOut:
        """Write an internal note (the other agents see it; the customer never does)."""
        try:
            note = NoteCreate(body=body)
        except ValidationError as error:
            raise DaemonError(None, "Check the note", _summarize(error)) from None
        path = f"{API_PREFIX}/conversations/{conversation_id}/notes"
        return _parse(NoteOut, await self._send("POST", path, body=note))

    async def set_tags(self, conversation_id: uuid.UUID, tags: list[str]) -> ConversationOut:
        """Replace the conversation's tags (the daemon trims, lower-cases and sorts them)."""
        try:
            update = TagsUpdate(tags=tags)
        except ValidationError as error:
            raise DaemonError(None, "Check the tags", _summarize(error)) from None
        path = f"{API_PREFIX}/conversations/{conversation_id}/tags"
        return _parse(ConversationOut, await self._send("PUT", path, body=update))

    async def transfer(
        self, conversation_id: uuid.UUID, request: TransferRequest
    ) -> ConversationOut:
        """Hand the conversation to a queue or an agent (409: at capacity, queue full…).
        The pickers list :meth:`queues` and :meth:`agents`."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/transfer"
        return _parse(ConversationOut, await self._send("POST", path, body=request))

    async def canned_replies(self) -> ReplyList:
        """The tenant's canned responses and knowledge snippets, variables unfilled."""
        return _parse(ReplyList, await self._send("GET", f"{API_PREFIX}/ai/replies"))

    async def reply_suggestions(self, conversation_id: uuid.UUID) -> SuggestionList:
        """The best replies for the conversation now, variables filled."""
        path = f"{API_PREFIX}/conversations/{conversation_id}/suggestions"
        return _parse(SuggestionList, await self._send("GET", path))

    # --- queue monitor ---

    async def queues(self) -> QueueList:
        """The tenant's queues."""
        return _parse(QueueList, await self._send("GET", f"{API_PREFIX}/queues"))

    async def queue_dashboard(self) -> Dashboard:
        """Every queue's load, the agents' load and the latest transitions."""
        return _parse(Dashboard, await self._send("GET", f"{API_PREFIX}/queues/dashboard"))

    async def queue_items(self, queue_id: uuid.UUID, query: ItemQuery) -> QueueItemList:
        """A queue's active items (waiting first, in serving order) or its latest ended ones."""
        params = query.model_dump(mode="json")
        path = f"{API_PREFIX}/queues/{queue_id}/items"
        return _parse(QueueItemList, await self._send("GET", path, params=params))

    async def assign_item(
        self, queue_id: uuid.UUID, item_id: uuid.UUID, agent_id: uuid.UUID
    ) -> AssignResult:
        """Assign a waiting item to an agent, or reassign an assigned one (supervisors)."""
        body = AssignRequest(item_id=item_id, agent_id=agent_id)
        path = f"{API_PREFIX}/queues/{queue_id}/assign"
        return _parse(AssignResult, await self._send("POST", path, body=body))

    async def transfer_item(
        self, queue_id: uuid.UUID, item_id: uuid.UUID, to_queue_id: uuid.UUID
    ) -> AssignResult:
        """Move an item to another queue, where it waits (supervisors)."""
        body = AssignRequest(item_id=item_id, to_queue_id=to_queue_id)
        path = f"{API_PREFIX}/queues/{queue_id}/assign"
        return _parse(AssignResult, await self._send("POST", path, body=body))

    async def set_item_priority(
        self, queue_id: uuid.UUID, item_id: uuid.UUID, priority: Priority
    ) -> QueueItemOut:
        """Change a waiting item's priority (supervisors)."""
        path = f"{API_PREFIX}/queues/{queue_id}/items/{item_id}"
        body = PriorityUpdate(priority=priority)
        return _parse(QueueItemOut, await self._send("PATCH", path, body=body))

    async def ai_alerts(self, query: AlertQuery) -> AlertList:
        """The AI's latest alerts, newest first (supervisors)."""
        params = query.model_dump(mode="json", exclude_none=True)
        path = f"{API_PREFIX}/ai/alerts"
        return _parse(AlertList, await self._send("GET", path, params=params))

    # --- agent dashboard ---

    async def agents(self) -> AgentList:
        """The tenant's agents with their status and load."""
        return _parse(AgentList, await self._send("GET", f"{API_PREFIX}/agents"))

    async def set_agent_status(self, agent_id: uuid.UUID, status: AgentStatus) -> AgentOut:
        """Set an agent's status (their own; supervisors anyone's)."""
        path = f"{API_PREFIX}/agents/{agent_id}/status"
        body = AgentStatusUpdate(status=status)
        return _parse(AgentOut, await self._send("PUT", path, body=body))

    async def agent_metrics(self, agent_id: uuid.UUID) -> AgentMetrics:
        """Today, this week, this month, right now, and the charts' series."""
        path = f"{API_PREFIX}/agents/{agent_id}/metrics"
        return _parse(AgentMetrics, await self._send("GET", path))

    async def agent_goals(self, agent_id: uuid.UUID) -> GoalList:
        """The agent's goals and their team's, with progress."""
        path = f"{API_PREFIX}/agents/{agent_id}/goals"
        return _parse(GoalList, await self._send("GET", path))

    async def agent_activities(
        self, agent_id: uuid.UUID, *, before: int | None = None, limit: int = 50
    ) -> ActivityList:
        """A page of the agent's timeline, newest first; ``before`` is the last id seen."""
        try:
            query = ActivityQuery(before=before, limit=limit)
        except ValidationError as error:
            raise DaemonError(None, "Check the request", _summarize(error)) from None
        params = query.model_dump(mode="json", exclude_none=True)
        path = f"{API_PREFIX}/agents/{agent_id}/activities"
        return _parse(ActivityList, await self._send("GET", path, params=params))

    # --- ai insights ---

    async def ai_insights(self, days: int) -> Insights:
        """Sentiment, intents and alerts of the last ``days`` days (supervisors and above)."""
        params = InsightsQuery(days=days).model_dump(mode="json")
        return _parse(Insights, await self._send("GET", f"{API_PREFIX}/ai/insights", params=params))

    async def ai_settings(self) -> AiSettingsOut:
        """The tenant's AI settings (defaults with its overrides applied)."""
        return _parse(AiSettingsOut, await self._send("GET", f"{API_PREFIX}/ai/settings"))

    async def update_ai_settings(self, update: AiSettingsUpdate) -> AiSettingsOut:
        """Change the fields set in ``update`` (admins); they apply to the next message."""
        path = f"{API_PREFIX}/ai/settings"
        return _parse(AiSettingsOut, await self._send("PATCH", path, body=update))

    # --- audit ---

    async def audit_entries(self, query: AuditQuery) -> AuditList:
        """A page of audit entries matching ``query``, newest first (admins and owners)."""
        params = query.model_dump(mode="json", exclude_none=True)
        return _parse(AuditList, await self._send("GET", f"{API_PREFIX}/audit", params=params))

    async def audit_entry(self, entry_id: uuid.UUID) -> AuditEntryOut:
        """One audit entry with its before/after difference."""
        path = f"{API_PREFIX}/audit/{entry_id}"
        return _parse(AuditEntryOut, await self._send("GET", path))

    async def audit_counts(self, query: AuditCountsQuery) -> AuditCounts:
        """Entries (and failures) per hour or day, for the chart."""
        params = query.model_dump(mode="json", exclude_none=True)
        path = f"{API_PREFIX}/audit/counts"
        return _parse(AuditCounts, await self._send("GET", path, params=params))

    async def security_alerts(self, limit: int = 50) -> SecurityAlertList:
        """The latest security alerts, newest first."""
        path = f"{API_PREFIX}/audit/alerts"
        return _parse(SecurityAlertList, await self._send("GET", path, params={"limit": limit}))

    async def audit_trends(self) -> TrendList:
        """Each action's last hour against the same hour of previous weeks; spikes first."""
        return _parse(TrendList, await self._send("GET", f"{API_PREFIX}/audit/trends"))

    # --- backups ---

    async def backup_health(self) -> BackupHealth:
        """Last success, trend, failures, overdue and the last drill (supervisors and above)."""
        return _parse(BackupHealth, await self._send("GET", f"{API_PREFIX}/backups/health"))

    async def backups(self) -> BackupList:
        """Full backups and this tenant's own, oldest first (supervisors and above)."""
        return _parse(BackupList, await self._send("GET", f"{API_PREFIX}/backups"))

    async def backup_runs(self) -> BackupRunList:
        """Recent backup, restore, verify and drill runs, latest first."""
        return _parse(BackupRunList, await self._send("GET", f"{API_PREFIX}/backups/runs"))

    async def create_backup(self, note: str | None = None) -> BackupManifest:
        """Back up this tenant now (admins); answers once the backup is stored."""
        body = BackupCreate(note=note)
        path = f"{API_PREFIX}/backups"
        response = await self._send("POST", path, body=body, time_limit=BACKUP_TIMEOUT)
        return _parse(BackupManifest, response)

    async def verify_backup(self, backup_id: str) -> VerifyResult:
        """Download, check and decrypt a backup without restoring it (admins)."""
        path = f"{API_PREFIX}/backups/{quote(backup_id, safe='')}/verify"
        return _parse(VerifyResult, await self._send("POST", path, time_limit=BACKUP_TIMEOUT))

    # --- flows ---

    async def flows(self) -> FlowList:
        """The tenant's flows (supervisors and above)."""
        return _parse(FlowList, await self._send("GET", f"{API_PREFIX}/flows"))

    async def flow(self, flow_id: uuid.UUID, version: int | None = None) -> FlowOut:
        """A flow with the definition of ``version`` (default: the latest)."""
        params = {"version": version} if version is not None else None
        path = f"{API_PREFIX}/flows/{flow_id}"
        return _parse(FlowOut, await self._send("GET", path, params=params))

    async def create_flow(self, document: FlowDocument) -> FlowOut:
        """Store a new flow as version 1, not published (admins)."""
        path = f"{API_PREFIX}/flows"
        return _parse(FlowOut, await self._send("POST", path, body=document))

    async def update_flow(self, flow_id: uuid.UUID, update: FlowUpdate) -> FlowOut:
        """Save a new version of a flow (admins)."""
        path = f"{API_PREFIX}/flows/{flow_id}"
        return _parse(FlowOut, await self._send("PUT", path, body=update))

    async def validate_flow(self, document: FlowDocument) -> FlowValidation:
        """Every problem the daemon finds in ``document`` (node id, field, why)."""
        body = FlowValidateRequest(document=document.model_dump(mode="json", exclude_none=True))
        path = f"{API_PREFIX}/flows/validate"
        return _parse(FlowValidation, await self._send("POST", path, body=body))

    async def publish_flow(self, flow_id: uuid.UUID, version: int | None = None) -> FlowOut:
        """Publish ``version`` (default: the latest): new sessions start on it (admins)."""
        path = f"{API_PREFIX}/flows/{flow_id}/publish"
        return _parse(FlowOut, await self._send("POST", path, body=FlowPublish(version=version)))

    async def archive_flow(self, flow_id: uuid.UUID) -> FlowOut:
        """Stop the flow from starting new sessions (admins)."""
        path = f"{API_PREFIX}/flows/{flow_id}/archive"
        return _parse(FlowOut, await self._send("POST", path))

    async def test_flow(self, flow_id: uuid.UUID, request: FlowTestRequest) -> FlowTestResult:
        """Run a scripted conversation against a stored version; nothing reaches WhatsApp."""
        path = f"{API_PREFIX}/flows/{flow_id}/test"
        return _parse(FlowTestResult, await self._send("POST", path, body=request))

    def _auth_headers(self) -> dict[str, str]:
        if self.token is None:
            raise DaemonError(401, "Not logged in")
        return {"Authorization": f"Bearer {self.token}"}

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
        time_limit: float | None = None,
    ) -> httpx.Response:
        headers = self._auth_headers() if auth else {}
        payload = body.model_dump(mode="json", exclude_none=True) if body is not None else None
        # A per-call timeout for the calls that do their work in the request (a backup).
        wait = httpx.USE_CLIENT_DEFAULT if time_limit is None else time_limit
        try:
            response = await self._http.request(
                method, path, json=payload, params=params, headers=headers, timeout=wait
            )
        except httpx.TimeoutException:
            raise DaemonError(None, f"{self.server} did not answer in time") from None
        except httpx.HTTPError as error:
            raise DaemonError(None, f"cannot reach {self.server}", str(error) or None) from None
        if response.is_error:
            raise DaemonError.from_response(response)
        return response

    async def _healthy(self) -> bool:
        try:
            await self.health()
        except DaemonError:
            return False
        return True

    # WebSocket

    async def events(self) -> AsyncGenerator[StreamEvent, None]:
        """Follow the tenant's events for as long as the caller iterates.

        Reconnects with backoff; yields :class:`Resync` on a sequence gap and after a reconnect;
        falls back to polling while the WebSocket keeps failing and REST works; ends after
        :class:`Rejected`. Use it under ``contextlib.aclosing`` so the socket closes promptly.
        """
        if self.token is None:
            yield Rejected("not logged in")
            return
        policy = self.reconnect
        stream = StreamState()
        while True:
            if not stream.polling:
                yield Connecting(attempt=stream.failures + 1)
            attempt = _Attempt(started=time.monotonic())
            async with aclosing(self._connect_once(stream, attempt)) as items:
                async for item in items:
                    yield item
            if attempt.rejected:
                return
            stable = attempt.connected and time.monotonic() - attempt.started >= policy.stable_after
            stream.failures = 1 if stable else stream.failures + 1
            if stream.failures >= policy.failures_before_polling and await self._healthy():
                async with aclosing(self._poll(stream, attempt.reason)) as items:
                    async for item in items:
                        yield item
                continue
            stream.polling = False
            delay = policy.delay(stream.failures, self._rng)
            yield Disconnected(attempt.reason, retry_in=delay)
            await asyncio.sleep(delay)

    async def _connect_once(
        self, stream: StreamState, attempt: _Attempt
    ) -> AsyncGenerator[StreamEvent, None]:
        """One connection, until it fails; the failure is recorded in ``attempt``."""
        try:
            async with connect(
                self.ws_url,
                additional_headers=self._auth_headers(),
                open_timeout=self.reconnect.open_timeout,
            ) as websocket:
                hello = await _receive_hello(websocket)
                attempt.connected, stream.polling = True, False
                self._websocket = websocket
                yield Connected(hello)
                if stream.last_seq is not None:
                    yield Resync("reconnected")
                stream.last_seq = hello.seq
                while True:
                    for item in stream.accept(await websocket.recv()):
                        yield item
        except InvalidStatus as error:
            if error.response.status_code == 401:
                attempt.rejected = True
                yield Rejected("session expired")
                return
            attempt.reason = f"WebSocket refused (HTTP {error.response.status_code})"
        except ConnectionClosed as error:
            if error.rcvd is not None and error.rcvd.code == CloseCode.POLICY_VIOLATION:
                attempt.rejected = True
                yield Rejected(error.rcvd.reason or "session revoked")
                return
            attempt.reason = _close_reason(error)
        except _NotHelloError:
            attempt.reason = "unexpected first frame"
        except OSError:
            attempt.reason = f"cannot reach {self.server}"
        except (TimeoutError, WebSocketException) as error:
            attempt.reason = str(error) or type(error).__name__
        finally:
            self._websocket = None

    async def _poll(self, stream: StreamState, reason: str) -> AsyncGenerator[StreamEvent, None]:
        """Ask for REST re-reads every poll interval until it is time to retry the WebSocket."""
        policy = self.reconnect
        yield Polling(reason, retry_in=policy.polling_retry_interval)
        if not stream.polling:
            stream.polling = True
            yield Resync("polling started")
        waited = 0.0
        while waited < policy.polling_retry_interval:
            step = min(policy.poll_interval, policy.polling_retry_interval - waited)
            await asyncio.sleep(step)
            waited += step
            yield Resync("polling")


async def _receive_hello(websocket: ClientConnection) -> EventEnvelope:
    try:
        envelope = parse_server_event(await websocket.recv())
    except ValidationError:
        raise _NotHelloError from None
    if not isinstance(envelope.event, Hello):
        raise _NotHelloError
    return envelope


def _parse(model: type[_ModelT], response: httpx.Response) -> _ModelT:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as error:
        raise DaemonError(
            response.status_code, "Unexpected answer from the daemon", _summarize(error)
        ) from None
