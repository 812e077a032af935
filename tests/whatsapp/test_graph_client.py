"""GraphClient against a small aiohttp stand-in for Meta that answers with Meta's documented shapes
(the examples of Meta's OpenAPI contract and its error-code reference).

No test sleeps to synchronise: the "slow Meta" handler waits on an event the test releases after
the client has given up.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from pytake_daemon.protocol.outgoing import TextOut
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.graph_models import (
    CreateTemplateRequest,
    MediaInfo,
    TemplateComponentDef,
)
from pytake_daemon.whatsapp.graph_send import to_graph
from pytake_daemon.whatsapp.meta_errors import GraphError
from pytake_daemon.whatsapp.recipient import Recipient

TOKEN = "EAAGtesttoken0123456789SECRET"
PHONE_ID = "106540352242922"
WABA_ID = "102290129340398"
MEDIA_ID = "2621233374848975"
CUSTOMER = "16505551234"
PHONE = Recipient(phone=CUSTOMER)
BSUID = "US.13491208655302741918"
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA"
MEDIA_BYTES = bytes(range(256)) * 40

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def meta_error(
    status: int, code: int, message: str, *, details: str | None = None, **extra: Any
) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    error |= {"fbtrace_id": "AbCdEfGhIjK", **extra}
    return web.json_response({"error": error}, status=status)


def template(i: int) -> dict[str, Any]:
    return {
        "id": str(920070352646140 + i),
        "name": f"template_{i}",
        "language": "en_US",
        "status": "APPROVED",
        "category": "MARKETING",
        "parameter_format": "POSITIONAL",
        "components": [{"type": "BODY", "text": "Hi {{1}}", "example": {"body_text": [["M"]]}}],
    }


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: bytes


@dataclass
class FakeMeta:
    """Meta's endpoints as documented; ``overrides`` answers the next matching calls instead."""

    templates: list[dict[str, Any]] = field(default_factory=lambda: [template(i) for i in range(7)])
    media: dict[str, bytes] = field(default_factory=lambda: {MEDIA_ID: MEDIA_BYTES})
    seen: list[Seen] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    overrides: list[Handler] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None

    def url(self, path: str = "/") -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    def answer_next(self, handler: Handler) -> None:
        self.overrides.append(handler)

    def respond_next(self, response: web.StreamResponse) -> None:
        async def canned(request: web.Request) -> web.StreamResponse:
            return response

        self.answer_next(canned)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record, self._bearer])
        app.router.add_post("/v23.0/{phone}/messages", self._messages)
        app.router.add_post("/v23.0/{phone}/media", self._upload)
        app.router.add_get("/v23.0/{waba}/message_templates", self._list_templates)
        app.router.add_post("/v23.0/{waba}/message_templates", self._create_template)
        app.router.add_get("/v23.0/{node}", self._node)
        app.router.add_delete("/v23.0/{node}", self._delete)
        app.router.add_get("/lookaside/{media}", self._download)
        app.router.add_get("/moved/{media}", self._moved)
        app.router.add_get("/chunked/{media}", self._chunked)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.seen.append(
            Seen(
                request.method,
                request.path,
                dict(request.query),
                request.headers.get("Authorization"),
                # Reading a multipart body here would leave nothing for request.post().
                b"" if request.content_type.startswith("multipart/") else await request.read(),
            )
        )
        if self.overrides:
            return await self.overrides.pop(0)(request)
        return await handler(request)

    @web.middleware
    async def _bearer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return meta_error(
                401,
                190,
                "Invalid OAuth access token - Cannot parse access token",
                error_subcode=463,
            )
        return await handler(request)

    async def _messages(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("status") == "read":
            return web.json_response({"success": True})
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                # Meta's own example pads wa_id with a space.
                "contacts": [{"input": body["to"], "wa_id": body["to"].lstrip("+") + " "}],
                "messages": [{"id": WAMID, "message_status": "accepted"}],
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        data = upload.file.read()
        self.uploads.append(
            {
                "messaging_product": form["messaging_product"],
                "type": form["type"],
                "filename": upload.filename,
                "content_type": upload.content_type,
            }
        )
        media_id = str(4490709327384033 + len(self.media))
        self.media[media_id] = data
        return web.json_response({"id": media_id})

    async def _node(self, request: web.Request) -> web.Response:
        node = request.match_info["node"]
        if node == PHONE_ID:
            return web.json_response(
                {
                    "id": PHONE_ID,
                    "display_phone_number": "+1 555-555-5555",
                    "verified_name": "Jaspers Market",
                    "quality_rating": "GREEN",
                }
            )
        data = self.media.get(node)
        if data is None:
            return meta_error(400, 100, "Unsupported get request.", error_subcode=33)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": self.url(f"/lookaside/{node}"),
                "mime_type": "image/jpeg",
                "sha256": hashlib.sha256(data).hexdigest(),
                # A string, as in Meta's example.
                "file_size": str(len(data)),
                "id": node,
            }
        )

    async def _delete(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"success": self.media.pop(request.match_info["node"], None) is not None}
        )

    async def _download(self, request: web.Request) -> web.Response:
        data = self.media.get(request.match_info["media"])
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="image/jpeg")

    async def _moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/lookaside/{request.match_info['media']}")

    async def _chunked(self, request: web.Request) -> web.StreamResponse:
        # Chunked transfer: no Content-Length, so only counting the stream can enforce a cap.
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        data = self.media[request.match_info["media"]]
        for start in range(0, len(data), 1000):
            await response.write(data[start : start + 1000])
        await response.write_eof()
        return response

    async def _list_templates(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "25"))
        offset = int(base64.b64decode(request.query["after"])) if "after" in request.query else 0
        page = self.templates[offset : offset + limit]
        cursors = {
            "before": base64.b64encode(str(offset).encode()).decode(),
            "after": base64.b64encode(str(offset + len(page)).encode()).decode(),
        }
        paging: dict[str, Any] = {"cursors": cursors}
        if offset + len(page) < len(self.templates):
            # Meta's next link carries the access token in the query string.
            paging["next"] = self.url(
                f"/v23.0/{request.match_info['waba']}/message_templates"
                f"?access_token={TOKEN}&limit={limit}&after={cursors['after']}"
            )
        return web.json_response({"data": page, "paging": paging})

    async def _create_template(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {"id": "1689556908129832", "status": "PENDING", "category": body["category"]}
        )


