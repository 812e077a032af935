"""A thin client of Meta's Graph API for one tenant's numbers: send, mark read, media, templates.

Every call takes the access token of the number it acts for (a tenant may have several numbers,
each with its own token); the client keeps none. Failures raise ``GraphError`` with a ``kind``
(transient / permanent / auth) and never retry: the outbox worker decides what to do, because
only it knows how long the message has waited and whether a duplicate is acceptable. No token
ever appears in an exception, a repr or a log line: requests carry it in the Authorization
header, any echo of it in Meta's text is redacted, and ``paging.next`` URLs (which embed it) are
never requested as given.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import orjson
from pydantic import BaseModel
from yarl import URL

from pytake_daemon import __version__
from pytake_daemon.whatsapp.graph_answers import (
    checked_id,
    failure,
    network_error,
    parse,
    read_capped,
    require_success,
)
from pytake_daemon.whatsapp.graph_models import (
    CreateTemplateRequest,
    CreateTemplateResponse,
    GraphSendResponse,
    GraphSuccess,
    MediaInfo,
    MediaUploadResponse,
    PhoneNumber,
    SendResult,
    Template,
    TemplatePage,
)
from pytake_daemon.whatsapp.graph_send import GraphSendRequest, mark_read_body
from pytake_daemon.whatsapp.meta_errors import GraphError

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
# Meta's largest media (documents) is 100 MB.
DEFAULT_MAX_MEDIA_BYTES = 100 * 1024 * 1024
DEFAULT_TEMPLATE_FIELDS = "id,name,language,status,category,components,parameter_format"

_T = TypeVar("_T", bound=BaseModel)
_VERSION = re.compile(r"^v[0-9]+\.[0-9]+$")
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 3
# A runaway pager (a cursor that never ends) must not loop forever.
_MAX_PAGES = 1000
# API answers are small JSON documents; anything bigger is not Meta talking.
_MAX_API_BYTES = 16 * 1024 * 1024


class GraphClient:
    """Calls to ``{base_url}/{api_version}/…`` on a session the caller owns (and closes).

    ``timeout`` bounds each API call (default: the session's timeout); ``media_timeout`` bounds a
    media upload or download, which may be large. ``base_url`` points at a simulator in tests.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = DEFAULT_API_VERSION,
        timeout: aiohttp.ClientTimeout | None = None,
        media_timeout: aiohttp.ClientTimeout | None = None,
        max_media_bytes: int = DEFAULT_MAX_MEDIA_BYTES,
    ) -> None:
        if not _VERSION.fullmatch(api_version):
            raise ValueError(f"api_version must look like v23.0, got {api_version!r}")
        base = URL(base_url)
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self._session = session
        self._root = base.with_path(base.path.rstrip("/") + "/" + api_version)
        self._origin = base.origin()
        # None leaves the session's own timeout in force for API calls.
        self._timeout = timeout
        self._media_timeout = media_timeout or aiohttp.ClientTimeout(
            total=300, sock_connect=10, sock_read=60
        )
        self._max_media_bytes = max_media_bytes
        self._user_agent = f"pytake/{__version__}"

    def __repr__(self) -> str:
        return f"GraphClient(root={str(self._root)!r})"

    # ---- Messages ---------------------------------------------------------------------------

    async def send_message(
        self, phone_number_id: str, token: str, body: GraphSendRequest
    ) -> SendResult:
        """POST /{phone_number_id}/messages. A timeout raises a transient error although Meta
        may have accepted the message: the outbox must expect an occasional duplicate."""
        response = await self._call(
            "POST",
            self._url(phone_number_id, "messages"),
            token,
            GraphSendResponse,
            json_body=body.to_json(),
        )
        return SendResult.from_response(response)

    async def mark_read(
        self, phone_number_id: str, token: str, wamid: str, typing: bool = False
    ) -> None:
        """Mark ``wamid`` (and everything before it) read; ``typing`` also shows "typing…"."""
        result = await self._call(
            "POST",
            self._url(phone_number_id, "messages"),
            token,
            GraphSuccess,
            json_body=mark_read_body(wamid, typing=typing).to_json(),
        )
        require_success(result, "mark the message as read")

    # ---- Media ------------------------------------------------------------------------------

    async def upload_media(
        self, phone_number_id: str, token: str, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Upload ``data`` for this number; returns the media id to send (valid 30 days)."""
        if len(data) > self._max_media_bytes:
            raise GraphError(
                f"media of {len(data)} bytes exceeds the {self._max_media_bytes}-byte limit",
                kind="permanent",
            )
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=filename, content_type=mime_type)
        response = await self._call(
            "POST",
            self._url(phone_number_id, "media"),
            token,
            MediaUploadResponse,
            data=form,
            limits=self._media_timeout,
        )
        return response.id

    async def media_url(
        self, media_id: str, token: str, *, phone_number_id: str | None = None
    ) -> MediaInfo:
        """GET /{media_id}: a download URL valid for 5 minutes, with the type, size and hash.

        ``phone_number_id`` makes Meta check that the media belongs to that number."""
        params = {"phone_number_id": checked_id(phone_number_id)} if phone_number_id else None
        return await self._call("GET", self._url(media_id), token, MediaInfo, params=params)

    async def download_media(
        self, info_or_url: MediaInfo | str, token: str, *, max_bytes: int | None = None
    ) -> bytes:
        """The bytes behind a media URL (the second step after ``media_url``).

        Meta's media URLs need the bearer token too, so only https URLs (or the configured
        base URL's origin, for a simulator) are fetched. The body is streamed and abandoned as
        soon as it exceeds ``max_bytes``; with a ``MediaInfo`` the size and SHA-256 are checked.
        """
        limit = self._max_media_bytes if max_bytes is None else max_bytes
        info = info_or_url if isinstance(info_or_url, MediaInfo) else None
        url = URL(info.url if info is not None else str(info_or_url))
        if info is not None and info.file_size is not None and info.file_size > limit:
            raise GraphError(
                f"media of {info.file_size} bytes exceeds the {limit}-byte limit", kind="permanent"
            )
        data = await self._download(url, token, limit)
        if info is not None and info.sha256 and hashlib.sha256(data).hexdigest() != info.sha256:
            # A truncated or corrupted transfer; fetching a fresh URL may well succeed.
            raise GraphError("downloaded media does not match its SHA-256", kind="transient")
        return data

    async def fetch_media(
        self,
        media_id: str,
        token: str,
        *,
        phone_number_id: str | None = None,
        max_bytes: int | None = None,
    ) -> tuple[MediaInfo, bytes]:
        """Both steps of a media download: the URL, then the bytes."""
        info = await self.media_url(media_id, token, phone_number_id=phone_number_id)
        return info, await self.download_media(info, token, max_bytes=max_bytes)

    async def delete_media(
        self, media_id: str, token: str, *, phone_number_id: str | None = None
    ) -> None:
        params = {"phone_number_id": checked_id(phone_number_id)} if phone_number_id else None
        result = await self._call("DELETE", self._url(media_id), token, GraphSuccess, params=params)
        require_success(result, "delete the media")

    # ---- Templates and numbers -------------------------------------------------------------------

    async def list_templates(
        self,
        waba_id: str,
        token: str,
        limit: int = 100,
        *,
        fields: str = DEFAULT_TEMPLATE_FIELDS,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Template]:
        """Every template of the account, page by page, until Meta gives no ``paging.next``.

        Pages are requested with the ``after`` cursor on our own URL, never by following
        ``paging.next`` as given: it embeds the access token in its query string.
        """
        url = self._url(waba_id, "message_templates")
        query: dict[str, str] = {"limit": str(limit), "fields": fields, **(params or {})}
        seen_cursors: set[str] = set()
        for _ in range(_MAX_PAGES):
            page = await self._call("GET", url, token, TemplatePage, params=query)
            for template in page.data:
                yield template
            paging = page.paging
            if paging is None or not paging.next:
                return
            after = paging.cursors.after if paging.cursors else None
            if after is None:
                after = dict(parse_qsl(urlsplit(paging.next).query)).get("after")
            if not after or after in seen_cursors:
                raise GraphError(
                    "template paging did not advance (Meta gave a next page without a new cursor)",
                    kind="transient",
                )
            seen_cursors.add(after)
            query = {**query, "after": after}
        raise GraphError(f"template listing exceeded {_MAX_PAGES} pages", kind="permanent")

    async def create_template(
        self, waba_id: str, token: str, request: CreateTemplateRequest
    ) -> CreateTemplateResponse:
        return await self._call(
            "POST",
            self._url(waba_id, "message_templates"),
            token,
            CreateTemplateResponse,
            json_body=request.to_json(),
        )

    async def delete_template(
        self, waba_id: str, token: str, name: str, *, hsm_id: str | None = None
    ) -> None:
        """Delete a template at Meta: with ``hsm_id`` that one language, else every language
        of ``name`` (Meta's ``DELETE /{waba}/message_templates?name=…[&hsm_id=…]``)."""
        params = {"name": name} | ({"hsm_id": checked_id(hsm_id)} if hsm_id else {})
        url = self._url(waba_id, "message_templates")
        result = await self._call("DELETE", url, token, GraphSuccess, params=params)
        require_success(result, "delete the template")

    async def phone_number(
        self, phone_number_id: str, token: str, *, fields: str | None = None
    ) -> PhoneNumber:
        params = {"fields": fields} if fields else None
        return await self._call(
            "GET", self._url(phone_number_id), token, PhoneNumber, params=params
        )

    # ---- Plumbing ---------------------------------------------------------------------------

    def _url(self, node_id: str, edge: str | None = None) -> URL:
        url = self._root / checked_id(node_id)
        return url / edge if edge else url

    def _headers(self, token: str) -> dict[str, str]:
        if not token or any(ch in token for ch in "\r\n") or token != token.strip():
            # Checked here because aiohttp's own error would quote the header value.
            raise GraphError("the access token is empty or malformed", kind="auth")
        return {"Authorization": f"Bearer {token}", "User-Agent": self._user_agent}

    async def _call(
        self,
        method: str,
        url: URL,
        token: str,
        model: type[_T],
        *,
        json_body: dict[str, Any] | None = None,
        data: aiohttp.FormData | None = None,
        params: Mapping[str, str] | None = None,
        limits: aiohttp.ClientTimeout | None = None,
    ) -> _T:
        headers = self._headers(token)
        body: bytes | aiohttp.FormData | None = data
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            body = orjson.dumps(json_body)
        try:
            async with self._session.request(
                method,
                url,
                headers=headers,
                params=params,
                data=body,
                timeout=limits or self._timeout or self._session.timeout,
                allow_redirects=False,
            ) as response:
                raw = await read_capped(response, _MAX_API_BYTES)
                status = response.status
                content_type = response.content_type
        except TimeoutError:
            raise GraphError("timed out waiting for the Graph API", kind="transient") from None
        except aiohttp.ClientError as exc:
            raise network_error(exc, token) from None
        return parse(status, content_type, raw, model, token)

    async def _download(self, url: URL, token: str, limit: int) -> bytes:
        self._check_media_url(url)
        headers = self._headers(token)
        try:
            for _ in range(_MAX_REDIRECTS + 1):
                async with self._session.get(
                    url, headers=headers, timeout=self._media_timeout, allow_redirects=False
                ) as response:
                    if response.status in _REDIRECTS and "Location" in response.headers:
                        target = url.join(URL(response.headers["Location"]))
                        self._check_media_url(target)
                        # The token goes only to the origin it was first sent to.
                        if target.origin() != url.origin():
                            headers = {"User-Agent": self._user_agent}
                        url = target
                        continue
                    if response.status >= 300:
                        raw = await response.content.read(64 * 1024)
                        raise failure(response.status, response.content_type, raw, token)
                    if response.content_length is not None and response.content_length > limit:
                        raise GraphError(
                            f"media of {response.content_length} bytes exceeds the "
                            f"{limit}-byte limit",
                            http_status=response.status,
                            kind="permanent",
                        )
                    return await read_capped(response, limit)
        except TimeoutError:
            raise GraphError("timed out downloading media", kind="transient") from None
        except aiohttp.ClientError as exc:
            raise network_error(exc, token) from None
        raise GraphError("too many redirects downloading media", kind="permanent")

    def _check_media_url(self, url: URL) -> None:
        if url.scheme == "https" and url.host:
            return
        if url.absolute and url.origin() == self._origin:
            return
        raise GraphError(
            "refusing to send the access token to a media URL that is not https",
            kind="permanent",
        )
