"""The WhatsApp side of the checks: each number's token and id, each account's templates, and
Meta's verify-token handshake through the public URL.

The Graph API calls are reads Meta documents as harmless: ``GET /{phone-number-id}`` (the
number's own fields) and the first page of ``GET /{waba-id}/message_templates``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import aiohttp

from pytake_daemon.system.db import NumberTarget
from pytake_daemon.system.outcomes import CheckFailed, CheckSkipped
from pytake_daemon.whatsapp.graph import GraphClient
from pytake_daemon.whatsapp.graph_models import PhoneNumber
from pytake_daemon.whatsapp.meta_errors import GraphError, explain
from pytake_daemon.whatsapp.secretbox import SecretBoxError

if TYPE_CHECKING:
    from pytake_daemon.system.checks import Targets

_WEBHOOK_PATH = "/api/v1/whatsapp/webhook"

NamedCheck = tuple[str, Callable[["Targets"], Awaitable[str]]]


class GraphCheckFailed(CheckFailed):
    """A Graph API check Meta refused; ``code`` is Meta's (190: the token, 100: the node)."""

    def __init__(self, sentence: str, *, code: int | None) -> None:
        super().__init__(sentence)
        self.code = code


def graph_checks(numbers: list[NumberTarget] | None) -> list[NamedCheck]:
    """One check per live number (a skipped one when there are none to check)."""
    if not numbers:
        return [("graph api", _no_numbers(numbers))]
    return [(f"graph api {n.phone_number_id}", _number_check(n)) for n in numbers]


def template_checks(numbers: list[NumberTarget] | None) -> list[NamedCheck]:
    """One check per WhatsApp Business Account, with the token of its first number."""
    if not numbers:
        return [("templates", _no_numbers(numbers))]
    accounts: dict[str, NumberTarget] = {}
    for n in numbers:
        accounts.setdefault(n.waba_id, n)
    return [(f"templates {waba}", _templates_check(n)) for waba, n in accounts.items()]


def _no_numbers(numbers: list[NumberTarget] | None) -> Callable[[Targets], Awaitable[str]]:
    async def skipped(targets: Targets) -> str:
        if numbers is None:
            raise CheckSkipped("the numbers could not be read from the database")
        raise CheckSkipped("no WhatsApp number is configured ('pytake numbers add')")

    return skipped


def _token(targets: Targets, number: NumberTarget) -> str:
    try:
        return targets.box.decrypt(number.access_token_enc)
    except SecretBoxError:
        raise CheckFailed(
            f"number {number.phone_number_id}'s access token can't be decrypted with this "
            "secrets key (see the secrets key check)"
        ) from None


def _graph_failure(what: str, exc: GraphError) -> str:
    return f"{what}: {explain(exc.code, exc.details, message=exc.message)}"


def _number_check(number: NumberTarget) -> Callable[[Targets], Awaitable[str]]:
    async def check(targets: Targets) -> str:
        label = f"number {number.phone_number_id} (tenant {number.tenant})"
        token = _token(targets, number)
        found = await number_answers(targets.graph, number.phone_number_id, token, label)
        name = f" ({found.verified_name})" if found.verified_name else ""
        return f"{label} answers as {found.display_phone_number or found.id}{name}"

    return check


async def number_answers(
    graph: GraphClient, phone_number_id: str, token: str, label: str
) -> PhoneNumber:
    """The number's own fields as Meta answers them for that token (the onboarding's number
    step runs it before storing a number); :class:`CheckFailed` with Meta's sentence if not."""
    try:
        found = await graph.phone_number(
            phone_number_id, token, fields="id,display_phone_number,verified_name"
        )
    except GraphError as exc:
        said = _graph_failure(f"the Graph API refused {label}", exc)
        # Meta's own sentence too: explain() replaces it with ours for the codes it knows, and
        # an owner pasting ids from Meta's dashboard recognises Meta's wording.
        if exc.message and exc.message not in said:
            said += f" Meta says: {exc.message}"
        raise GraphCheckFailed(said, code=exc.code) from None
    if found.id != phone_number_id:
        raise CheckFailed(f"the Graph API answered for {found.id} when asked for {label}")
    return found


def _templates_check(number: NumberTarget) -> Callable[[Targets], Awaitable[str]]:
    async def check(targets: Targets) -> str:
        label = f"account {number.waba_id} (tenant {number.tenant})"
        token = _token(targets, number)
        seen = 0
        try:
            async for _template in targets.graph.list_templates(number.waba_id, token, limit=1):
                seen += 1
                break  # one page proves the token may read them; sync reads the rest
        except GraphError as exc:
            raise CheckFailed(_graph_failure(f"templates of {label} can't be read", exc)) from None
        some = "its templates can be read" if seen else "it has no templates yet"
        return f"{label}: {some}, so a sync will work"

    return check


async def webhook_check(targets: Targets) -> str:
    """Meta's GET handshake through ``server.public_url``, with a token the daemon accepts."""
    public = targets.settings.server.public_url
    if not public:
        raise CheckSkipped("server.public_url is not set, so Meta's path to the webhook is unknown")
    token = _verify_token(targets)
    if token is None:
        raise CheckSkipped("no verify token to try: no number and no whatsapp.verify_token")
    return await verify_handshake(targets.http, public, token)


async def verify_handshake(http: aiohttp.ClientSession, base_url: str, token: str) -> str:
    """Meta's GET handshake with ``token`` against ``base_url``'s webhook, over the network."""
    challenge = secrets.token_hex(8)
    url = webhook_url(base_url)
    params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": challenge}
    try:
        async with http.get(url, params=params, allow_redirects=False) as resp:
            body = (await resp.text())[:200]
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CheckFailed(f"{url} can't be reached: {exc or type(exc).__name__}") from None
    if status != 200 or body != challenge:
        raise CheckFailed(
            f"{url} answered {status} to Meta's verify-token handshake instead of echoing the "
            "challenge: check the proxy in front of the daemon"
        )
    return f"{url} echoes Meta's verify-token handshake"


def webhook_url(base_url: str) -> str:
    """The callback URL Meta's dashboard asks for."""
    return base_url.rstrip("/") + _WEBHOOK_PATH


def _verify_token(targets: Targets) -> str | None:
    configured = targets.settings.whatsapp.verify_token
    if configured is not None:
        return configured.get_secret_value()
    for number in targets.numbers or []:
        try:
            return targets.box.decrypt(number.verify_token_enc)
        except SecretBoxError:
            continue
    return None
