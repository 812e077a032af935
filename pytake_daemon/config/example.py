"""``pytake config example``: a TOML file documenting every setting with its default."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from pytake_daemon.config.settings import Settings


def example_toml() -> str:
    """A TOML file documenting every setting with its default (``config/pytake.example.toml``)."""
    lines = [
        "# PyTake configuration. Every setting, with its default; uncomment what you change.",
        "# The environment wins over this file: PYTAKE_<SECTION>__<FIELD>, e.g.",
        "# PYTAKE_DATABASE__URL or PYTAKE_SERVER__PORT. Secrets (URLs with passwords) are better",
        "# kept in the environment (systemd: EnvironmentFile=/etc/pytake/pytake.env).",
        "",
    ]
    sections = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            sections.append((name, annotation))
            continue
        lines += _describe_field(name, field.description, _default_of(field))
    for name, model in sections:
        lines += ["", f"[{name}]", f"# {model.__doc__ or ''}".rstrip()]
        for field_name, field in model.model_fields.items():
            lines += _describe_field(field_name, field.description, _default_of(field))
    return "\n".join(lines) + "\n"


def _default_of(field: Any) -> Any:
    # A computed default depends on the machine (state_dir: root or not): the description says it.
    return None if field.default_factory is not None else field.default


def _describe_field(name: str, description: str | None, default: Any) -> list[str]:
    out = [""] + [f"# {line}".rstrip() for line in (description or "").splitlines()]
    if default is None:
        out.append(f"# {name} =")
    else:
        out.append(f"# {name} = {_toml_value(default)}")
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
