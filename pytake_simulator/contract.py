"""Meta's OpenAPI contract, compiled into JSON Schemas for the endpoints the simulator serves.

The contract (``contract/whatsapp-business-messaging-api_v23.0.openapi.yaml``, MIT) is 1 MB of
YAML; parsing it takes a quarter of a second, so the few schemas we need are compiled once and
cached as JSON keyed by the file's SHA-256 (see :func:`cache_dir`).

Compiling means turning OpenAPI into something ``jsonschema`` evaluates the way Meta means it:

- ``$ref`` are inlined (a recursive reference accepts anything rather than looping);
- ``allOf`` parts are merged into one object schema. Meta writes
  ``allOf: [BaseMessageProperties, {additionalProperties: false, ...}]``, which in plain JSON
  Schema would reject ``to`` and ``messaging_product`` (each part sees only its own properties);
  merged, ``additionalProperties: false`` means "nothing beyond the union", as intended;
- ``discriminator`` mappings become ``if``/``then`` on the discriminating property, so an error
  names the branch that applies instead of "not valid under any of the given schemas";
- OpenAPI 3.0 ``nullable`` becomes a ``null`` type; annotations are dropped.

Where the contract contradicts Meta's documented behaviour, the errata in contract_errata.py
correct it before compiling; each correction says why.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pytake_simulator.contract_compiler import compile_document

CONTRACT_PATH = (
    Path(__file__).resolve().parent
    / "contract"
    / "whatsapp-business-messaging-api_v23.0.openapi.yaml"
)
# Bump when the compiler or the errata change, so old caches are ignored.
COMPILER_VERSION = 5

Schema = dict[str, Any]


# --- loading and caching -----------------------------------------------------------------------


def cache_dir() -> Path:
    """``$PYTAKE_SIMULATOR_CACHE``, else ``$XDG_CACHE_HOME/pytake/simulator`` (``~/.cache``)."""
    explicit = os.environ.get("PYTAKE_SIMULATOR_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pytake" / "simulator"


def _parse_yaml(raw: bytes) -> Schema:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: Schema = yaml.load(raw, Loader=loader)  # noqa: S506 - a safe loader, chosen above
    return document


def load_compiled(path: Path = CONTRACT_PATH, cache: Path | None = None) -> dict[str, Schema]:
    """The compiled schemas, from the cache when it matches the contract's bytes."""
    raw = path.read_bytes()
    key = hashlib.sha256(raw).hexdigest()[:16]
    directory = cache if cache is not None else cache_dir()
    cached = directory / f"contract-{key}-c{COMPILER_VERSION}.json"
    try:
        data: dict[str, Schema] = json.loads(cached.read_bytes())
    except (OSError, ValueError):
        pass
    else:
        return data
    compiled = compile_document(_parse_yaml(raw), in_place=True)
    _write_atomically(cached, json.dumps(compiled, separators=(",", ":")).encode())
    return compiled


def _write_atomically(path: Path, data: bytes) -> None:
    """Best effort: a read-only home just means compiling again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".contract-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        return


# --- validation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One way a body breaks the contract, with the parameter spelled the way Meta spells it
    (``interactive['action']['buttons'][0]``)."""

    param: str
    kind: str  # "required" | "unexpected" | "value"
    message: str


def param_path(parts: Any) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not path:
            path = str(part)
        else:
            path += f"['{part}']"
    return path


_default: Contract | None = None


class Contract:
    """Validators for request bodies, built from the compiled schemas."""

    def __init__(self, schemas: dict[str, Schema]) -> None:
        self.schemas = schemas

    @classmethod
    def load(cls, path: Path = CONTRACT_PATH, cache: Path | None = None) -> Contract:
        return cls(load_compiled(path, cache))

    @classmethod
    def default(cls) -> Contract:
        """The packaged contract, loaded once per process and shared by every simulator."""
        global _default  # noqa: PLW0603 - a process-wide memo of an immutable value
        if _default is None:
            _default = cls.load()
        return _default

    def warm_up(self) -> None:
        """Build the validators now rather than on the first request."""
        _ = self._validators

    @cached_property
    def _validators(self) -> dict[str, Any]:
        from jsonschema import Draft202012Validator

        return {name: Draft202012Validator(schema) for name, schema in self.schemas.items()}

    @property
    def message_types(self) -> list[str]:
        types: list[str] = self.schemas["message_types"]["enum"]
        return types

    def violations(self, schema: str, instance: Any) -> list[Violation]:
        validator = self._validators[schema]
        found: list[Violation] = []
        for error in _leaf_errors(validator.iter_errors(instance)):
            violation = _violation(error)
            if all((v.param, v.kind) != (violation.param, violation.kind) for v in found):
                found.append(violation)
        # Missing or unexpected parameters first (what Meta reports first), then the shallowest.
        order = {"required": 0, "unexpected": 1, "value": 2}
        return sorted(found, key=lambda v: (order[v.kind], v.param.count("["), v.param))

    def first_violation(self, schema: str, instance: Any) -> Violation | None:
        found = self.violations(schema, instance)
        return found[0] if found else None


def _leaf_errors(errors: Any) -> Iterator[Any]:
    """Descend into ``oneOf``/``anyOf`` failures to the branch the body was aiming at.

    That is the branch whose own required keys are present (a list action has ``button`` and
    ``sections``, a reply-button action ``buttons``), then the one with the fewest errors.
    """
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            branches: dict[int, list[Any]] = {}
            for sub in error.context:
                branches.setdefault(sub.relative_schema_path[0], []).append(sub)

            def aim(branch: list[Any]) -> tuple[int, int]:
                missing = sum(1 for e in branch if e.validator == "required" and not e.path)
                return (missing, len(branch))

            yield from _leaf_errors(min(branches.values(), key=aim))
        else:
            yield error


def _violation(error: Any) -> Violation:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        param = param_path([*path, missing])
        return Violation(param, "required", f"The parameter {param} is required.")
    if error.validator == "additionalProperties":
        extras = [str(e) for e in error.instance if e not in error.schema.get("properties", {})]
        where = param_path(path) or "the request"
        extra = extras[0] if extras else "?"
        return Violation(
            param_path([*path, extra]),
            "unexpected",
            f'Unexpected key "{extra}" on param "{where}".',
        )
    param = param_path(path) or "body"
    if error.validator == "maxLength":
        detail = f"Param {param} must be at most {error.validator_value} characters long."
    elif error.validator == "minLength":
        detail = f"Param {param} must be at least {error.validator_value} characters long."
    elif error.validator in ("enum", "const"):
        allowed = error.validator_value if error.validator == "enum" else [error.validator_value]
        choices = ", ".join(str(a) for a in allowed)
        detail = f"Param {param} must be one of {{{choices}}} - got {json.dumps(error.instance)}."
    elif error.validator == "type":
        detail = f"Param {param} must be a {error.validator_value}."
    elif error.validator in ("maxItems", "minItems"):
        bound = "at most" if error.validator == "maxItems" else "at least"
        detail = f"Param {param} must have {bound} {error.validator_value} elements."
    else:
        detail = f"Param {param} is invalid: {error.message}"
    return Violation(param, "value", detail)
