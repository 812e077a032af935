"""Export and import, shared by the API and the CLI: read the document, check it against the
tenant, compare, and apply only when asked, all in the caller's one transaction."""

from __future__ import annotations

import asyncpg

from pytake_daemon.auth.passwords import Passwords
from pytake_daemon.db.pool import Connection
from pytake_daemon.errors import Conflict, UnprocessableEntity
from pytake_daemon.protocol import ProblemField, Role
from pytake_daemon.protocol.tenant_config import ImportResult
from pytake_daemon.tenant_config import db
from pytake_daemon.tenant_config.apply import apply_changes
from pytake_daemon.tenant_config.diff import check_against, compare, parse_document
from pytake_daemon.tenant_config.export import dump_yaml, read_config


class InvalidDocument(UnprocessableEntity):
    """A document with problems; each is listed with its path in the file. Nothing applied."""

    def __init__(self, problems: list[ProblemField]) -> None:
        super().__init__(
            f"the document has {len(problems)} problem(s); nothing applied", errors=problems
        )
        self.problems = problems


async def export_text(conn: Connection) -> str:
    """The transaction's tenant as the YAML document."""
    return dump_yaml(await read_config(conn))


async def import_text(
    conn: Connection,
    text: str,
    *,
    apply: bool,
    passwords: Passwords,
    by_role: Role,
    caller: str | None = None,
) -> ImportResult:
    """The diff of ``text`` against the tenant; with ``apply``, the tenant made so.

    Raises :class:`InvalidDocument` listing every problem before anything is written; an
    error while applying propagates, and the caller's transaction rolls everything back.
    """
    wanted, problems = parse_document(text)
    if wanted is None:
        raise InvalidDocument(problems)
    await db.lock_imports(conn)
    current = await read_config(conn)
    problems = check_against(wanted, current, by_role=by_role, caller=caller)
    if problems:
        raise InvalidDocument(problems)
    changes = compare(wanted, current)
    if apply:
        try:
            await apply_changes(conn, wanted, changes, passwords=passwords, by_role=by_role)
        except asyncpg.IntegrityConstraintViolationError as exc:
            # A rule only the database checks (e.g. two team replies with one shortcut): the
            # transaction is lost anyway, so say so in the caller's terms.
            raise Conflict(f"nothing was applied: {_constraint_sentence(exc)}") from None
    return ImportResult(applied=apply, changes=changes)


_CONSTRAINTS = {
    "ai_replies_shared_shortcut_idx": "two team canned responses share a shortcut",
    "ai_replies_personal_shortcut_idx": "two canned responses of one person share a shortcut",
}


def _constraint_sentence(exc: asyncpg.IntegrityConstraintViolationError) -> str:
    name = getattr(exc, "constraint_name", None) or ""
    detail = getattr(exc, "detail", None)
    known = _CONSTRAINTS.get(name)
    if known is not None:
        return f"{known} ({detail})" if detail else known
    return f"{exc.args[0] if exc.args else exc}" + (f" ({detail})" if detail else "")
