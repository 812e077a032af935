"""Compiling Meta's OpenAPI contract into JSON Schemas ``jsonschema`` evaluates as Meta means
them (see contract.py's docstring for the rules: inlined ``$ref``s, merged ``allOf``s,
``discriminator`` as ``if``/``then``, ``nullable``)."""

from __future__ import annotations

import copy
from typing import Any

from pytake_simulator.contract_errata import ERRATA

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
