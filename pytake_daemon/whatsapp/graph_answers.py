"""How a Graph API answer becomes a model or a ``GraphError``: the size cap, Meta's error
envelope, ids safe to put in a URL path, and the access token redacted from anything Meta echoes.
"""

from __future__ import annotations

import re
from typing import TypeVar

import aiohttp
import orjson
from pydantic import BaseModel, ValidationError

from pytake_daemon.whatsapp.graph_models import GraphErrorEnvelope, GraphSuccess
from pytake_daemon.whatsapp.meta_errors import GraphError

_T = TypeVar("_T", bound=BaseModel)
_ID = re.compile(r"^[0-9A-Za-z_-]{1,128}$")


async def read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise GraphError(
                f"response exceeds the {limit}-byte limit",
                http_status=response.status,
                kind="permanent",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def checked_id(node_id: str) -> str:
    # Ids go into URL paths: anything but an id-like token could change the path ("..", "/").
    if not _ID.fullmatch(node_id):
        raise GraphError(f"not a Graph API id: {node_id[:40]!r}", kind="permanent")
    return node_id


def redact(text: str, token: str) -> str:
    return text.replace(token, "[redacted]") if token else text


def network_error(exc: aiohttp.ClientError, token: str) -> GraphError:
    return GraphError(
        redact(f"network error talking to the Graph API: {type(exc).__name__}: {exc}", token),
        kind="transient",
    )


def json_of(raw: bytes) -> object:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def failure(status: int, content_type: str, raw: bytes, token: str) -> GraphError:
    """The error for a response with Meta's error envelope or a non-2xx status."""
    data = json_of(raw)
    envelope = None
    if isinstance(data, dict) and "error" in data:
        try:
            envelope = GraphErrorEnvelope.model_validate(data)
        except ValidationError:
            envelope = None
    if envelope is None:
        what = "JSON without an error envelope" if data is not None else f"a {content_type} body"
        return GraphError(f"HTTP {status} from the Graph API ({what})", http_status=status)
    error = GraphError.from_envelope(status, envelope.error)
    # Meta's text could quote the token back (a malformed-token message, say).
    error.message = redact(error.message, token)
    error.args = (error.message,)
    if error.details:
        error.details = redact(error.details, token)
    if error.user_message:
        error.user_message = redact(error.user_message, token)
    return error


def parse(status: int, content_type: str, raw: bytes, model: type[_T], token: str) -> _T:
    data = json_of(raw)
    if status >= 300 or (isinstance(data, dict) and "error" in data):
        raise failure(status, content_type, raw, token)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise GraphError(
            f"unexpected Graph API response: {where}: {first['msg']}", http_status=status
        ) from None


def require_success(result: GraphSuccess, what: str) -> None:
    if not result.success:
        raise GraphError(f"Meta did not {what} (success: false)", kind="permanent")