@pytest.fixture
async def meta() -> AsyncIterator[FakeMeta]:
    fake = FakeMeta()
    server = TestServer(fake.app())
    await server.start_server()
    fake.server = server
    try:
        yield fake
    finally:
        fake.release.set()
        await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s:
        yield s


@pytest.fixture
def graph(meta: FakeMeta, session: aiohttp.ClientSession) -> GraphClient:
    return GraphClient(session, base_url=meta.url("/"))


def assert_no_token(error: GraphError) -> None:
    for text in (str(error), repr(error), error.explanation, str(error.as_record()), *error.args):
        assert TOKEN not in text


# ---- Sending -------------------------------------------------------------------------------


async def test_send_message(meta: FakeMeta, graph: GraphClient) -> None:
    body = to_graph(TextOut(body="Olá"), PHONE, reply_to_wamid=WAMID)
    result = await graph.send_message(PHONE_ID, TOKEN, body)
    assert (result.wamid, result.wa_id, result.input) == (WAMID, CUSTOMER, CUSTOMER)
    assert result.message_status == "accepted"
    (call,) = meta.seen
    assert (call.method, call.path) == ("POST", f"/v23.0/{PHONE_ID}/messages")
    assert call.authorization == f"Bearer {TOKEN}"
    assert call.query == {}
    assert call.body == body.to_bytes()


async def test_send_to_a_bsuid_reads_user_id_and_a_held_message(
    meta: FakeMeta, graph: GraphClient
) -> None:
    # Meta's answer to a send by "recipient": user_id instead of wa_id (never require wa_id),
    # and a message Meta holds for a quality check.
    meta.respond_next(
        web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": BSUID, "user_id": BSUID}],
                "messages": [{"id": WAMID, "message_status": "held_for_quality_assessment"}],
            }
        )
    )
    body = to_graph(TextOut(body="Olá"), Recipient(phone=None, bsuid=BSUID), reply_to_wamid=None)
    result = await graph.send_message(PHONE_ID, TOKEN, body)
    assert (result.wamid, result.wa_id, result.user_id, result.input) == (
        WAMID,
        None,
        BSUID,
        BSUID,
    )
    assert result.held
    (call,) = meta.seen
    assert json.loads(call.body)["recipient"] == BSUID
    assert "to" not in json.loads(call.body)


