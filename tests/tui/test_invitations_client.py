"""The console's invitation calls against the real daemon (app, PostgreSQL, Redis): an admin
invites, lists, resends and revokes; the invitee joins; refusals are DaemonErrors with the
daemon's sentence."""

from __future__ import annotations

import pytest

from pytake_daemon.protocol import Role
from pytake_daemon.protocol.invitations import InvitationStatus
from pytake_tui.client import DaemonClient, DaemonError
from tests.conftest import ApiClient, MakeTenant
from tests.invitations.support import NEW_PASSWORD


async def test_invite_list_resend_revoke_and_join(
    proxied_api: ApiClient, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    server = str(proxied_api.make_url("")).rstrip("/")
    async with DaemonClient(server, token=tenant[Role.ADMIN].token) as admin:
        sent = await admin.invite("dora@example.test", Role.SUPERVISOR)
        assert sent.code is not None
        kept = await admin.invite("eva@example.test")
        assert kept.code is not None
        resent = await admin.resend_invitation(sent.invitation.id)
        assert resent.code not in (None, sent.code)
        revoked = await admin.revoke_invitation(kept.invitation.id)
        assert revoked.status is InvitationStatus.REVOKED
        with pytest.raises(DaemonError) as refused:
            await admin.invite("not an e-mail")
        assert refused.value.status is None  # refused here, before any request
    async with DaemonClient(server) as invitee:
        assert resent.code is not None
        joined = await invitee.accept_invitation(resent.code, NEW_PASSWORD, "Dora")
        assert (joined.me.email, joined.me.role) == ("dora@example.test", Role.SUPERVISOR)
        assert (await invitee.me()).user_id == joined.me.user_id  # the session is kept
    async with DaemonClient(server) as late:
        with pytest.raises(DaemonError) as gone:
            await late.accept_invitation(kept.code, NEW_PASSWORD)
        assert gone.value.status == 410
        assert gone.value.message == (
            "Gone: this invitation was revoked: ask whoever invited you for a new one"
        )
    async with DaemonClient(server, token=tenant[Role.ADMIN].token) as admin:
        listed = {i.email: i.status for i in (await admin.invitations()).items}
    assert listed == {
        "dora@example.test": InvitationStatus.ACCEPTED,
        "eva@example.test": InvitationStatus.REVOKED,
    }
    async with DaemonClient(server, token=tenant[Role.AGENT].token) as agent:
        with pytest.raises(DaemonError) as forbidden:
            await agent.invitations()
        assert forbidden.value.status == 403
