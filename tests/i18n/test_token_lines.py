"""A revoked token is named where a person reads it (issue 22): the stream's ``TokenRevoked``
carries an API token's name and a session's owner, and the console's activity says them in its
language ("token 3f2c…-… revoked" named nothing); a token's creation alert names it inside one
translatable sentence."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest

from pytake_daemon.app import create_app
from pytake_daemon.config import Settings
from pytake_daemon.db.endpoints import Endpoints
from pytake_daemon.protocol import Role, TokenRevoked
from pytake_daemon.protocol.audit import AlertKind
from pytake_i18n import use_language
from pytake_tui.screens.home import token_revoked
from tests.audit.test_alerts import alerting_api, alerts
from tests.conftest import ApiClient, MakeTenant
from tests.test_realtime import hello, next_event_of

__all__ = ["alerting_api"]  # the fixture, imported for this module's tests


@pytest.fixture
async def always_open_api(
    aiohttp_client: Callable[..., Awaitable[ApiClient]], settings: Settings, endpoints: Endpoints
) -> ApiClient:
    """Business hours every hour of every day: no admin action raises an off-hours alert, at
    whatever hour the suite runs (on a Sunday the token's creation alerted, and its event,
    numbered before the stream's hello, could arrive after it)."""
    audit = settings.audit.model_copy(
        update={
            "business_days": list(range(7)),
            "business_hours_start": 0,
            "business_hours_end": 24,
        }
    )
    return await aiohttp_client(create_app(settings.model_copy(update={"audit": audit}), endpoints))


async def test_revocations_name_the_token_and_the_console_says_it(
    always_open_api: ApiClient, make_tenant: MakeTenant
) -> None:
    api = always_open_api
    tenant = await make_tenant()
    admin, agent = tenant[Role.ADMIN], tenant[Role.AGENT]
    made = await api.post("/api/v1/tokens", json={"name": "ci deploy"}, headers=admin.headers)
    assert made.status == 201
    token_id = uuid.UUID((await made.json())["info"]["id"])
    # The creation's alert is raised by a job: its event, numbered before the stream's hello,
    # could arrive after it. The alerts are in (and told) before the stream opens.
    assert [a.subject for a in (await alerts(api, admin.headers)).items]
    async with api.ws_connect("/api/v1/ws", headers=admin.headers) as ws:
        start = await hello(ws, admin, tenant)
        revoked = await api.delete(f"/api/v1/tokens/{token_id}", headers=admin.headers)
        assert revoked.status == 204
        api_token = (await next_event_of(ws, TokenRevoked, after=start.seq)).event
        assert (await api.post("/api/v1/auth/logout", headers=agent.headers)).status == 204
        session = (await next_event_of(ws, TokenRevoked, after=start.seq)).event
    assert isinstance(api_token, TokenRevoked)
    assert isinstance(session, TokenRevoked)
    assert (api_token.kind, api_token.name, api_token.owner) == ("api", "ci deploy", admin.email)
    assert (session.token_id, session.kind, session.owner) == (
        agent.token_id,
        "session",
        agent.email,
    )
    with use_language("pt_BR"):
        assert token_revoked(api_token) == "Token de API “ci deploy” revogado"
        assert token_revoked(session) == f"sessão de {agent.email} encerrada"
        assert token_revoked(TokenRevoked(token_id=token_id)) == "um token foi revogado"
    with use_language("en"):
        assert token_revoked(api_token) == "API token “ci deploy” revoked"
        assert token_revoked(session) == f"a session of {agent.email} ended"


async def test_a_token_creation_alert_is_one_sentence_in_each_language(
    alerting_api: ApiClient, make_tenant: MakeTenant
) -> None:
    api = alerting_api
    tenant = await make_tenant()
    admin = tenant[Role.ADMIN]
    made = await api.post("/api/v1/tokens", json={"name": "ci deploy"}, headers=admin.headers)
    assert made.status == 201
    said = {}
    for language in ("en", "pt-BR"):
        listed = await alerts(api, {**admin.headers, "Accept-Language": language})
        [created] = [a for a in listed.items if a.kind is AlertKind.TOKEN_CREATED]
        said[language] = created.summary
    assert said == {
        "en": f"{admin.email} created the API token “ci deploy”",
        "pt-BR": f"{admin.email} criou o token de API “ci deploy”",
    }
