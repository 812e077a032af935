"""Which API-token scope each route needs, derived in one place from the route's declaration.

The route table (``pytake_daemon/http/api.py``) calls :func:`scope_for` for every route that
doesn't name a scope itself, so every operation states one; the OpenAPI document publishes it
and ``tests/test_token_scopes.py`` checks each against the real app. The rules, in order:

1. ``GET`` reads: ``read``.
2. Sending to a customer (a message, a media upload, a phone-number request): ``messages:send``.
3. Anything under the ``flows`` tag: ``flows:write``.
4. Work on conversations, contacts, queue items, agents and quick replies below the admin
   role: ``conversations:write``.
5. Every other change: ``admin``.

A route with no role (public) needs no scope; ``POST /api/v1/auth/logout`` needs none either,
since a token may always end itself.
"""

from __future__ import annotations

import re
from typing import Any

from pytake_daemon.protocol.auth import Role, Scope

_SENDS = re.compile(
    r"^/api/v1/(conversations/{id}/(messages|phone-request)|whatsapp/numbers/{id}/media)$"
)
_CONVERSATION_WORK = frozenset({"conversations", "contacts", "queues", "agents", "ai"})
_ANY_TOKEN = frozenset({("POST", "/api/v1/auth/logout")})


def scope_for(method: str, path: str, tag: str, role: Role | None) -> Scope | None:
    """The scope an API token needs for a route; ``None`` when any token (or none) will do."""
    if role is None or (method, path) in _ANY_TOKEN:
        return None
    if method in ("GET", "HEAD"):
        return Scope.READ
    if _SENDS.match(path):
        return Scope.MESSAGES_SEND
    if tag == "flows":
        return Scope.FLOWS_WRITE
    if tag in _CONVERSATION_WORK and not role.at_least(Role.ADMIN):
        return Scope.CONVERSATIONS_WRITE
    return Scope.ADMIN


def lacks(scopes: frozenset[Scope] | None, needed: Scope | None) -> bool:
    """True when a caller with ``scopes`` (``None``: a login session) may not use the route."""
    return scopes is not None and needed is not None and needed not in scopes


_SCOPE_TEXT = {
    Scope.READ: "every GET: lists, details, reports, exports, the WebSocket",
    Scope.MESSAGES_SEND: "send messages and media to customers, ask for a phone number",
    Scope.CONVERSATIONS_WRITE: (
        "status, read marks, notes, tags, transfers, assignment, queue items, contacts, "
        "agent status and goals, quick replies"
    ),
    Scope.FLOWS_WRITE: "create, edit, validate, test, publish and archive flows",
    Scope.ADMIN: "every other change (users, tokens, settings, queues, numbers, webhooks…)",
}

BEARER_SCHEME: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "A login session token or an API token (`pytake token create`, `POST /api/v1/tokens`). "
        "A session may do what its user's role allows. An API token may do what its user's "
        "role allows AND its scopes grant; each operation names the scope it needs in "
        "`x-pytake-scope` and in its security requirement. API tokens are also rate limited "
        "per token (429 with Retry-After). Scopes:\n\n"
        + "\n".join(f"- `{s.value}`: {text}" for s, text in _SCOPE_TEXT.items())
    ),
    "x-pytake-scopes": {s.value: text for s, text in _SCOPE_TEXT.items()},
}
"""The OpenAPI security scheme: plain bearer, with the scopes listed (OpenAPI 3.1 lets a
non-OAuth requirement name them, which is what each operation's ``security`` does)."""


def operation_scope(role: Role, scope: Scope | None) -> dict[str, Any]:
    """An authenticated operation's OpenAPI members: security, description, x-pytake-scope."""
    needs = (
        f"An API token needs the **{scope.value}** scope."
        if scope is not None
        else "Any API token may call it."
    )
    return {
        "security": [{"bearer": [scope.value] if scope is not None else []}],
        "description": f"Requires the **{role.value}** role or higher. {needs}",
        "x-pytake-scope": scope.value if scope is not None else None,
    }
