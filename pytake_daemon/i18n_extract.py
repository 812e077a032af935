"""pybabel's extraction method for the daemon (``pytake_daemon/locale/babel.cfg``).

Besides the usual markers (``_``, ``N_``, ...), it takes the sentence of every ``raise`` of one
of our errors (``raise NotFound(f"no queue {queue_id}")``) as a msgid, its f-string fields
named after their expressions (``no queue {queue_id}``). The daemon raised a few hundred such
sentences before it had translations, in every domain; rather than rewrite them all, the
catalog lists them and ``pytake_daemon.i18n.translate`` recognises the English sentence by its
msgid's shape and says it again in the reader's language. New code marks its sentences with
``pytake_daemon.i18n._`` instead, which needs no recognising.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import IO, Any, cast

from pytake_i18n.extraction import Extracted, python_messages


@cache
def error_names() -> frozenset[str]:
    """The names of our error classes (every subclass of PyTakeError, in every module)."""
    import pytake_daemon
    from pytake_daemon.errors import PyTakeError

    # Every module, not only what the app imports: the embedded stack's errors, say, are the
    # CLI's and the runtime's.
    for module in pkgutil.walk_packages(pytake_daemon.__path__, "pytake_daemon."):
        importlib.import_module(module.name)

    names: set[str] = set()
    todo: list[type[BaseException]] = [PyTakeError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return frozenset(names)


def _field_name(expr: ast.expr, taken: set[str]) -> str:
    if isinstance(expr, ast.Name):
        base = expr.id
    elif isinstance(expr, ast.Attribute):
        base = expr.attr
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        base = expr.func.id
    else:
        base = "value"
    base = base.strip("_") or "value"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


def msgid_of(node: ast.expr) -> str | None:
    """The msgid of a sentence literal: the string, or the f-string with named fields."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    parts: list[str] = []
    taken: set[str] = set()
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value.replace("{", "{{").replace("}", "}}"))
        elif isinstance(value, ast.FormattedValue):
            field = _field_name(value.value, taken)
            if value.conversion != -1:
                field += "!" + chr(value.conversion)
            if isinstance(value.format_spec, ast.JoinedStr):
                spec = "".join(
                    v.value
                    for v in value.format_spec.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )
                field += ":" + spec
            parts.append("{" + field + "}")
    return "".join(parts)


def raised_sentences(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, msgid) of each ``raise OurError("...")`` (first argument or ``detail=``)."""
    names = error_names()
    # A sentence kept in a module constant (``_NOT_FOUND = "no such queue"``) counts as written.
    constants: dict[str, str] = {}
    for statement in getattr(tree, "body", []):
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
            literal = isinstance(value, ast.Constant) and isinstance(value.value, str)
            if isinstance(target, ast.Name) and literal:
                constants[target.id] = cast("str", cast("ast.Constant", value).value)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
            continue
        call = node.exc
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in names:
            continue
        candidates = [call.args[0]] if call.args else []
        candidates += [k.value for k in call.keywords if k.arg == "detail"]
        for candidate in candidates:
            if isinstance(candidate, ast.Name) and candidate.id in constants:
                yield node.lineno, constants[candidate.id]
                continue
            msgid = msgid_of(candidate)
            if msgid and msgid.strip():
                yield node.lineno, msgid


def extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Sequence[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel's Python extraction, plus the sentences of our raised errors."""
    source = fileobj.read()
    yield from python_messages(source, keywords, comment_tags, options)
    for line, msgid in raised_sentences(ast.parse(source)):
        yield line, None, msgid, []
