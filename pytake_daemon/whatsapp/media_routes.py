"""Media: download what a customer sent (Meta's two steps, proxied with the number's token, so
clients never see a token) and upload what an agent will send."""

from __future__ import annotations

import uuid

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from pytake_daemon.db.pool import tenant_transaction
from pytake_daemon.errors import BadGateway, BadRequest, NotFound, PayloadTooLarge
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, GRAPH, SECRET_BOX
from pytake_daemon.protocol.whatsapp import MediaUploaded
from pytake_daemon.whatsapp import db, outbox_db
from pytake_daemon.whatsapp.meta_errors import GraphError, explain

routes = RouteTable(tag="whatsapp")

# Meta's largest media type (documents) is 100 MB; videos and audio are 16 MB, images 5 MB.
MAX_MEDIA_BYTES = 100 * 1024 * 1024
_MEDIA_TYPES = {"image", "audio", "video", "document", "sticker"}


@routes.get(
    "/api/v1/conversations/{id}/messages/{message_id}/media",
    summary="The bytes of a customer's image, audio, video, document or sticker",
    errors=(404, 502),
    media_types=("*/*",),
)
async def download_media(request: web.Request) -> web.StreamResponse:
    who = identity(request)
    conversation_id = path_uuid(request)
    message_id = path_uuid(request, "message_id")
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        row = await outbox_db.media_of(conn, conversation_id, message_id)
    if row is None or row["type"] not in _MEDIA_TYPES or not row["media_id"]:
        raise NotFound("no such media message in this conversation")
    token = request.app[SECRET_BOX].decrypt(row["access_token_enc"])
    try:
        info, data = await request.app[GRAPH].fetch_media(
            row["media_id"], token, phone_number_id=row["phone_number_id"]
        )
    except GraphError as exc:
        raise BadGateway(explain(exc.code, exc.details, message=exc.message)) from None
    headers = {}
    if row["filename"]:
        headers["Content-Disposition"] = f'attachment; filename="{_safe(row["filename"])}"'
    return web.Response(
        body=data,
        content_type=(info.mime_type or "application/octet-stream").split(";")[0],
        headers=headers,
    )


def _safe(filename: str) -> str:
    return "".join(ch for ch in filename if ch.isprintable() and ch not in '"\\')[:200]


@routes.post(
    "/api/v1/whatsapp/numbers/{id}/media",
    summary="Upload a file (multipart field 'file') to send later by media_id",
    response=MediaUploaded,
    status=201,
    errors=(400, 404, 413, 502),
    upload="file",
)
async def upload_media(request: web.Request) -> MediaUploaded:
    who = identity(request)
    number_id: uuid.UUID = path_uuid(request)
    async with tenant_transaction(request.app[DB_POOL], who.tenant_id) as conn:
        number = await db.get_number(conn, number_id)
    if number is None or number["removed_at"] is not None:
        raise NotFound("no such number")
    if not request.content_type.startswith("multipart/"):
        raise BadRequest("send the file as multipart/form-data in a field named 'file'")
    try:
        part, data = await _read_file_part(request)
    except (ValueError, HttpProcessingError) as exc:
        # aiohttp's multipart reader says what is wrong (no boundary, a bad part header) with
        # these: the request's fault, not the server's.
        raise BadRequest(f"malformed multipart/form-data body: {exc}") from None
    mime_type = part.headers.get("Content-Type", "application/octet-stream")
    token = request.app[SECRET_BOX].decrypt(number["access_token_enc"])
    try:
        media_id = await request.app[GRAPH].upload_media(
            number["phone_number_id"], token, bytes(data), mime_type, part.filename or "file"
        )
    except GraphError as exc:
        raise BadGateway(explain(exc.code, exc.details, message=exc.message)) from None
    return MediaUploaded(media_id=media_id, mime_type=mime_type, size=len(data))


async def _read_file_part(request: web.Request) -> tuple[BodyPartReader, bytearray]:
    reader = await request.multipart()
    part = await reader.next()
    while part is not None and (not isinstance(part, BodyPartReader) or part.name != "file"):
        part = await reader.next()
    if part is None:
        raise BadRequest("no multipart field named 'file'")
    data = bytearray()
    while chunk := await part.read_chunk(256 * 1024):
        data.extend(chunk)
        if len(data) > MAX_MEDIA_BYTES:
            raise PayloadTooLarge(f"media is limited to {MAX_MEDIA_BYTES} bytes")
    return part, data
