"""Meta's side of the webhook contract: request signatures and the subscription handshake.

Re-implemented here on purpose (the simulator shares no code with the daemon), from Meta's
documentation: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the exact body, keyed with the
app secret>``; Meta still sends the legacy SHA-1 ``X-Hub-Signature`` too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import aiohttp

USER_AGENT = "facebookexternalua"


def sign(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value for ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def sign_sha1(app_secret: str, body: bytes) -> str:
    """The legacy ``X-Hub-Signature`` value Meta sends alongside."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest()
    return f"sha1={digest}"


def signature_headers(app_secret: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(app_secret, body),
        "X-Hub-Signature": sign_sha1(app_secret, body),
    }


@dataclass(frozen=True)
class VerifyResult:
    """What the subscription handshake got back; ``ok`` is Meta's only criterion."""

    ok: bool
    status: int | None
    body: str
    challenge: str
    error: str | None = None


async def verify_subscription(
    url: str,
    verify_token: str,
    *,
    challenge: str | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - Meta gives up on a silent endpoint too
    session: aiohttp.ClientSession | None = None,
) -> VerifyResult:
    """Meta's subscription check: ``GET url?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…``
    must answer 200 with the challenge as the body."""
    challenge = challenge or str(secrets.randbelow(10**9))
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    owned = session is None
    client = session or aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
    try:
        async with client.get(
            url, params=params, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            body = await response.text()
            ok = response.status == 200 and body.strip() == challenge
            return VerifyResult(ok, response.status, body, challenge)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return VerifyResult(False, None, "", challenge, f"{type(exc).__name__}: {exc}")
    finally:
        if owned:
            await client.close()
