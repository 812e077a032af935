"""The admin area's user calls: change a user (role, name, disabled) and the live sessions and
API tokens, which an admin may end (the user list itself is ``session.users``)."""

from __future__ import annotations

import uuid

from pytake_daemon.protocol import TokenCreate, TokenCreated, TokenList, UserOut, UserUpdate
from pytake_tui.api.transport import API_PREFIX, Endpoints

_USERS = f"{API_PREFIX}/users"
_TOKENS = f"{API_PREFIX}/tokens"


class UserEndpoints(Endpoints):
    """``/users/{id}`` (admins) and ``/tokens``."""

    async def change_user(self, user_id: uuid.UUID, change: UserUpdate) -> UserOut:
        """Change a user's role or name, disable or re-enable them (admins; audited)."""
        return await self._transport.call(UserOut, "PATCH", f"{_USERS}/{user_id}", change)

    async def tokens(self) -> TokenList:
        """Live sessions and API tokens: the whole tenant's for admins, else the caller's."""
        return await self._transport.get(TokenList, _TOKENS)

    async def create_token(self, request: TokenCreate) -> TokenCreated:
        """A new API token acting as the caller, with its scopes; the secret is in the answer
        only, this once."""
        return await self._transport.call(TokenCreated, "POST", _TOKENS, request)

    async def revoke_token(self, token_id: uuid.UUID) -> None:
        """End a session or an API token (admins: anyone's in the tenant)."""
        await self._transport.send("DELETE", f"{_TOKENS}/{token_id}")
