"""A tenant configured through the API the way an admin would, for the export/import tests."""

from __future__ import annotations

import uuid
from typing import Any

from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.protocol import Role
from pytake_daemon.whatsapp import db as whatsapp_db
from tests.conftest import ApiClient
from tests.support import TenantData

SMTP_PASSWORD = "smtp-Secret-never-exported-42"


def flow_document(name: str, text: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"{name} flow",
        "definition": {
            "nodes": [
                {"id": "start", "type": "trigger_keyword", "keywords": [name.lower()]},
                {"id": "hi", "type": "msg_text", "text": text},
            ],
            "edges": [{"source": "start", "target": "hi", "branch": "next"}],
        },
    }


async def call(
    api: ApiClient, member: Any, method: str, path: str, body: Any = None, status: int = 200
) -> Any:
    response = await api.request(method, path, json=body, headers=member.headers)
    assert response.status == status, await response.text()
    return await response.json() if response.content_type == "application/json" else None


async def configure(api: ApiClient, admin_conn: Connection, tenant: TenantData) -> None:
    """Queues naming each other and a flow, flows with two versions, replies (shared and
    personal), intents, AI and notification settings, agent settings, a template, SMTP."""
    owner = tenant[Role.OWNER]
    profile = {
        "business_name": "Padaria Pão Quente",
        "segment": "restaurant",
        "timezone": "America/Sao_Paulo",
        "language": "pt_BR",
        "business_hours": {"mon": [["07:00", "19:00"]], "sat": [["07:00", "12:00"]]},
    }
    await call(api, owner, "PUT", "/api/v1/tenant/profile", profile)
    welcome = await call(api, owner, "POST", "/api/v1/flows", flow_document("Welcome", "Oi!"), 201)
    await call(
        api,
        owner,
        "PUT",
        f"/api/v1/flows/{welcome['id']}",
        {"definition": flow_document("Welcome", "Olá de novo!")["definition"]},
    )
    await call(api, owner, "POST", f"/api/v1/flows/{welcome['id']}/publish", {"version": 2})
    await call(api, owner, "POST", "/api/v1/flows", flow_document("Draft", "soon"), 201)
    overflow = await call(
        api, owner, "POST", "/api/v1/queues", {"name": "Overflow", "max_size": 50}, 201
    )
    await call(
        api,
        owner,
        "POST",
        "/api/v1/queues",
        {
            "name": "Support",
            "department": "care",
            "required_skills": ["pt"],
            "policy": "least_loaded",
            "max_size": 10,
            "overflow_action": "divert",
            "overflow_queue_id": overflow["id"],
            "timeout_action": "start_flow",
            "timeout_flow_id": welcome["id"],
            "timezone": "America/Sao_Paulo",
            "business_hours": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]]},
            "holidays": ["2026-12-25"],
            "welcome_message": "Você é o {position}º da fila",
            "first_response_target_seconds": 120,
        },
        201,
    )
    agent = tenant[Role.AGENT]
    await call(
        api,
        owner,
        "PUT",
        f"/api/v1/agents/{agent.id}/status",
        {
            "status": "online",
            "capacity": 5,
            "skills": ["pt", "billing"],
            "departments": ["care"],
            "working_hours": {"tue": [["08:00", "17:00"]]},
            "timezone": "America/Sao_Paulo",
        },
    )
    reply = {"title": "Greeting", "body": "Olá {{first_name}}!", "shortcut": "hi"}
    await call(api, owner, "POST", "/api/v1/ai/replies", reply, 201)
    mine = {"title": "Mine", "body": "my own words", "scope": "personal"}
    await call(api, agent, "POST", "/api/v1/ai/replies", mine, 201)
    intent = {"name": "refund", "examples": ["quero meu dinheiro"], "keywords": ["reembolso"]}
    await call(api, owner, "POST", "/api/v1/ai/intents", intent, 201)
    await call(api, owner, "PATCH", "/api/v1/ai/settings", {"intent_threshold": 0.4})
    await call(api, owner, "PUT", "/api/v1/notifications/settings", {"retention_days": 30})
    smtp = {
        "host": "smtp.example.test",
        "username": "mailer",
        "password": SMTP_PASSWORD,
        "from_address": "noreply@example.test",
    }
    await call(api, owner, "PUT", "/api/v1/notifications/smtp", smtp)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        await whatsapp_db.upsert_template(
            admin_conn,
            waba_id="waba-1",
            meta_id=f"meta-{uuid.uuid4().hex[:6]}",
            name="order_update",
            language="pt_BR",
            status="APPROVED",
            category="UTILITY",
            parameter_format="POSITIONAL",
            components=[{"type": "BODY", "text": "Pedido {{1}} saiu"}],
            reason=None,
            synced=True,
        )