async def test_a_send_answer_without_contacts_or_status_is_read(
    meta: FakeMeta, graph: GraphClient
) -> None:
    meta.respond_next(web.json_response({"messages": [{"id": WAMID}]}))
    result = await graph.send_message(
        PHONE_ID, TOKEN, to_graph(TextOut(body="x"), PHONE, reply_to_wamid=None)
    )
    assert (result.wamid, result.wa_id, result.user_id, result.message_status) == (
        WAMID,
        None,
        None,
        None,
    )
    assert not result.held


async def test_mark_read_with_typing_indicator(meta: FakeMeta, graph: GraphClient) -> None:
    await graph.mark_read(PHONE_ID, TOKEN, WAMID, typing=True)
    await graph.mark_read(PHONE_ID, TOKEN, WAMID)
    first, second = (json.loads(s.body) for s in meta.seen)
    assert first == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": WAMID,
        "typing_indicator": {"type": "text"},
    }
    assert "typing_indicator" not in second
    meta.respond_next(web.json_response({"success": False}))
    with pytest.raises(GraphError, match="did not mark the message as read") as info:
        await graph.mark_read(PHONE_ID, TOKEN, WAMID)
    assert info.value.kind == "permanent"


@pytest.mark.parametrize(
    ("status", "code", "message", "details", "kind"),
    [
        (401, 190, "Error validating access token: Session has expired", None, "auth"),
        (
            400,
            131047,
            "(#131047) Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer "
            "last replied to this number.",
            "permanent",
        ),
        (
            400,
            131026,
            "(#131026) Message Undeliverable.",
            "Message failed to send because the recipient's phone number is not a WhatsApp number.",
            "permanent",
        ),
        (
            400,
            130429,
            "(#130429) Rate limit hit",
            "Message failed to send because there were too many messages sent from this phone "
            "number in a short period of time",
            "transient",
        ),
        (
            400,
            131056,
            "(#131056) (Business Account, Consumer Account) pair rate limit hit",
            None,
            "transient",
        ),
        (500, 131000, "(#131000) Something went wrong", None, "transient"),
        (503, 2, "Service temporarily unavailable", None, "transient"),
        # Permissions problems come back as HTTP 500 with code 3.
        (
            500,
            3,
            "(#3) Application does not have the capability to make this API call.",
            None,
            "auth",
        ),
        (400, 100, "(#100) Invalid parameter", "Parameter 'to' is required", "permanent"),
    ],
)
async def test_send_errors_by_class(
    meta: FakeMeta,
    graph: GraphClient,
    status: int,
    code: int,
    message: str,
    details: str | None,
    kind: str,
) -> None:
    meta.respond_next(meta_error(status, code, message, details=details))
    body = to_graph(TextOut(body="hi"), PHONE, reply_to_wamid=None)
    with pytest.raises(GraphError) as info:
        await graph.send_message(PHONE_ID, TOKEN, body)
    error = info.value
    assert (error.http_status, error.code, error.kind) == (status, code, kind)
    assert (error.message, error.details, error.fbtrace_id) == (message, details, "AbCdEfGhIjK")
    assert error.type == "OAuthException"
    assert_no_token(error)


async def test_a_wrong_token_is_an_auth_error_without_the_token(
    meta: FakeMeta, graph: GraphClient
) -> None:
    with pytest.raises(GraphError) as info:
        await graph.media_url(MEDIA_ID, "EAAGsomeoneelsestoken")
    assert (info.value.code, info.value.subcode, info.value.kind) == (190, 463, "auth")


async def test_an_echoed_token_is_redacted(meta: FakeMeta, graph: GraphClient) -> None:
    meta.respond_next(
        meta_error(400, 190, f"Malformed access token {TOKEN}", details=f"token {TOKEN}")
    )
    with pytest.raises(GraphError) as info:
        await graph.phone_number(PHONE_ID, TOKEN)
    assert info.value.message == "Malformed access token [redacted]"
    assert info.value.details == "token [redacted]"
    assert_no_token(info.value)


async def test_malformed_tokens_never_reach_the_wire(meta: FakeMeta, graph: GraphClient) -> None:
    for token in ("", "abc\r\nX-Injected: 1", " padded "):
        with pytest.raises(GraphError) as info:
            await graph.phone_number(PHONE_ID, token)
        assert info.value.kind == "auth"
        if token:
            assert token.strip() not in str(info.value)
    assert meta.seen == []


