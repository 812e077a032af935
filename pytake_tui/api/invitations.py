"""The admins' invitation calls (the invitee's ``accept_invitation`` is in ``session``)."""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.invitations import (
    InvitationCreate,
    InvitationList,
    InvitationOut,
    InvitationSent,
    PasswordResetCreate,
)
from pytake_tui.api.transport import API_PREFIX, DaemonError, Endpoints, parse
from pytake_tui.i18n import N_

_INVITATIONS = f"{API_PREFIX}/invitations"


class InvitationEndpoints(Endpoints):
    """``/invitations`` (admins)."""

    async def invite(
        self, email: str, role: Role = Role.AGENT, queue_ids: list[uuid.UUID] | None = None
    ) -> InvitationSent:
        """Invite a person; ``code`` is in the answer only when it was not e-mailed."""
        try:
            body = InvitationCreate(email=email.strip(), role=role, queue_ids=queue_ids or [])
        except ValidationError as error:
            raise DaemonError.invalid(N_("Check the invitation"), error) from None
        return parse(InvitationSent, await self._transport.send("POST", _INVITATIONS, body=body))

    async def reset_password(self, user_id: uuid.UUID) -> InvitationSent:
        """Send a user a password-reset code (e-mailed, else in the answer once); with it they
        choose a new password as an invitee does, and their sessions end."""
        body = PasswordResetCreate(user_id=user_id)
        path = f"{_INVITATIONS}/password-resets"
        return parse(InvitationSent, await self._transport.send("POST", path, body=body))

    async def invitations(self) -> InvitationList:
        """The tenant's invitations, newest first, with their status (never a code)."""
        return await self._transport.get(InvitationList, _INVITATIONS)

    async def resend_invitation(self, invitation_id: uuid.UUID) -> InvitationSent:
        """A new code and expiry; the old code stops working."""
        path = f"{_INVITATIONS}/{invitation_id}/resend"
        return parse(InvitationSent, await self._transport.send("POST", path))

    async def revoke_invitation(self, invitation_id: uuid.UUID) -> InvitationOut:
        """Revoke: the code stops working (an accepted invitation can't be revoked: 409)."""
        path = f"{_INVITATIONS}/{invitation_id}"
        return parse(InvitationOut, await self._transport.send("DELETE", path))
