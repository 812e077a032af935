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

import copy
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pytake_simulator.contract_errata import ERRATA

CONTRACT_PATH = (
    Path(__file__).resolve().parent
    / "contract"
    / "whatsapp-business-messaging-api_v23.0.openapi.yaml"
)
# Bump when the compiler or the errata change, so old caches are ignored.
COMPILER_VERSION = 5

Schema = dict[str, Any]

_ANNOTATIONS = frozenset(
    {"description", "example", "examples", "externalDocs", "xml", "deprecated", "title", "summary"}
)

# name → (schema path in the request body, how to find it in the document)
_REQUEST_BODIES: dict[str, tuple[str, str]] = {
    "send_message": ("/{Version}/{Phone-Number-ID}/messages", "post"),
    "create_template": ("/{Version}/{WABA-ID}/message_templates", "post"),
}
_RESPONSES: dict[str, tuple[str, str]] = {
    "send_message_response": ("/{Version}/{Phone-Number-ID}/messages", "post"),
    "upload_media_response": ("/{Version}/{Phone-Number-ID}/media", "post"),
    "media_url_response": ("/{Version}/{Media-ID}", "get"),
    "delete_media_response": ("/{Version}/{Media-ID}", "delete"),
    "template_list_response": ("/{Version}/{WABA-ID}/message_templates", "get"),
    "create_template_response": ("/{Version}/{WABA-ID}/message_templates", "post"),
    "phone_number_response": ("/{Version}/{Phone-Number-ID}", "get"),
}
_NAMED_SCHEMAS = {"graph_error": "GraphAPIError"}


# --- compiler ----------------------------------------------------------------------------------


class _Compiler:
    def __init__(self, document: Schema) -> None:
        self.schemas: Schema = document["components"]["schemas"]

    def named(self, name: str) -> Schema:
        return self._schema(name, frozenset({name}), frozenset())

    def compile(self, node: Any, refs: frozenset[str], plain: frozenset[str]) -> Any:
        """``refs``: names being inlined (cycle guard); ``plain``: names whose discriminator
        is being dispatched (their mapped schemas include them again via ``allOf``)."""
        if isinstance(node, list):
            return [self.compile(item, refs, plain) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in refs:
                return {}
            return self._schema(name, refs | {name}, plain)
        return self._compile_object(node, None, refs, plain)

    def _schema(self, name: str, refs: frozenset[str], plain: frozenset[str]) -> Schema:
        node = self.schemas[name]
        result: Schema = self._compile_object(node, name, refs, plain)
        return result

    def _compile_object(
        self, node: Schema, name: str | None, refs: frozenset[str], plain: frozenset[str]
    ) -> Schema:
        discriminator = node.get("discriminator")
        if discriminator and name is not None and name not in plain:
            return self._dispatch(node, name, discriminator, refs, plain)
        out: Schema = {}
        for key, value in node.items():
            if key in _ANNOTATIONS or key in ("discriminator", "nullable"):
                continue
            if key in ("properties", "patternProperties", "$defs"):
                out[key] = {k: self.compile(v, refs, plain) for k, v in value.items()}
            elif key in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
                out[key] = self.compile(value, refs, plain)
            elif key in ("oneOf", "anyOf", "prefixItems"):
                out[key] = [self.compile(v, refs, plain) for v in value]
            elif key == "allOf":
                continue
            else:
                out[key] = copy.deepcopy(value)
        if node.get("nullable") is True and "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
        if "allOf" in node:
            parts = [self.compile(part, refs, plain) for part in node["allOf"]]
            out = _merge([*parts, out])
        return out

    def _dispatch(
        self,
        node: Schema,
        name: str,
        discriminator: Schema,
        refs: frozenset[str],
        plain: frozenset[str],
    ) -> Schema:
        prop = discriminator["propertyName"]
        mapping: dict[str, str] = discriminator.get("mapping", {})
        inner_plain = plain | {name}
        if "oneOf" in node:
            # The oneOf lists exactly the mapped schemas: dispatch replaces it.
            base: Schema = {"type": "object"}
        else:
            base = self._compile_object(node, name, refs, inner_plain)
        branches = []
        for value, ref in mapping.items():
            target = ref.rsplit("/", 1)[-1]
            compiled = self._schema(target, refs | {target}, inner_plain)
            branches.append(
                {
                    "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                    "then": compiled,
                }
            )
        dispatch: Schema = {
            **base,
            "properties": {**base.get("properties", {})},
            "allOf": [*base.get("allOf", []), *branches],
        }
        if "oneOf" in node:
            # Only the mapped values are valid; without oneOf, the base's own enum decides
            # (values without a mapped schema just get the base's checks).
            dispatch["properties"][prop] = {"enum": sorted(mapping)}
        return dispatch


def _merge(parts: list[Schema]) -> Schema:
    """Merge ``allOf`` parts into one object schema (see the module docstring for why)."""
    merged: Schema = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    rest: list[Schema] = []
    closed = False
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                for prop, schema in value.items():
                    properties[prop] = (
                        {"allOf": [properties[prop], schema]} if prop in properties else schema
                    )
            elif key == "required":
                required.extend(r for r in value if r not in required)
            elif key == "additionalProperties" and value is False:
                closed = True
            elif key == "type":
                merged["type"] = value
            elif key == "allOf":
                rest.extend(value)
            else:
                rest.append({key: value})
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    if closed:
        merged["additionalProperties"] = False
    if rest:
        merged["allOf"] = rest
    return merged


def _json_content_schema(container: Schema) -> Schema:
    content = container.get("content", {})
    media: Schema = content.get("application/json") or next(iter(content.values()), {})
    schema: Schema = media.get("schema", {})
    return schema


def compile_document(document: Schema, *, in_place: bool = False) -> dict[str, Schema]:
    """All the schemas the simulator uses, from a parsed contract (errata applied here).

    ``in_place`` lets the errata edit ``document`` itself (a fresh parse nobody else holds),
    which saves deep-copying a megabyte of YAML.
    """
    if not in_place:
        document = copy.deepcopy(document)
    for fix in ERRATA:
        fix(document)
    compiler = _Compiler(document)
    compiled: dict[str, Schema] = {}
    for key, (path, method) in _REQUEST_BODIES.items():
        op = document["paths"][path][method]
        compiled[key] = compiler.compile(
            _json_content_schema(op["requestBody"]), frozenset(), frozenset()
        )
    for key, (path, method) in _RESPONSES.items():
        op = document["paths"][path][method]
        compiled[key] = compiler.compile(
            _json_content_schema(op["responses"]["200"]), frozenset(), frozenset()
        )
    for key, name in _NAMED_SCHEMAS.items():
        compiled[key] = compiler.named(name)
    compiled["message_types"] = {"enum": sorted(_message_types(document))}
    return compiled


def _message_types(document: Schema) -> list[str]:
    mapping: dict[str, str] = document["components"]["schemas"]["Message"]["discriminator"][
        "mapping"
    ]
    return list(mapping)


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