@pytest.mark.parametrize(
    ("status", "content_type", "text", "kind"),
    [
        (502, "text/html", "<html><body>502 Bad Gateway</body></html>", "transient"),
        (500, "text/html", "<html>Sorry, something went wrong.</html>", "transient"),
        (503, "application/json", '{"unexpected": true}', "transient"),
        (404, "text/html", "<html>Not Found</html>", "permanent"),
        (429, "text/plain", "slow down", "transient"),
    ],
)
async def test_non_envelope_errors(
    meta: FakeMeta, graph: GraphClient, status: int, content_type: str, text: str, kind: str
) -> None:
    meta.respond_next(web.Response(status=status, text=text, content_type=content_type))
    with pytest.raises(GraphError) as info:
        await graph.send_message(
            PHONE_ID, TOKEN, to_graph(TextOut(body="x"), PHONE, reply_to_wamid=None)
        )
    assert (info.value.http_status, info.value.code, info.value.kind) == (status, None, kind)
    assert f"HTTP {status}" in str(info.value)


async def test_an_unreadable_success_is_not_retried(meta: FakeMeta, graph: GraphClient) -> None:
    meta.respond_next(web.Response(status=200, text="<html>ok?</html>", content_type="text/html"))
    body = to_graph(TextOut(body="x"), PHONE, reply_to_wamid=None)
    with pytest.raises(GraphError, match="unexpected Graph API response") as info:
        await graph.send_message(PHONE_ID, TOKEN, body)
    assert (info.value.http_status, info.value.kind) == (200, "permanent")
    meta.respond_next(web.json_response({"messaging_product": "whatsapp", "messages": []}))
    with pytest.raises(GraphError, match="messages"):
        await graph.send_message(PHONE_ID, TOKEN, body)


async def test_timeout_is_transient(meta: FakeMeta, session: aiohttp.ClientSession) -> None:
    entered = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        entered.set()
        await meta.release.wait()
        return web.json_response({"success": True})

    meta.answer_next(slow)
    impatient = GraphClient(
        session, base_url=meta.url("/"), timeout=aiohttp.ClientTimeout(total=0.2)
    )
    with pytest.raises(GraphError) as info:
        await impatient.mark_read(PHONE_ID, TOKEN, WAMID)
    assert entered.is_set()
    meta.release.set()
    assert (info.value.kind, info.value.code, info.value.http_status) == ("transient", None, None)
    assert "timed out" in str(info.value)


