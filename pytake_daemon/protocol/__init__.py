"""The wire protocol: every REST body and WebSocket event that crosses between daemon and clients.

This package imports no server code (no aiohttp.web, asyncpg or redis) so the TUI and the CLI can
import it; an import-linter contract and ``tests/test_layering.py`` keep it that way.
"""

from pytake_daemon.protocol.auth import (
    LoginRequest,
    LoginResponse,
    Me,
    Role,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenOut,
)
from pytake_daemon.protocol.common import Problem, ProblemField
from pytake_daemon.protocol.events import (
    ClientEvent,
    EventEnvelope,
    Hello,
    ServerEvent,
    TokenRevoked,
    UserChanged,
    parse_server_event,
)
from pytake_daemon.protocol.health import Health, Readiness
from pytake_daemon.protocol.tenants import TenantOut
from pytake_daemon.protocol.users import UserCreate, UserList, UserOut, UserUpdate

__all__ = [
    "ClientEvent",
    "EventEnvelope",
    "Health",
    "Hello",
    "LoginRequest",
    "LoginResponse",
    "Me",
    "Problem",
    "ProblemField",
    "Readiness",
    "Role",
    "ServerEvent",
    "TenantOut",
    "TokenCreate",
    "TokenCreated",
    "TokenList",
    "TokenOut",
    "TokenRevoked",
    "UserChanged",
    "UserCreate",
    "UserList",
    "UserOut",
    "UserUpdate",
    "parse_server_event",
]
