"""Scripted customers: a TOML conversation run against a simulator's control API.

    customer = "5511999990001"
    name = "Maria Silva"             # optional profile name
    phone_number_id = "100000000000001"  # optional: which business number to write to
    timeout = 10                     # optional: default seconds for each expect

    [[steps]]
    say = "Oi, quero saber do meu pedido"          # text shorthand

    [[steps]]
    say = { type = "image", image = { caption = "o recibo" } }

    [[steps]]
    expect = { type = "text", contains = "pedido", timeout = 5 }

    [[steps]]
    expect = { template = "order_update" }

    [[steps]]
    read = true                      # the customer reads what was delivered

    [[steps]]
    wait = 0.5                       # seconds

Each ``expect`` takes the next message the business sent to this customer (in order, each only
once) and fails if none arrives within the timeout or it doesn't match. The runner only talks
HTTP to the control API, so it works against any running simulator.
"""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pytake_simulator.config import ConfigError, first_error
from pytake_simulator.customer_messages import CustomerMessage
from pytake_simulator.views import OutboundList, OutboundView


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str | None = None
    contains: str | None = None
    template: str | None = None
    timeout: float | None = Field(None, gt=0)

    def describe(self) -> str:
        parts = [self.type or "message"]
        if self.template:
            parts.append(f"template {self.template!r}")
        if self.contains:
            parts.append(f"containing {self.contains!r}")
        return " ".join(parts)

    def mismatch(self, message: OutboundView) -> str | None:
        if self.type and message.type != self.type:
            return f"type {message.type}"
        if self.template and message.template != self.template:
            return f"template {message.template!r}" if message.template else f"a {message.type}"
        if self.contains:
            haystack = message.text or ""
            if self.contains.lower() not in haystack.lower():
                return f"text {haystack!r}"
        return None


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    say: CustomerMessage | str | None = None
    expect: Expect | None = None
    read: bool | None = None
    wait: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> Step:
        given = [k for k in ("say", "expect", "read", "wait") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("each step needs exactly one of say, expect, read, wait")
        return self

    def describe(self) -> str:
        if self.say is not None:
            return f"say {self.say!r}" if isinstance(self.say, str) else f"say {self.say.type}"
        if self.expect is not None:
            return f"expect {self.expect.describe()}"
        return "read" if self.read is not None else f"wait {self.wait:g}s"


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: str = Field(pattern=r"^[0-9]{7,15}$")
    name: str | None = None
    phone_number_id: str | None = None
    timeout: float = Field(10.0, gt=0)
    steps: list[Step] = Field(min_length=1)


class ScriptFailed(Exception):
    """A step failed; the message is one line naming the step."""


class ScriptResult(BaseModel):
    steps: int
    sent: list[str]
    received: list[str]


def load_script(path: Path) -> Script:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        return Script.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {first_error(exc)}") from None


class _Runner:
    def __init__(self, script: Script, session: aiohttp.ClientSession, base_url: str) -> None:
        self.script = script
        self.session = session
        self.base = base_url.rstrip("/") + "/_sim"
        self.cursor = 0
        self.sent: list[str] = []
        self.received: list[str] = []

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.session.request(method, self.base + path, **kwargs) as response:
            data = await response.json()
            if response.status != 200:
                raise ScriptFailed(data.get("error", f"HTTP {response.status}"))
            return data

    async def start(self) -> None:
        # Only what the business sends from now on counts for expects.
        listing = OutboundList.model_validate(
            await self._call("GET", "/messages", params={"to": self.script.customer})
        )
        self.cursor = listing.cursor

    async def say(self, say: CustomerMessage | str) -> None:
        message = CustomerMessage(type="text", text=say) if isinstance(say, str) else say
        fields: dict[str, Any] = {
            "phone_number_id": message.phone_number_id or self.script.phone_number_id,
            "profile_name": message.profile_name or self.script.name,
        }
        body = message.model_copy(update={k: v for k, v in fields.items() if v is not None})
        data = await self._call(
            "POST",
            f"/customers/{self.script.customer}/messages",
            json=body.model_dump(mode="json", by_alias=True, exclude_none=True),
        )
        self.sent.append(data["message_id"])

    async def expect(self, expect: Expect) -> None:
        timeout = expect.timeout or self.script.timeout
        params = {
            "to": self.script.customer,
            "since": str(self.cursor),
            "wait": str(timeout),
            "count": "1",
        }
        listing = OutboundList.model_validate(
            await self._call(
                "GET",
                "/messages",
                params=params,
                timeout=aiohttp.ClientTimeout(total=timeout + 10),
            )
        )
        if not listing.data:
            raise ScriptFailed(f"expected {expect.describe()}, nothing arrived in {timeout:g}s")
        message = listing.data[0]
        self.cursor = message.seq
        self.received.append(message.id)
        mismatch = expect.mismatch(message)
        if mismatch:
            raise ScriptFailed(f"expected {expect.describe()}, got {mismatch}")

    async def read(self) -> None:
        await self._call(
            "POST",
            f"/customers/{self.script.customer}/read",
            json={"phone_number_id": self.script.phone_number_id},
        )


async def run_script(script: Script, base_url: str) -> ScriptResult:
    """Run ``script`` against the simulator at ``base_url``; raises :class:`ScriptFailed`."""
    async with aiohttp.ClientSession() as session:
        runner = _Runner(script, session, base_url)
        await runner.start()
        for number, step in enumerate(script.steps, start=1):
            try:
                if step.say is not None:
                    await runner.say(step.say)
                elif step.expect is not None:
                    await runner.expect(step.expect)
                elif step.read is not None:
                    await runner.read()
                elif step.wait is not None:
                    await asyncio.sleep(step.wait)  # the script asked for a pause
            except ScriptFailed as exc:
                raise ScriptFailed(f"step {number} ({step.describe()}): {exc}") from None
            except aiohttp.ClientError as exc:
                raise ScriptFailed(
                    f"step {number} ({step.describe()}): simulator unreachable: {exc}"
                ) from None
        return ScriptResult(steps=len(script.steps), sent=runner.sent, received=runner.received)