async def test_connection_refused_is_transient(session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    nowhere = GraphClient(session, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(GraphError) as info:
        await nowhere.phone_number(PHONE_ID, TOKEN)
    assert (info.value.kind, info.value.code, info.value.http_status) == ("transient", None, None)
    assert "network error" in str(info.value)
    assert_no_token(info.value)


async def test_ids_are_checked_before_any_request(meta: FakeMeta, graph: GraphClient) -> None:
    for bad in ("..", "12/../34", "", "a b", "x" * 200):
        with pytest.raises(GraphError, match="not a Graph API id") as info:
            await graph.media_url(bad, TOKEN)
        assert info.value.kind == "permanent"
    assert meta.seen == []


def test_client_configuration(session: aiohttp.ClientSession) -> None:
    client = GraphClient(session, base_url="https://graph.example.com/prefix/", api_version="v24.0")
    assert repr(client) == "GraphClient(root='https://graph.example.com/prefix/v24.0')"
    with pytest.raises(ValueError, match="api_version"):
        GraphClient(session, api_version="23")
    with pytest.raises(ValueError, match="base_url"):
        GraphClient(session, base_url="graph.facebook.com")


# ---- Media -------------------------------------------------------------------------------


async def test_upload_media(meta: FakeMeta, graph: GraphClient) -> None:
    data = b"OggS" + b"\x00" * 100
    media_id = await graph.upload_media(PHONE_ID, TOKEN, data, "audio/ogg", "note.ogg")
    assert meta.media[media_id] == data
    (call,) = meta.seen
    assert (call.method, call.path, call.authorization) == (
        "POST",
        f"/v23.0/{PHONE_ID}/media",
        f"Bearer {TOKEN}",
    )
    assert meta.uploads == [
        {
            "messaging_product": "whatsapp",
            "type": "audio/ogg",
            "filename": "note.ogg",
            "content_type": "audio/ogg",
        }
    ]


async def test_upload_refuses_oversized_media(
    meta: FakeMeta, session: aiohttp.ClientSession
) -> None:
    small = GraphClient(session, base_url=meta.url("/"), max_media_bytes=10)
    with pytest.raises(GraphError, match="exceeds the 10-byte limit"):
        await small.upload_media(PHONE_ID, TOKEN, b"x" * 11, "image/png", "a.png")
    assert meta.seen == []


async def test_two_step_download(meta: FakeMeta, graph: GraphClient) -> None:
    info = await graph.media_url(MEDIA_ID, TOKEN, phone_number_id=PHONE_ID)
    assert info.file_size == len(MEDIA_BYTES)
    assert (info.mime_type, info.id) == ("image/jpeg", MEDIA_ID)
    assert await graph.download_media(info, TOKEN) == MEDIA_BYTES
    lookup, download = meta.seen
    assert lookup.query == {"phone_number_id": PHONE_ID}
    assert (download.path, download.authorization) == (f"/lookaside/{MEDIA_ID}", f"Bearer {TOKEN}")
    both = await graph.fetch_media(MEDIA_ID, TOKEN)
    assert both == (info, MEDIA_BYTES)


async def test_download_needs_the_bearer_token(meta: FakeMeta, graph: GraphClient) -> None:
    info = await graph.media_url(MEDIA_ID, TOKEN)
    with pytest.raises(GraphError) as info_error:
        await graph.download_media(info, "EAAGwrong")
    assert (info_error.value.http_status, info_error.value.code) == (401, 190)
    assert info_error.value.kind == "auth"


async def test_download_size_caps(meta: FakeMeta, graph: GraphClient) -> None:
    info = await graph.media_url(MEDIA_ID, TOKEN)
    calls = len(meta.seen)
    with pytest.raises(GraphError, match="exceeds the 100-byte limit"):
        await graph.download_media(info, TOKEN, max_bytes=100)
    assert len(meta.seen) == calls, "the declared file_size alone must stop the download"
    with pytest.raises(GraphError, match="exceeds the 100-byte limit") as by_length:
        await graph.download_media(info.url, TOKEN, max_bytes=100)
    assert by_length.value.kind == "permanent"
    with pytest.raises(GraphError, match="response exceeds the 5000-byte limit"):
        await graph.download_media(meta.url(f"/chunked/{MEDIA_ID}"), TOKEN, max_bytes=5000)
    streamed = await graph.download_media(meta.url(f"/chunked/{MEDIA_ID}"), TOKEN)
    assert streamed == MEDIA_BYTES


async def test_download_checks_the_hash(meta: FakeMeta, graph: GraphClient) -> None:
    info = await graph.media_url(MEDIA_ID, TOKEN)
    tampered = MediaInfo.model_validate({**info.model_dump(), "sha256": "0" * 64})
    with pytest.raises(GraphError, match="SHA-256") as error:
        await graph.download_media(tampered, TOKEN)
    assert error.value.kind == "transient"


async def test_download_follows_same_origin_redirects(meta: FakeMeta, graph: GraphClient) -> None:
    assert await graph.download_media(meta.url(f"/moved/{MEDIA_ID}"), TOKEN) == MEDIA_BYTES
    moved, target = meta.seen
    assert moved.authorization == target.authorization == f"Bearer {TOKEN}"


async def test_download_refuses_to_send_the_token_elsewhere(
    meta: FakeMeta, graph: GraphClient
) -> None:
    with pytest.raises(GraphError, match="not https") as info:
        await graph.download_media("http://attacker.example/file", TOKEN)
    assert info.value.kind == "permanent"

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://attacker.example/steal")

    meta.answer_next(away)
    with pytest.raises(GraphError, match="not https"):
        await graph.download_media(meta.url(f"/lookaside/{MEDIA_ID}"), TOKEN)


async def test_expired_media_url(meta: FakeMeta, graph: GraphClient) -> None:
    with pytest.raises(GraphError) as info:
        await graph.download_media(meta.url("/lookaside/404404"), TOKEN)
    assert (info.value.http_status, info.value.kind) == (404, "permanent")


async def test_delete_media(meta: FakeMeta, graph: GraphClient) -> None:
    await graph.delete_media(MEDIA_ID, TOKEN, phone_number_id=PHONE_ID)
    assert MEDIA_ID not in meta.media
    assert meta.seen[-1].query == {"phone_number_id": PHONE_ID}
    with pytest.raises(GraphError, match="did not delete the media"):
        await graph.delete_media(MEDIA_ID, TOKEN)


# ---- Templates and numbers ------------------------------------------------------------------


async def test_list_templates_follows_cursors_across_three_pages(
    meta: FakeMeta, graph: GraphClient
) -> None:
    found = [t async for t in graph.list_templates(WABA_ID, TOKEN, limit=3)]
    assert [t.name for t in found] == [f"template_{i}" for i in range(7)]
    assert found[0].components[0].text == "Hi {{1}}"
    assert found[0].parameter_format == "POSITIONAL"
    assert len(meta.seen) == 3
    afters = [call.query.get("after") for call in meta.seen]
    assert afters[0] is None
    assert afters[1] is not None
    assert afters[2] is not None
    for call in meta.seen:
        assert call.path == f"/v23.0/{WABA_ID}/message_templates"
        assert call.authorization == f"Bearer {TOKEN}"
        assert "access_token" not in call.query
        assert call.query["limit"] == "3"
        assert "parameter_format" in call.query["fields"]


async def test_list_templates_without_cursors_reads_next(
    meta: FakeMeta, graph: GraphClient
) -> None:
    async def page_without_cursors(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "data": [template(0)],
                "paging": {"next": meta.url(f"/x?access_token={TOKEN}&after=MQ%3D%3D")},
            }
        )

    meta.answer_next(page_without_cursors)
    names = [t.name async for t in graph.list_templates(WABA_ID, TOKEN, limit=1)]
    assert names[0] == "template_0"
    assert meta.seen[1].query["after"] == "MQ=="
    assert meta.seen[1].path == f"/v23.0/{WABA_ID}/message_templates"


async def test_list_templates_stops_a_pager_that_never_advances(
    meta: FakeMeta, graph: GraphClient
) -> None:
    async def stuck(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "data": [template(0)],
                "paging": {"cursors": {"after": "SAME"}, "next": meta.url("/next")},
            }
        )

    meta.answer_next(stuck)
    meta.answer_next(stuck)
    with pytest.raises(GraphError, match="did not advance"):
        _ = [t async for t in graph.list_templates(WABA_ID, TOKEN)]


