"""Logging in and out, who the token belongs to, the daemon's health and the tenant's users."""

from __future__ import annotations

from pydantic import ValidationError

from pytake_daemon.protocol import (
    Health,
    LoginRequest,
    LoginResponse,
    Me,
    PasswordChange,
    UserList,
)
from pytake_daemon.protocol.auth import ProfileUpdate, UserLanguage
from pytake_daemon.protocol.invitations import InvitationAccept
from pytake_tui.api.transport import API_PREFIX, DaemonError, Endpoints, parse
from pytake_tui.i18n import N_


class SessionEndpoints(Endpoints):
    """``/auth``, ``/invitations/accept``, ``/healthz`` and ``/users``."""

    async def login(self, email: str, password: str, tenant: str | None = None) -> LoginResponse:
        """Open a session; the token is kept for the calls that follow."""
        try:
            body = LoginRequest(email=email.strip(), password=password, tenant=tenant or None)
        except ValidationError as error:
            raise DaemonError.invalid(N_("Check the form"), error) from None
        path = f"{API_PREFIX}/auth/login"
        result = parse(
            LoginResponse, await self._transport.send("POST", path, body=body, auth=False)
        )
        self._transport.token = result.token
        return result

    async def accept_invitation(
        self, code: str, password: str, name: str | None = None
    ) -> LoginResponse:
        """Join with an invitation code and a new password; the session opened is kept, as after
        a login (the daemon answers 400/404/410 with one sentence for a code that can't be)."""
        try:
            body = InvitationAccept(code=code.strip(), password=password, name=name or None)
        except ValidationError as error:
            raise DaemonError.invalid(N_("Check the form"), error) from None
        path = f"{API_PREFIX}/invitations/accept"
        result = parse(
            LoginResponse, await self._transport.send("POST", path, body=body, auth=False)
        )
        self._transport.token = result.token
        return result

    async def logout(self) -> None:
        """End the session on the daemon; a token it already refuses counts as logged out."""
        if self._transport.token is None:
            return
        try:
            await self._transport.send("POST", f"{API_PREFIX}/auth/logout")
        except DaemonError as error:
            if not error.unauthorized:
                raise
        finally:
            self._transport.token = None

    async def change_password(self, current: str, new: str) -> None:
        """Change the user's own password; the daemon ends their other sessions."""
        await self._transport.send(
            "POST",
            f"{API_PREFIX}/auth/password",
            body=PasswordChange(current_password=current, new_password=new),
        )

    async def me(self) -> Me:
        """Who the token belongs to; raises a 401 DaemonError once it expired or was revoked."""
        return await self._transport.get(Me, f"{API_PREFIX}/auth/me")

    async def set_language(self, language: UserLanguage | None) -> Me:
        """Set the language the user reads the console in (None: not chosen); returns Me."""
        body = ProfileUpdate(language=language)
        path = f"{API_PREFIX}/auth/me"
        # null is the "not chosen" answer, so it is sent, not left out.
        return parse(Me, await self._transport.send("PUT", path, body=body, explicit_nulls=True))

    async def health(self) -> Health:
        """The daemon's liveness answer."""
        return parse(Health, await self._transport.send("GET", "/healthz", auth=False))

    async def users(self) -> UserList:
        """The tenant's users (supervisors and above; agents get a 403)."""
        return await self._transport.get(UserList, f"{API_PREFIX}/users")
