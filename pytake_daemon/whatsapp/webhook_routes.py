"""``GET|POST /api/v1/whatsapp/webhook`` (also ``/webhook/whatsapp``, the address the original
product's setup guide gives): Meta's handshake and its notifications.

POST order matters: size cap, then the signature over the raw bytes (401 before anything is
parsed), then JSON (400), then the envelope (400 only when no entry can be attributed to an
account), then routing each change by its phone_number_id, then the durable write of each
tenant's share as an ``ingest`` job (webhook_jobs.py); 200 only after the commit. Inside a valid
envelope nothing is refused as a whole: the inbound stage stores an item that can't be
understood raw with its reason in ``webhook_events`` and counts it, next to its neighbours. A
notification for a number nobody configured is answered 200 (Meta would otherwise retry it for
days), logged and counted, and never stored.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import structlog
from aiohttp import web
from redis.exceptions import RedisError

from pytake_daemon.errors import BadRequest, Forbidden, PayloadTooLarge, Unauthorized
from pytake_daemon.http.api import RouteTable
from pytake_daemon.keys import REDIS, SETTINGS, WEBHOOK_ROUTING, WEBHOOK_WRITER
from pytake_daemon.metrics import families as metrics
from pytake_daemon.whatsapp.webhook import WebhookPayloadError, read_notification_envelope
from pytake_daemon.whatsapp.webhook_jobs import route_changes

log = structlog.get_logger("pytake.whatsapp")

routes = RouteTable(tag="whatsapp")

WEBHOOK_PATHS = ("/api/v1/whatsapp/webhook", "/webhook/whatsapp")
SIGNATURE_HEADER = "X-Hub-Signature-256"


async def verify_webhook(request: web.Request) -> web.StreamResponse:
    answer = await request.app[WEBHOOK_ROUTING].challenge(dict(request.query))
    if answer is None:
        raise Forbidden("hub.mode must be subscribe and hub.verify_token must match a number's")
    return web.Response(text=answer, content_type="text/plain")


async def receive_webhook(request: web.Request) -> web.StreamResponse:
    # Counted by outcome here, around the handler, so every early refusal is counted once.
    try:
        response = await _receive(request)
    except PayloadTooLarge:
        metrics.WEBHOOK_TOO_LARGE.inc()
        raise
    except Unauthorized:
        metrics.WEBHOOK_UNAUTHORIZED.inc()
        raise
    except BadRequest:
        metrics.WEBHOOK_BAD_REQUEST.inc()
        raise
    except Exception:
        metrics.WEBHOOK_FAILED.inc()
        raise
    metrics.WEBHOOK_ACCEPTED.inc()
    return response


async def _receive(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS].whatsapp
    body = await _read_limited(request, settings.webhook_max_bytes)
    routing = request.app[WEBHOOK_ROUTING]
    secret = await routing.signer(body, request.headers.get(SIGNATURE_HEADER))
    if secret is None:
        raise Unauthorized(f"{SIGNATURE_HEADER} is missing or does not match any app secret")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    if b"\\u0000" in body:
        # PostgreSQL text and jsonb can't hold NUL; the only lossy step, and only for NULs.
        data = _without_nul(data)
    try:
        obj, entries = read_notification_envelope(data)
    except WebhookPayloadError as exc:
        raise BadRequest(str(exc)) from None
    routed = await route_changes(routing, secret, obj, entries)
    if routed.unknown:
        metrics.WEBHOOK_UNKNOWN_NUMBER.inc(len(routed.unknown))
        await count_webhooks(request.app, "unknown_number", len(routed.unknown))
        log.warning("webhook for an unknown number ignored", numbers=sorted(routed.unknown))
    if routed.shares:
        await request.app[WEBHOOK_WRITER].submit(routed.shares)
    return web.Response(text="EVENT_RECEIVED", content_type="text/plain")


for _path, _suffix in zip(WEBHOOK_PATHS, ("", "_short_path"), strict=True):
    routes.get(
        _path,
        summary="Meta's subscription handshake: echoes hub.challenge when hub.verify_token matches",
        role=None,
        errors=(403,),
        media_types=("text/plain",),
        operation_id=f"verify_webhook{_suffix}",
    )(verify_webhook)
    routes.post(
        _path,
        summary="Meta's notifications (signed); 200 only once what they carry is committed",
        role=None,
        errors=(400, 401, 413, 503),
        operation_id=f"receive_webhook{_suffix}",
    )(receive_webhook)


async def _read_limited(request: web.Request, limit: int) -> bytes:
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(f"webhook bodies are limited to {limit} bytes")
    if length is not None:
        # Meta always sends a Content-Length: one read of that many bytes (the chunk iterator
        # was a fifth of the handler's CPU). A body cut short is what arrived, as before.
        try:
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            return exc.partial
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"webhook bodies are limited to {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


async def count_webhooks(app: web.Application, name: str, amount: int) -> None:
    """A counter in Redis (``<prefix>whatsapp:<name>``); best effort, never fails the POST or
    the inbound stage's batch."""
    prefix = app[SETTINGS].redis.key_prefix
    try:
        await app[REDIS].incrby(f"{prefix}whatsapp:{name}", amount)
    except (RedisError, OSError) as exc:
        log.warning("webhook counter not updated", counter=name, error=str(exc))