async def test_list_templates_error_mid_way(meta: FakeMeta, graph: GraphClient) -> None:
    pages = graph.list_templates(WABA_ID, TOKEN, limit=3)
    first = [await anext(pages) for _ in range(3)]
    assert len(first) == 3
    meta.respond_next(meta_error(400, 80007, "(#80007) There have been too many calls"))
    with pytest.raises(GraphError) as info:
        await anext(pages)
    assert info.value.kind == "transient"
    # The error ended the generator: nothing is left to close.
    with pytest.raises(StopAsyncIteration):
        await anext(pages)


async def test_create_template(meta: FakeMeta, graph: GraphClient) -> None:
    request = CreateTemplateRequest(
        name="seasonal_promotion_text_only",
        language="en",
        category="MARKETING",
        components=[
            TemplateComponentDef(
                type="BODY",
                text="Shop now through {{1}}",
                example={"body_text": [["the end of August"]]},
            )
        ],
    )
    response = await graph.create_template(WABA_ID, TOKEN, request)
    assert (response.id, response.status, response.category) == (
        "1689556908129832",
        "PENDING",
        "MARKETING",
    )
    assert json.loads(meta.seen[0].body) == {
        "name": "seasonal_promotion_text_only",
        "language": "en",
        "category": "MARKETING",
        "components": [
            {
                "type": "BODY",
                "text": "Shop now through {{1}}",
                "example": {"body_text": [["the end of August"]]},
            }
        ],
    }


async def test_phone_number(meta: FakeMeta, graph: GraphClient) -> None:
    number = await graph.phone_number(PHONE_ID, TOKEN, fields="quality_rating,verified_name")
    assert (number.id, number.verified_name, number.quality_rating) == (
        PHONE_ID,
        "Jaspers Market",
        "GREEN",
    )
    assert number.display_phone_number == "+1 555-555-5555"
    assert meta.seen[0].query == {"fields": "quality_rating,verified_name"}
